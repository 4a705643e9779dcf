// RAII over the storage engine: SQLite with SpatiaLite (loaded when first needed), or PostgreSQL
// with PostGIS for a `postgresql://` URL (pg_engine.hpp). One Db per connection, Statement per
// prepared query, Transaction that rolls back unless committed. SQL is written in SQLite's
// dialect (sql_dialect.hpp says what the PostgreSQL engine rewrites). The only place in gridmap
// that sees sqlite3* (and, with pg_engine, libpq).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace gridmap::data {

class Db;
namespace pg {
class Connection;
class Cursor;
}  // namespace pg

class Statement {
 public:
  // `tail`, when given, receives the SQL after the first statement.
  Statement(Db& db, std::string_view sql, std::string_view* tail = nullptr);
  // A statement run again and again on this connection (a tile's query): taken from the
  // connection's cache, prepared only the first time, and reset and given back when done.
  struct Reuse {};
  static constexpr Reuse reuse{};
  Statement(Db& db, std::string_view sql, Reuse);
  ~Statement();
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  Statement& bind(int i, int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, PetitionId id) { return bind(i, id.value); }
  Statement& bind(int i, WorkerId id) { return bind(i, id.value); }
  Statement& bind(int i, const GridCode& code) { return bind(i, std::string_view(code.value)); }
  Statement& bind_blob(int i, std::string_view bytes);
  Statement& bind_null(int i);
  // Text (or a blob) not copied: the bytes must stay as they are until the statement is
  // reset (a batch's rows bound from their buffer).
  Statement& bind_unowned(int i, std::string_view bytes, bool blob);
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  bool step();  // true while a row is available; throws on error
  void run();   // step to completion, then reset
  void reset();

  enum class Type { null, integer, real, text, blob };
  Type type(int col) const;  // the value's (SQLite) or the column's (PostgreSQL)
  bool is_null(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  std::string_view blob_view(int col) const;  // valid until the next step or reset
  std::optional<int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;
  int columns() const;
  std::string column_name(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string reuse_sql_;           // the cache key, for a reused statement
  std::unique_ptr<pg::Cursor> pg_;  // on the PostgreSQL engine
};

class Db {
 public:
  // Opens (creating when `create`) the file, sets the pragmas and runs the migrations. A
  // `postgresql://` URL connects to PostgreSQL instead: `create` makes the schema in an empty
  // database; a database of a newer schema is refused.
  // SpatiaLite is loaded by the first statement that needs it (one SQLite cannot compile
  // without it), so that what does not use it (a tile export) does not pay for loading it. Throws
  // invalid_input for a missing file when !create, unavailable when the file is not a gridmap
  // database or is locked.
  // `schema`: migrate no further than that version (tests of upgrades); 0 for the latest.
  static Db open(const std::string& path, bool create = true, int schema = 0);
  // Opens an existing SQLite file of another kind (an MBTiles base map) read-only: no
  // SpatiaLite, no migrations. Throws invalid_input for a missing file, unavailable when
  // it is not an SQLite database.
  static Db open_readonly(const std::string& path);
  ~Db();
  Db(Db&& o) noexcept;
  Db& operator=(Db&&) = delete;
  Db(const Db&) = delete;

  void exec(std::string_view sql);
  // PostgreSQL only: runs `sql` as written, in PostgreSQL's own dialect (its DDL).
  void exec_native(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  bool read_only() const;  // the file cannot be written (permissions, a read-only mount)
  // What the database takes on disk: its pages (SQLite, without the WAL), or what PostgreSQL
  // says of it (pg_database_size).
  int64_t stored_bytes();
  // Runs `f` once what was just written is committed: when the open Transaction commits
  // (dropped if it rolls back), or at once outside a transaction. For what must never
  // record an uncommitted write (the audit checkpoint).
  void after_commit(std::function<void()> f);
  int schema_version();
  // On PostgreSQL (a `postgresql://` URL) rather than an SQLite file.
  bool postgresql() const noexcept { return pg_ != nullptr; }
  sqlite3* handle() const noexcept { return db_; }  // null on PostgreSQL
  const std::string& path() const noexcept { return path_; }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  friend class Statement;
  friend class Transaction;
  enum class Spatialite { on_demand, loaded, never };
  Db(sqlite3* db, std::string path, Spatialite spatialite = Spatialite::on_demand);
  explicit Db(std::unique_ptr<pg::Connection> pg);
  // `fresh`: its schema was just made (its migration is not news).
  static Db open_postgresql(const std::string& url, bool create, int schema, bool fresh = false);
  bool in_transaction() const;
  // sqlite3_prepare_v3 of the first statement of `sql`, with SpatiaLite loaded first when it
  // does not compile without it; throws on failure; null for white space or a comment.
  sqlite3_stmt* prepare(std::string_view sql, unsigned flags, const char** end);
  void load_spatialite();
  sqlite3* db_ = nullptr;
  std::string path_;
  Spatialite spatialite_;
  std::unordered_map<std::string, sqlite3_stmt*> reusable_;  // idle reused statements
  std::vector<std::function<void()>> on_commit_;             // of the open transaction
  std::unique_ptr<pg::Connection> pg_;                       // on the PostgreSQL engine
};

// BEGIN IMMEDIATE on construction (a savepoint inside an open transaction of the same
// connection); rolls back on destruction unless commit() succeeded. On PostgreSQL, BEGIN and
// one advisory lock that every writing transaction takes: writers one at a time across every
// server, as SQLite has them, so that a read-then-write decision stays true until the commit.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool open_ = true;
  bool nested_ = false;
  size_t callbacks_before_ = 0;  // after_commit callbacks registered before it began
};

// Whether `db` holds a table (or, on PostgreSQL, any relation) of that name.
bool has_table(Db& db, std::string_view name);

// A database as messages and logs name it: a file's path, a URL without its password.
std::string display_name(const std::string& db);
// `db` names a PostgreSQL database (postgresql://...) rather than an SQLite file.
bool is_postgresql(std::string_view db);

// How many times a connection of this process waited for another's lock (each wait a
// retry after a short sleep; a metric for the server).
uint64_t busy_wait_count() noexcept;

}  // namespace gridmap::data
