#include "data/pg_engine.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "data/sql_dialect.hpp"
#include "geo/error.hpp"

namespace gridmap::data::pg {
namespace {

constexpr unsigned kBytea = 17;
constexpr unsigned kInt8 = 20;
constexpr unsigned kText = 25;
constexpr unsigned kFloat8 = 701;

// More distinct statements than this on one connection (lists built with a varying number of
// parameters) and the connection forgets them all and starts again.
constexpr size_t kMaxPrepared = 2000;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

bool starts_with_word(std::string_view sql, std::string_view word) {
  size_t i = sql.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || sql.size() - i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k)
    if (std::toupper(static_cast<unsigned char>(sql[i + k])) != word[k]) return false;
  return sql.size() == i + word.size() ||
         !std::isalnum(static_cast<unsigned char>(sql[i + word.size()]));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea's text form (\x and hex digits) or a geometry's (hex EWKB) as bytes.
void decode_hex(std::string_view v, std::string& out) {
  if (v.size() >= 2 && v[0] == '\\' && v[1] == 'x') v.remove_prefix(2);
  out.resize(v.size() / 2);
  for (size_t i = 0; i + 1 < v.size(); i += 2)
    out[i / 2] = static_cast<char>(hex_value(v[i]) * 16 + hex_value(v[i + 1]));
}

// SQLSTATE classes as gridmap's error kinds: a broken constraint is a conflict, what may pass
// by waiting (a lost connection, a deadlock, a standby that cannot write) is unavailable.
ErrorKind kind_of(const char* state) {
  if (!state) return ErrorKind::unavailable;  // no answer: the connection is gone
  std::string_view s(state);
  if (s.starts_with("23")) return ErrorKind::conflict;
  if (s.starts_with("08") || s.starts_with("40") || s.starts_with("53") || s.starts_with("57") ||
      s.starts_with("58") || s == "25006" || s == "55P03")
    return ErrorKind::unavailable;
  return ErrorKind::internal;
}

}  // namespace

bool is_url(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string redacted(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t at = url.find('@', scheme + 3);
  if (at == std::string_view::npos) return std::string(url);
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::string file_label(const std::string& url) {
  std::string host, port = "5432", dbname;
  if (PQconninfoOption* options = PQconninfoParse(url.c_str(), nullptr)) {
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (!o->val) continue;
      std::string_view k = o->keyword;
      if (k == "host" || k == "hostaddr") host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") dbname = o->val;
    }
    PQconninfoFree(options);
  }
  std::string out = (host.empty() ? "local" : host) + "-" + port + "-" + dbname;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return out;
}

Connection::Connection(const std::string& url) : url_(url) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &err);
  if (!parsed) {
    std::string why = err ? err : "malformed";
    PQfreemem(err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw_invalid("--db " + redacted(url) + ": " + why);
  }
  PQconninfoFree(parsed);
  conn_ = PQconnectdb(url.c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw Error(ErrorKind::unavailable, "cannot connect to PostgreSQL: " + why);
  }
  set_up_session();
}

void Connection::set_up_session() {
  // Times are bigint seconds; text comparisons byte by byte as SQLite's. Statements are
  // planned for the values bound: written for SQLite, whose planner sees them, they leave
  // filters optional (?1 IS ?1) and bound ranges open, which a generic plan cannot know; one
  // for "the events after N" read the whole table (40 ms against 0.05 ms on a city's 400,000
  // events). Planning again costs well under a millisecond once the session's caches are warm.
  exec(
      "SET TIME ZONE 'UTC'; SET client_min_messages = warning; "
      "SET plan_cache_mode = force_custom_plan",
      false);
  Result r(PQexec(conn_, "SELECT oid FROM pg_type WHERE typname = 'geometry'"));
  if (PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) > 0)
    geometry_oid_ = static_cast<unsigned>(std::strtoul(PQgetvalue(r.get(), 0, 0), nullptr, 10));
}

