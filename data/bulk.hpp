// Bulk loading: a big insert runs faster with the spatial-index triggers off and the
// indexes built once at the end, and with a rollback journal instead of WAL (pages go to
// the database file once instead of WAL-then-checkpoint).
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
  std::vector<std::string> tables_;
  bool finished_ = false;
};

}  // namespace gridmap::data
