#include "data/db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "data/backup.hpp"
#include "data/migrations.hpp"
#include "data/pg_engine.hpp"
#include "data/pg_schema.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

namespace {
std::atomic<uint64_t> busy_waits{0};

// As sqlite3_busy_timeout(10 s), counting each wait (busy_waits(), a metric): a lock held
// by another connection is retried after 1, 2, 5, ... 100 ms, up to 10 s in all.
int on_busy(void*, int count) {
  static constexpr int kDelays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  static constexpr int kTotal[] = {0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228};
  constexpr int kSteps = sizeof kDelays / sizeof kDelays[0];
  int delay = count < kSteps ? kDelays[count] : kDelays[kSteps - 1];
  int waited = count < kSteps ? kTotal[count] : kTotal[kSteps - 1] + (count - kSteps + 1) * 100;
  if (waited + delay > 10000) return 0;
  busy_waits.fetch_add(1, std::memory_order_relaxed);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  return 1;
}

void wait_when_busy(sqlite3* raw) {
  sqlite3_busy_handler(raw, on_busy, nullptr);
}
}  // namespace

bool is_postgresql(std::string_view db) {
  return pg::is_url(db);
}

bool has_table(Db& db, std::string_view name) {
  Statement st(db, db.postgresql()
                       ? "SELECT to_regclass(?1) IS NOT NULL"
                       : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
  st.bind(1, std::string(name));
  return st.step() && st.int64(0) != 0;
}

std::string display_name(const std::string& db) {
  return pg::is_url(db) ? pg::redacted(db) : db;
}

uint64_t busy_wait_count() noexcept {
  return busy_waits.load(std::memory_order_relaxed);
}

void Db::fail(std::string_view what) const {
  int code = sqlite3_extended_errcode(db_);
  std::string msg =
      std::string(what) + ": " + sqlite3_errmsg(db_) + " (sqlite " + std::to_string(code) + ")";
  int primary = code & 0xff;
  if (primary == SQLITE_CONSTRAINT) throw Error(ErrorKind::conflict, msg);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_NOTADB ||
      primary == SQLITE_CORRUPT || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
      primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN)
    throw Error(ErrorKind::unavailable, msg);
  throw Error(ErrorKind::internal, msg);
}

// Writers on PostgreSQL take this advisory lock for the length of their transaction.
constexpr const char* kWriterLock = "SELECT pg_advisory_xact_lock(7255010012)";

Db::Db(sqlite3* db, std::string path, Spatialite spatialite)
    : db_(db), path_(std::move(path)), spatialite_(spatialite) {}

Db::Db(std::unique_ptr<pg::Connection> pg)
    : path_(pg->url()), spatialite_(Spatialite::never), pg_(std::move(pg)) {}

Db Db::open_postgresql(const std::string& url, bool create, int schema, bool fresh) {
  if (schema > 0 && schema < kPgSchemaBase)
    throw_invalid("a PostgreSQL database starts at schema " + std::to_string(kPgSchemaBase));
  Db db(std::make_unique<pg::Connection>(url));
  auto version = [&]() -> int { return has_table(db, "gridmap_schema") ? db.schema_version() : 0; };
  int found = version();
  if (found == 0 && !create)
    throw_invalid(pg::redacted(url) +
                  " holds no gridmap schema; `gridmap serve --create` or `gridmap demo` makes it");
  if (found == 0) {
    // Two servers started at once on an empty database: the second waits, then finds it made.
    Transaction t(db);
    if (version() == 0) db.pg_->exec(kPgSchema, false);
    t.commit();
    return open_postgresql(url, false, schema, true);  // a fresh connection knows the new types
  }
  if (found > kSchemaVersion)
    throw Error(ErrorKind::unavailable, pg::redacted(url) + " is schema " + std::to_string(found) +
                                            ", newer than this gridmap (" +
                                            std::to_string(kSchemaVersion) + "): upgrade gridmap");
  int target = schema > 0 ? schema : kSchemaVersion;
  if (found < target) {
    // Under the writers' lock: the servers starting together migrate it once.
    Transaction t(db);
    if (version() < target && !fresh && upgrade_backups_enabled()) {
      // As for a file: the database as it is, before it is migrated, as a portable backup
      // (gridmap restore), in the audit anchor's directory, which every server shares. The
      // attachments stay where they are: a migration does not touch them.
      if (const char* dir = std::getenv("GRIDMAP_AUDIT_DIR"); dir && *dir) {
        BackupOptions b;
        b.db_path = url;
        b.schema = found;
        b.without_files = true;
        b.out = (std::filesystem::path(dir) /
                 (pg::file_label(url) + ".before-schema-" + std::to_string(target) + "-" +
                  scheduled_backup_name(now_seconds())))
                    .string();
        backup_database(b);
        std::fprintf(stderr, "gridmap: %s is schema %d; backed up to %s before migrating it\n",
                     pg::redacted(url).c_str(), found, b.out.c_str());
      } else {
        std::fprintf(stderr,
                     "gridmap: %s is schema %d and is migrated without a backup "
                     "(GRIDMAP_AUDIT_DIR names none): take a pg_basebackup first\n",
                     pg::redacted(url).c_str(), found);
      }
    }
    if (version() < target) {
      if (!fresh)
        std::fprintf(stderr, "gridmap: %s is schema %d; migrating it to %d\n",
                     pg::redacted(url).c_str(), found, target);
      migrate(db, target);
    }
    t.commit();
    return open_postgresql(url, false, schema);  // a fresh connection plans for the new tables
  }
  return db;
}