void Connection::ensure_connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return;
  if (transaction_open_)
    throw Error(ErrorKind::unavailable,
                "the connection to PostgreSQL was lost in the middle of a transaction");
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw Error(ErrorKind::unavailable, "cannot connect to PostgreSQL again: " + why);
  }
  statements_.clear();  // a new session has none of the old one's
  set_up_session();
}

bool Connection::wait_for_notification(int timeout_ms) {
  auto lost = [this] {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw Error(ErrorKind::unavailable, "the listening connection to PostgreSQL was lost: " + why);
  };
  auto drain = [this] {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      PQfreemem(n);
      any = true;
    }
    return any;
  };
  if (PQstatus(conn_) != CONNECTION_OK) lost();
  if (drain()) return true;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) lost();
  int ready = ::poll(&fd, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) lost();
  if (ready <= 0) return false;
  if (PQconsumeInput(conn_) == 0) lost();
  return drain();
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

void Connection::fail(std::string_view what, pg_result* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = result ? PQresultErrorMessage(result) : "";
  if (msg.empty()) msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string text = std::string(what) + ": " + msg + " (postgresql " + (state ? state : "-") + ")";
  throw Error(PQstatus(conn_) == CONNECTION_OK ? kind_of(state) : ErrorKind::unavailable, text);
}

void Connection::exec(std::string_view sql, bool translate) {
  // SQLite's pragmas tune SQLite; PostgreSQL's settings belong to its operator.
  if (starts_with_word(sql, "PRAGMA")) return;
  ensure_connected();
  std::string text = translate ? to_postgresql(sql).sql : std::string(sql);
  Result r(PQexec(conn_, text.c_str()));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("SQL failed", r.get());
  changes_ = std::atoll(PQcmdTuples(r.get()));
}

bool Connection::in_transaction() const {
  // A lost connection (PQTRANS_UNKNOWN) holds no transaction: the next one begins afresh on a
  // connection made again (or fails, when Db's transaction was open, see transaction_open()).
  PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_ACTIVE || s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

int64_t Connection::last_insert_id() {
  // Set by the tables' insert triggers (the schema), for the outermost insert only.
  ensure_connected();
  Result r(PQexec(conn_, "SELECT current_setting('gridmap.last_id', true)"));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("last insert id", r.get());
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return 0;
  return std::atoll(PQgetvalue(r.get(), 0, 0));
}

const std::string& Connection::prepared(const std::string& sql, const std::vector<unsigned>& types,
                                        const std::vector<bool>& nulls) {
  std::string key = sql;
  key.push_back('\0');
  for (unsigned t : types) key += std::to_string(t) + ',';
  auto it = statements_.find(key);
  if (it != statements_.end()) return it->second;
  ensure_connected();
  if (statements_.size() >= kMaxPrepared) {
    Result r(PQexec(conn_, "DEALLOCATE ALL"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("cannot forget statements", r.get());
    statements_.clear();
  }
  // Names are never reused: the map only grows until it is cleared with the server's copies.
  std::string name = "g";  // appended: GCC 12's -O3 -Wrestrict misfires on "g" + ...
  name += std::to_string(statements_.size() + 1);
  // A failed PREPARE aborts the open transaction: inside one it runs in a savepoint, so that
  // the types can be given explicitly and the statement prepared again.
  bool inside = in_transaction();
  auto quietly = [this](const char* sql) { Result ignored(PQexec(conn_, sql)); };
  auto attempt = [&](const std::vector<unsigned>& t) -> Result {
    if (inside) quietly("SAVEPOINT gridmap_prepare");
    Result r(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(t.size()), t.data()));
    if (inside)
      quietly(PQresultStatus(r.get()) == PGRES_COMMAND_OK
                  ? "RELEASE gridmap_prepare"
                  : "ROLLBACK TO gridmap_prepare; RELEASE gridmap_prepare");
    return r;
  };
  Result r = attempt(types);
  // The connection found dead by this PREPARE (the server restarted or failed over since its
  // last statement): nothing was run on it, so the statement is prepared on a new one. The
  // next query or write then runs there once. (Inside a transaction, ensure_connected fails.)
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQstatus(conn_) != CONNECTION_OK) {
    ensure_connected();
    name = "g";
    name += std::to_string(statements_.size() + 1);
    inside = in_transaction();
    r = attempt(types);
  }
  // A parameter whose type nothing decides (`?1 IS NULL OR col = ?1` bound NULL, length(?1)):
  // the NULLs are given a type, text, then bigint, then double precision; last, text bound as
  // text is said to be text too. (Two NULLs of different types in one statement need a CAST
  // in the SQL.)
  const std::pair<unsigned, unsigned> guesses[] = {
      {kText, 0}, {kInt8, 0}, {kFloat8, 0}, {kText, kText}};
  for (auto [for_null, for_text] : guesses) {
    if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) break;
    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    std::string_view s = state ? state : "";
    if (s != "42P08" && s != "42P18" && s != "42725" && s != "42883" && s != "42804") break;
    std::vector<unsigned> typed = types;
    bool changed = false;
    for (size_t k = 0; k < typed.size(); ++k) {
      if (typed[k] != 0) continue;
      typed[k] = nulls[k] ? for_null : for_text;
      changed = changed || typed[k] != 0;
    }
    if (changed) r = attempt(typed);
  }
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    fail("cannot prepare statement (" + sql.substr(0, 160) + ")", r.get());
  return statements_.emplace(std::move(key), std::move(name)).first->second;
}

