// Bulk loading: a big insert runs faster with a rollback journal instead of WAL (pages go
// to the database file once instead of WAL-then-checkpoint), with SpatiaLite's per-row
// triggers and the per-row foreign key checks off (all checked once at the end), and with the
// tables' indexes built once at the end: secondary indexes sorted, spatial indexes packed (an
// R-tree written node by node in Hilbert order instead of a million R*-tree insertions).
//
//   BulkLoad bulk(db, {"households", ...});   // outside a transaction
//   Transaction tx(db);
//   bulk.suspend();                            // inside it, before the first insert
//   ... inserts ...
//   bulk.finish();
//   tx.commit();
//
// What suspend() drops is dropped inside the loading transaction: a failure, a rollback or
// a crash (the rollback journal) brings every index and trigger back as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

class BulkLoad {
 public:
  // Outside a transaction, on a connection no one else uses: the load's journal and cache.
  // `keep`: indexes left in place, kept up by each insert: those whose keys come in about
  // the order rows are inserted (a household's building, a resident's household), which
  // then cost an append each while the load's other stage is the slower one.
  BulkLoad(Db& db, std::vector<std::string> tables, std::vector<std::string> keep = {});
  ~BulkLoad();  // restores WAL, full sync, the usual cache and foreign keys
  BulkLoad(const BulkLoad&) = delete;
  BulkLoad& operator=(const BulkLoad&) = delete;

  // Inside the loading transaction, before the first insert: drops the tables' secondary
  // indexes, their spatial indexes and SpatiaLite's insert triggers.
  void suspend();
  // In the same transaction, after the last insert: checks the tables' references and the
  // new rows' geometries as the dropped triggers would have (type and SRID of their
  // column); throws internal naming the first that fails (the caller rolls back). Notes the insert
  // time, builds the indexes and restores the triggers.
  void finish();

 private:
  struct Column {
    std::string table, column;
    int64_t type = 0, srid = 0;
    bool indexed = false;
    int64_t max_rowid = 0;  // the rows after it are the load's
  };
  Db& db_;
  std::vector<std::string> tables_, keep_;
  std::vector<Column> columns_;
  std::vector<std::string> trigger_sql_;  // SpatiaLite's triggers dropped for the load
  std::vector<std::string> index_sql_;    // secondary indexes dropped for the load
  bool suspended_ = false;
};

// Rows of values gathered for a BatchInsert (or for a statement run row by row), kept
// apart from any connection: one thread may gather them while another writes.
class RowBuffer {
 public:
  explicit RowBuffer(int columns) : columns_(static_cast<size_t>(columns)) {}

  RowBuffer& null();
  RowBuffer& value(int64_t v);
  RowBuffer& value(double v);
  RowBuffer& value(std::string_view text);
  RowBuffer& value(const std::string& text) { return value(std::string_view(text)); }
  RowBuffer& value(const char* text) { return value(std::string_view(text)); }
  RowBuffer& value(const std::optional<std::string>& text);
  RowBuffer& value(const std::optional<int64_t>& v) { return v ? value(*v) : null(); }
  RowBuffer& blob(std::string_view bytes);
  // Ends the row (throws internal if it has not `columns` values).
  void end_row();
  size_t rows() const noexcept { return rows_; }
  size_t columns() const noexcept { return columns_; }
  void clear() noexcept;
  // Binds row `row`'s values to parameters first, first + 1, ... (text and blobs not
  // copied: keep the buffer as it is until the statement is reset).
  void bind_row(Statement& st, size_t row, int first = 1) const;

 private:
  struct Value {
    enum class Kind : uint8_t { null, integer, real, text, blob } kind = Kind::null;
    int64_t i = 0;
    double d = 0;
    size_t at = 0, size = 0;  // text and blob bytes in bytes_
  };
  size_t columns_;
  std::vector<Value> values_;
  std::string bytes_;
  size_t rows_ = 0;
};

// Rows written by INSERTs of many (`INSERT INTO t(a, b) VALUES (?, ?), (?, ?), ...`): one
// statement run per `batch` rows instead of one per row, which also runs once per batch
// what SQLite does once per statement (a CHECK's IN list is an index it builds on each
// run). The caller gives ids itself when it needs them before the rows are written.
class BatchInsert {
 public:
  // `into`: "INSERT INTO t(a, b, c)"; `columns`: values per row; `tail`: what follows the
  // values ("ON CONFLICT ... DO NOTHING").
  BatchInsert(Db& db, std::string into, int columns, std::string tail = {}, int batch = 64);
  // Each value written by its own expression of one `?` ("GeomFromWKB(?, 4326)").
  BatchInsert(Db& db, std::string into, std::vector<std::string> values, std::string tail,
              int batch);
  BatchInsert(const BatchInsert&) = delete;
  BatchInsert& operator=(const BatchInsert&) = delete;

  // Writes every row of `rows` (its columns are this insert's).
  void write(const RowBuffer& rows);

  // Rows gathered here, written by flush(): `full()` says a batch's worth is waiting (the
  // caller orders the flushes of several tables, parents before children).
  RowBuffer& rows() noexcept { return pending_; }
  bool full() const noexcept { return pending_.rows() >= batch_; }
  void flush();

 private:
  std::string sql_for(size_t rows) const;

  Db& db_;
  std::string into_, tail_;
  size_t columns_, batch_;
  std::string row_;  // "(?, ?, ...)"
  RowBuffer pending_;
  std::optional<Statement> full_;
};

// A SpatiaLite point blob (SRID 4326), built here instead of by MakePoint() for each of
// millions of rows.
std::string point_blob(double lon, double lat);
// A point (SRID 4326) as the engine stores it: point_blob on SQLite, EWKB on PostgreSQL (which
// takes bytea into a geometry column as EWKB).
std::string point_geometry(const Db& db, double lon, double lat);

// Writes the R-tree `name` (an `rtree(pkid, xmin, xmax, ymin, ymax)` table, empty, made in
// this transaction) from the bounding boxes of `table`.`column` (SpatiaLite blobs; rows
// without one are left out), packed: leaves filled in Hilbert order of the boxes' centres,
// each level built from the one below. Returns the number of boxes indexed.
int64_t pack_rtree(Db& db, const std::string& name, const std::string& table,
                   const std::string& column);

}  // namespace gridmap::data