Db Db::open(const std::string& path, bool create, int schema) {
  if (pg::is_url(path)) return open_postgresql(path, create, schema);
  if (path.empty()) throw_invalid("--db needs a file name");
  if (!create && !std::filesystem::exists(path))
    throw_invalid("database " + path + " does not exist");
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw, path);
  if (rc != SQLITE_OK) {
    if (!raw) throw Error(ErrorKind::unavailable, "cannot open " + path + ": out of memory");
    throw Error(ErrorKind::unavailable,
                "cannot open database " + path + ": " + sqlite3_errmsg(raw));
  }
  sqlite3_extended_result_codes(raw, 1);
  wait_when_busy(raw);
  // An existing file is only ever migrated when it already is a gridmap database: an empty
  // file or another program's database is not silently turned into a new one (checked
  // before the pragmas below, which would write to it).
  bool ours = false;
  try {
    ours = db.schema_version() != 0;
  } catch (const Error& e) {
    throw Error(ErrorKind::unavailable,
                path + " is not a usable gridmap database (" + e.what() + ")");
  }
  if (!create && !ours)
    throw_invalid(
        path +
        " is not a gridmap database (empty, or another program's file); `gridmap demo` or "
        "`gridmap import` creates one, `gridmap serve --create` an empty one");
  // SpatiaLite is loaded by the first statement that needs it (see prepare()).
  try {
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA secure_delete = ON");
  } catch (const Error& e) {
    throw Error(ErrorKind::unavailable,
                path + " is not a usable gridmap database (" + e.what() + ")");
  }
  // An older database is backed up beside itself before it is migrated: an upgrade that
  // goes wrong, or a binary rolled back, finds it as it was.
  int target = schema > 0 ? schema : kSchemaVersion;
  if (ours && db.schema_version() < target && upgrade_backups_enabled()) {
    BackupOptions b;
    b.db_path = path;
    b.out = path + ".before-schema-" + std::to_string(target) + "-" +
            scheduled_backup_name(now_seconds());
    backup_database(b);
    std::fprintf(stderr, "gridmap: %s is schema %d; backed up to %s before migrating it to %d\n",
                 path.c_str(), db.schema_version(), b.out.c_str(), target);
  }
  if (migrate(db, schema))
    return open(path, false, schema);  // a fresh connection reads the edited schema
  return db;
}

void Db::load_spatialite() {
  // The C API may load extensions; the SQL function load_extension() stays disabled.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* err = nullptr;
  int rc = sqlite3_load_extension(db_, "mod_spatialite", "sqlite3_modspatialite_init", &err);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(ErrorKind::unavailable, "cannot load SpatiaLite (mod_spatialite): " + why);
  }
  spatialite_ = Spatialite::loaded;
}

sqlite3_stmt* Db::prepare(std::string_view sql, unsigned flags, const char** end) {
  sqlite3_stmt* stmt = nullptr;
  auto attempt = [&] {
    return sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, end);
  };
  int rc = attempt();
  // A statement that SQLite cannot compile may use a SpatiaLite function, directly or in a
  // trigger ("no such function"): load it and compile again. Nothing has run yet.
  if (rc != SQLITE_OK && spatialite_ == Spatialite::on_demand) {
    load_spatialite();
    rc = attempt();
  }
  if (rc != SQLITE_OK) fail("cannot prepare statement");
  return stmt;
}