Cursor::Cursor(Connection& conn, std::string_view sql) : conn_(conn) {
  if (starts_with_word(sql, "PRAGMA")) {
    // The pragmas read by gridmap, answered as SQLite would for a sound database.
    if (sql.find("user_version") != std::string_view::npos)
      sql_ = "SELECT version FROM gridmap_schema";
    else if (sql.find("integrity_check") != std::string_view::npos)
      sql_ = "SELECT 'ok'";
    else if (sql.find("foreign_key_check") != std::string_view::npos)
      sql_ = "SELECT 1 WHERE false";
    else
      sql_ = "SELECT 0, 0, 0";
    return;
  }
  PgSql t = to_postgresql(sql);
  sql_ = std::move(t.sql);
  params_.resize(static_cast<size_t>(t.params));
}

Cursor::~Cursor() {
  if (result_) PQclear(result_);
}

Cursor::Param& Cursor::param(int i) {
  if (result_) {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
  }
  if (i < 1 || static_cast<size_t>(i) > params_.size())
    throw Error(ErrorKind::internal, "bind: no parameter " + std::to_string(i) + " in " + sql_);
  return params_[static_cast<size_t>(i - 1)];
}

void Cursor::bind_null(int i) {
  param(i) = Param{};
}
void Cursor::bind_int(int i, int64_t v) {
  param(i) = Param{Kind::integer, std::to_string(v)};
}
void Cursor::bind_real(int i, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  param(i) = Param{Kind::real, std::string(buf, ec == std::errc() ? end : buf)};
}
void Cursor::bind_text(int i, std::string_view v) {
  param(i) = Param{Kind::text, std::string(v)};
}
void Cursor::bind_blob(int i, std::string_view v) {
  param(i) = Param{Kind::blob, std::string(v)};
}

