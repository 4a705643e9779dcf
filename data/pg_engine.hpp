// The PostgreSQL engine behind Db and Statement (db.hpp): one libpq connection, statements
// prepared on first use with the types of their first bindings and kept by the connection,
// results read whole. Internal to data/: nothing else sees libpq.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace gridmap::data::pg {

bool is_url(std::string_view db);  // postgresql://... or postgres://...
// The URL without its password, for messages and logs.
std::string redacted(std::string_view url);
// A file name for the database a URL names: "HOST-PORT-DBNAME", safe characters only.
std::string file_label(const std::string& url);

class Connection {
 public:
  // Connects; throws unavailable (the server cannot be reached, the credentials are refused)
  // or invalid_input (a malformed URL).
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL of one or more statements (SQLite's dialect is translated statement by
  // statement only when `translate`); PRAGMAs are SQLite's and do nothing here.
  void exec(std::string_view sql, bool translate = true);
  bool in_transaction() const;
  // Db's transactions say when one is open: a connection lost then is an error (the work is
  // gone), not a reconnection under it.
  void transaction_open(bool open) noexcept { transaction_open_ = open; }
  // A lost connection (the server restarted, a failover) is made again before the next
  // statement outside a transaction; throws unavailable when it cannot be.
  void ensure_connected();
  // Waits up to `timeout_ms` for a notification of a channel this session LISTENs to;
  // whether one came (all that came are consumed). Throws unavailable when the connection
  // is lost.
  bool wait_for_notification(int timeout_ms);
  int64_t changes() const noexcept { return changes_; }
  int64_t last_insert_id();
  [[noreturn]] void fail(std::string_view what, pg_result* result) const;
  pg_conn* raw() const noexcept { return conn_; }
  const std::string& url() const noexcept { return url_; }
  unsigned geometry_oid() const noexcept { return geometry_oid_; }

 private:
  friend class Cursor;
  // The name of the prepared statement for `sql` with these parameter types (0: as the SQL
  // decides; which of them are bound NULL).
  const std::string& prepared(const std::string& sql, const std::vector<unsigned>& types,
                              const std::vector<bool>& nulls);
  void set_up_session();
  pg_conn* conn_ = nullptr;
  std::string url_;
  bool transaction_open_ = false;
  unsigned geometry_oid_ = 0;
  int64_t changes_ = 0;
  std::unordered_map<std::string, std::string> statements_;  // sql + types → name
};

// One statement's bindings and its result, row by row.
class Cursor {
 public:
  Cursor(Connection& conn, std::string_view sqlite_sql);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  void bind_null(int i);
  void bind_int(int i, int64_t v);
  void bind_real(int i, double v);
  void bind_text(int i, std::string_view v);
  void bind_blob(int i, std::string_view v);
  bool step();
  void reset();  // the result dropped and the bindings cleared

  enum class Kind : unsigned char { null, integer, real, text, blob };
  Kind type(int c) const;  // from the column's type; null for a NULL value
  bool is_null(int c) const;
  int64_t int64(int c) const;
  double real(int c) const;
  std::string_view text(int c) const;
  std::string_view blob(int c) const;  // bytea and geometry (EWKB) decoded
  int columns() const;
  std::string column_name(int c) const;

 private:
  struct Param {
    Kind kind = Kind::null;
    std::string value;
  };
  Param& param(int i);
  void execute();
  Connection& conn_;
  std::string sql_;  // PostgreSQL's dialect
  std::vector<Param> params_;
  pg_result* result_ = nullptr;
  int rows_ = 0;
  int row_ = -1;
  mutable std::vector<std::string> decoded_;  // per column, for the current row
  mutable std::vector<int> decoded_row_;
};

}  // namespace gridmap::data::pg