Db Db::open_readonly(const std::string& path) {
  if (path.empty()) throw_invalid("no file name given");
  if (!std::filesystem::is_regular_file(path)) throw_invalid(path + " does not exist");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw, path, Spatialite::never);
  if (rc != SQLITE_OK) {
    if (!raw) throw Error(ErrorKind::unavailable, "cannot open " + path + ": out of memory");
    throw Error(ErrorKind::unavailable, "cannot open " + path + ": " + sqlite3_errmsg(raw));
  }
  sqlite3_extended_result_codes(raw, 1);
  wait_when_busy(raw);
  // SQLite reads the header lazily: ask for the schema now, so a file of another kind fails here.
  try {
    db.exec("SELECT count(*) FROM sqlite_master");
  } catch (const Error& e) {
    throw Error(ErrorKind::unavailable, path + " is not an SQLite database (" + e.what() + ")");
  }
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : reusable_) sqlite3_finalize(stmt);
  pg_.reset();
  if (db_) sqlite3_close_v2(db_);
}

Db::Db(Db&& o) noexcept
    : db_(o.db_),
      path_(std::move(o.path_)),
      spatialite_(o.spatialite_),
      reusable_(std::move(o.reusable_)),
      on_commit_(std::move(o.on_commit_)),
      pg_(std::move(o.pg_)) {
  o.db_ = nullptr;
  o.reusable_.clear();
}

bool Db::in_transaction() const {
  return pg_ ? pg_->in_transaction() : sqlite3_get_autocommit(db_) == 0;
}

void Db::after_commit(std::function<void()> f) {
  if (!in_transaction()) return f();
  on_commit_.push_back(std::move(f));
}

void Db::exec_native(std::string_view sql) {
  if (!pg_) throw_internal("exec_native: not a PostgreSQL database");
  pg_->exec(sql, false);
}

void Db::exec(std::string_view sql) {
  if (pg_) return pg_->exec(sql);
  // What sqlite3_exec does, one statement after the other, each through prepare().
  while (!sql.empty()) {
    const char* end = nullptr;
    sqlite3_stmt* stmt = prepare(sql, 0, &end);
    size_t used = static_cast<size_t>(end - sql.data());
    sql.remove_prefix(used);
    if (!stmt && used == 0) break;
    if (!stmt) continue;  // white space or a comment
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail("SQL failed");
  }
}

int64_t Db::last_insert_rowid() const {
  return pg_ ? pg_->last_insert_id() : sqlite3_last_insert_rowid(db_);
}
bool Db::read_only() const {
  if (pg_) {
    // A hot standby (or a database set read-only) takes no writes.
    Statement st(const_cast<Db&>(*this), "SELECT current_setting('transaction_read_only') = 'on'");
    return st.step() && st.int64(0) == 1;
  }
  return sqlite3_db_readonly(db_, "main") == 1;
}

int64_t Db::stored_bytes() {
  Statement st(*this,
               pg_ ? "SELECT pg_database_size(current_database())"
                   : "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size");
  return st.step() ? st.int64(0) : 0;
}

int Db::changes() const {
  return pg_ ? static_cast<int>(pg_->changes()) : sqlite3_changes(db_);
}