void Cursor::execute() {
  std::vector<unsigned> types(params_.size());
  std::vector<bool> nulls(params_.size());
  std::vector<const char*> values(params_.size());
  std::vector<int> lengths(params_.size()), formats(params_.size());
  for (size_t k = 0; k < params_.size(); ++k) {
    const Param& p = params_[k];
    // Text takes the type its place asks for; numbers and bytes say theirs.
    types[k] = p.kind == Kind::integer ? kInt8
               : p.kind == Kind::real  ? kFloat8
               : p.kind == Kind::blob  ? kBytea
                                       : 0;
    values[k] = p.kind == Kind::null ? nullptr : p.value.data();
    nulls[k] = p.kind == Kind::null;
    lengths[k] = static_cast<int>(p.value.size());
    formats[k] = p.kind == Kind::blob ? 1 : 0;
  }
  auto run = [&]() -> PGresult* {
    conn_.ensure_connected();
    if (params_.empty()) return PQexec(conn_.conn_, sql_.c_str());
    const std::string& name = conn_.prepared(sql_, types, nulls);
    return PQexecPrepared(conn_.conn_, name.c_str(), static_cast<int>(params_.size()),
                          values.data(), lengths.data(), formats.data(), 0);
  };
  PGresult* r = run();
  ExecStatusType st = PQresultStatus(r);
  // A query that found the connection dead (the server restarted since the last statement)
  // is asked again on a new one: it changed nothing. A write is not: it may have committed.
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && PQstatus(conn_.conn_) != CONNECTION_OK &&
      !conn_.transaction_open_ && starts_with_word(sql_, "SELECT")) {
    PQclear(r);
    r = run();
    st = PQresultStatus(r);
  }
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    Result owned(r);
    conn_.fail("statement failed", r);
  }
  result_ = r;
  rows_ = PQntuples(r);
  conn_.changes_ = std::atoll(PQcmdTuples(r));
  decoded_.assign(static_cast<size_t>(PQnfields(r)), std::string());
  decoded_row_.assign(decoded_.size(), -1);
}

bool Cursor::step() {
  if (!result_) {
    execute();
    row_ = 0;
  } else {
    ++row_;
  }
  return row_ < rows_;
}

void Cursor::reset() {
  if (result_) PQclear(result_);
  result_ = nullptr;
  row_ = -1;
  for (Param& p : params_) p = Param{};
}

Cursor::Kind Cursor::type(int c) const {
  if (is_null(c)) return Kind::null;
  unsigned t = PQftype(result_, c);
  if (t == kInt8 || t == 21 || t == 23 || t == 16) return Kind::integer;  // int8/2/4, bool
  if (t == kFloat8 || t == 700 || t == 1700) return Kind::real;           // float8/4, numeric
  if (t == kBytea || (t == conn_.geometry_oid() && t != 0)) return Kind::blob;
  return Kind::text;
}

bool Cursor::is_null(int c) const {
  return !result_ || row_ >= rows_ || PQgetisnull(result_, row_, c);
}

std::string_view Cursor::text(int c) const {
  if (is_null(c)) return {};
  return {PQgetvalue(result_, row_, c), static_cast<size_t>(PQgetlength(result_, row_, c))};
}

int64_t Cursor::int64(int c) const {
  std::string_view v = text(c);
  if (v.empty()) return 0;
  if (v == "t") return 1;
  if (v == "f") return 0;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && end == v.data() + v.size()) return n;
  return static_cast<int64_t>(real(c));  // numeric or double precision, as SQLite converts
}

double Cursor::real(int c) const {
  std::string_view v = text(c);
  if (v.empty()) return 0;
  if (v == "t") return 1;
  if (v == "f") return 0;
  return std::strtod(std::string(v).c_str(), nullptr);
}

std::string_view Cursor::blob(int c) const {
  std::string_view v = text(c);
  unsigned type = PQftype(result_, c);
  if (v.empty() || (type != kBytea && (type != conn_.geometry_oid() || type == 0))) return v;
  auto col = static_cast<size_t>(c);
  if (decoded_row_[col] != row_) {
    decode_hex(v, decoded_[col]);
    decoded_row_[col] = row_;
  }
  return decoded_[col];
}

int Cursor::columns() const {
  if (result_) return PQnfields(result_);
  return 0;
}

std::string Cursor::column_name(int c) const {
  return result_ ? PQfname(result_, c) : "";
}

}  // namespace gridmap::data::pg
