#include "data/bulk.hpp"

#include "geo/error.hpp"

namespace gridmap::data {
namespace {
void check(Db& db, const std::string& sql) {
  Statement st(db, sql);
  if (!st.step() || st.int64(0) != 1) throw_internal("spatial index maintenance failed: " + sql);
}
}  // namespace

BulkLoad::BulkLoad(Db& db, std::vector<std::string> tables) : db_(db), tables_(std::move(tables)) {
  db_.exec("PRAGMA journal_mode = DELETE");
  db_.exec("PRAGMA synchronous = NORMAL");
  db_.exec("PRAGMA cache_size = -1048576");
  Transaction tx(db_);
  for (const auto& t : tables_) {
    bool spatial = false;
    {
      Statement geo(db_, "SELECT 1 FROM geometry_columns WHERE f_table_name = ?1 AND spatial_index_enabled = 1");
      geo.bind(1, t);
      spatial = geo.step();
    }
    if (spatial) {
      spatial_.push_back(t);
      check(db_, "SELECT DisableSpatialIndex('" + t + "', 'geom')");
      db_.exec("DROP TABLE IF EXISTS \"idx_" + t + "_geom\"");
    }
    std::vector<std::string> names;
    {
      Statement st(db_, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL");
      st.bind(1, t);
      while (st.step()) {
        names.push_back(st.text(0));
        index_sql_.push_back(st.text(1));
      }
    }
    for (const auto& n : names) db_.exec("DROP INDEX \"" + n + "\"");
  }
  tx.commit();
}

void BulkLoad::finish() {
  for (const auto& t : spatial_) check(db_, "SELECT CreateSpatialIndex('" + t + "', 'geom')");
  for (const auto& sql : index_sql_) db_.exec(sql);
  finished_ = true;
}

BulkLoad::~BulkLoad() {
  try {
    if (!finished_) {
      // The load failed and rolled back; bring the indexes back so the file stays usable.
      Transaction tx(db_);
      for (const auto& t : spatial_) check(db_, "SELECT CreateSpatialIndex('" + t + "', 'geom')");
      for (const auto& sql : index_sql_) db_.exec(sql);
      tx.commit();
    }
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = FULL");
    db_.exec("PRAGMA cache_size = -2000");
  } catch (...) {
    // A destructor never throws; the next open sets the pragmas again.
  }
}

}  // namespace gridmap::data
