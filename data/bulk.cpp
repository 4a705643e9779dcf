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
    check(db_, "SELECT DisableSpatialIndex('" + t + "', 'geom')");
    db_.exec("DROP TABLE IF EXISTS \"idx_" + t + "_geom\"");
  }
  tx.commit();
}

void BulkLoad::finish() {
  for (const auto& t : tables_) check(db_, "SELECT CreateSpatialIndex('" + t + "', 'geom')");
  finished_ = true;
}

BulkLoad::~BulkLoad() {
  try {
    if (!finished_) {
      // The load failed and rolled back; bring the indexes back so the file stays usable.
      Transaction tx(db_);
      for (const auto& t : tables_) check(db_, "SELECT CreateSpatialIndex('" + t + "', 'geom')");
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