int Db::schema_version() {
  Statement st(*this, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

Statement::Statement(Db& db, std::string_view sql, std::string_view* tail) : db_(&db) {
  if (db.pg_) {
    pg_ = std::make_unique<pg::Cursor>(*db.pg_, sql);
    if (tail) *tail = {};
    return;
  }
  const char* end = nullptr;
  stmt_ = db.prepare(sql, 0, &end);
  if (tail) *tail = sql.substr(static_cast<size_t>(end - sql.data()));
  if (!stmt_) db.fail("empty statement");
}

Statement::Statement(Db& db, std::string_view sql, Reuse) : db_(&db), reuse_sql_(sql) {
  if (db.pg_) {
    // The connection keeps every statement it prepared.
    pg_ = std::make_unique<pg::Cursor>(*db.pg_, sql);
    return;
  }
  auto it = db.reusable_.find(reuse_sql_);
  if (it != db.reusable_.end()) {
    stmt_ = it->second;
    db.reusable_.erase(it);
    return;
  }
  stmt_ = db.prepare(sql, SQLITE_PREPARE_PERSISTENT, nullptr);
  if (!stmt_) db.fail("empty statement");
}

Statement::~Statement() {
  pg_.reset();
  if (!stmt_) return;
  if (!reuse_sql_.empty()) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    // One idle copy per SQL text is kept; another (the same query nested) is finalised.
    if (db_->reusable_.try_emplace(std::move(reuse_sql_), stmt_).second) return;
  }
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(o.stmt_), reuse_sql_(std::move(o.reuse_sql_)), pg_(std::move(o.pg_)) {
  o.stmt_ = nullptr;
}

Statement& Statement::bind(int i, int64_t v) {
  if (pg_) return pg_->bind_int(i, v), *this;
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  if (pg_) return pg_->bind_real(i, v), *this;
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int i, std::string_view t) {
  if (pg_) return pg_->bind_text(i, t), *this;
  if (sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_->fail("bind");
  return *this;
}
Statement& Statement::bind_blob(int i, std::string_view b) {
  if (pg_) return pg_->bind_blob(i, b), *this;
  if (sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_->fail("bind");
  return *this;
}
Statement& Statement::bind_unowned(int i, std::string_view t, bool blob) {
  if (pg_) return blob ? pg_->bind_blob(i, t) : pg_->bind_text(i, t), *this;
  int rc = blob ? sqlite3_bind_blob(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC)
                : sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind_null(int i) {
  if (pg_) return pg_->bind_null(i), *this;
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Statement::step() {
  if (pg_) return pg_->step();
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_->fail("statement failed");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  if (pg_) return pg_->reset();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement::Type Statement::type(int c) const {
  if (pg_) {
    switch (pg_->type(c)) {
      case pg::Cursor::Kind::null:
        return Type::null;
      case pg::Cursor::Kind::integer:
        return Type::integer;
      case pg::Cursor::Kind::real:
        return Type::real;
      case pg::Cursor::Kind::text:
        return Type::text;
      case pg::Cursor::Kind::blob:
        return Type::blob;
    }
  }
  switch (sqlite3_column_type(stmt_, c)) {
    case SQLITE_NULL:
      return Type::null;
    case SQLITE_INTEGER:
      return Type::integer;
    case SQLITE_FLOAT:
      return Type::real;
    case SQLITE_BLOB:
      return Type::blob;
    default:
      return Type::text;
  }
}

bool Statement::is_null(int c) const {
  if (pg_) return pg_->is_null(c);
  return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
int64_t Statement::int64(int c) const {
  if (pg_) return pg_->int64(c);
  return sqlite3_column_int64(stmt_, c);
}
double Statement::real(int c) const {
  if (pg_) return pg_->real(c);
  return sqlite3_column_double(stmt_, c);
}
std::string Statement::text(int c) const {
  if (pg_) return std::string(pg_->text(c));
  const unsigned char* t = sqlite3_column_text(stmt_, c);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, c))
           : std::string();
}
std::string Statement::blob(int c) const {
  if (pg_) return std::string(pg_->blob(c));
  const void* b = sqlite3_column_blob(stmt_, c);
  return b ? std::string(static_cast<const char*>(b), sqlite3_column_bytes(stmt_, c))
           : std::string();
}
std::string_view Statement::blob_view(int c) const {
  if (pg_) return pg_->blob(c);
  const void* b = sqlite3_column_blob(stmt_, c);
  return b ? std::string_view(static_cast<const char*>(b),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string_view();
}
std::optional<int64_t> Statement::opt_int64(int c) const {
  if (is_null(c)) return std::nullopt;
  return int64(c);
}
std::optional<std::string> Statement::opt_text(int c) const {
  if (is_null(c)) return std::nullopt;
  return text(c);
}
int Statement::columns() const {
  if (pg_) return pg_->columns();
  return sqlite3_column_count(stmt_);
}
std::string Statement::column_name(int c) const {
  if (pg_) return pg_->column_name(c);
  return sqlite3_column_name(stmt_, c);
}

Transaction::Transaction(Db& db) : db_(db) {
  // Inside another transaction of this connection (a service composed of services), a
  // savepoint: its rollback undoes its own part only, its commit waits for the outer one.
  nested_ = db_.in_transaction();
  callbacks_before_ = db_.on_commit_.size();
  if (db_.pg_ && !nested_) {
    db_.pg_->exec("BEGIN", false);
    db_.pg_->transaction_open(true);
    try {
      db_.pg_->exec(kWriterLock, false);
    } catch (...) {
      db_.pg_->transaction_open(false);
      try {
        db_.pg_->exec("ROLLBACK", false);
      } catch (const Error&) {
      }
      throw;
    }
    return;
  }
  db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!open_) return;
  const char* undo = nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK";
  if (db_.pg_) {
    if (!nested_) db_.pg_->transaction_open(false);
    // A failure here leaves the connection to the caller's next statement, which reports it.
    try {
      db_.pg_->exec(undo, false);
    } catch (const Error&) {
    }
  } else {
    sqlite3_exec(db_.handle(), undo, nullptr, nullptr, nullptr);
  }
  if (nested_)
    db_.on_commit_.resize(std::min(db_.on_commit_.size(), callbacks_before_));
  else
    db_.on_commit_.clear();
}

void Transaction::commit() {
  if (nested_) {
    db_.exec("RELEASE nested");
    open_ = false;
    return;
  }
  db_.exec("COMMIT");
  if (db_.pg_) db_.pg_->transaction_open(false);
  open_ = false;
  auto done = std::move(db_.on_commit_);
  db_.on_commit_.clear();
  for (auto& f : done) f();
}

}  // namespace gridmap::data
