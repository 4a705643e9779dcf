// Bulk loading: a big insert runs faster with the spatial-index triggers off and the
// indexes built once at the end, and with a rollback journal instead of WAL (pages go to
// the database file once instead of WAL-then-checkpoint), and with the tables' secondary
// indexes dropped and built once, sorted, at the end.
#pragma once

#include <string>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

class BulkLoad {
 public:
  // Must be created outside a transaction, on a connection no one else uses.
  BulkLoad(Db& db, std::vector<std::string> tables);
  ~BulkLoad();  // restores WAL and full sync; indexes are rebuilt only by finish()
  BulkLoad(const BulkLoad&) = delete;
  BulkLoad& operator=(const BulkLoad&) = delete;

  // Rebuilds the suspended spatial indexes; call inside the loading transaction.
  void finish();

 private:
  Db& db_;
  std::vector<std::string> tables_, spatial_;
  std::vector<std::string> index_sql_;  // secondary indexes dropped for the load, rebuilt by finish()
  bool finished_ = false;
};

}  // namespace gridmap::data
