// Moving a gridmap database between the engines (gridmap migrate --from ... --to ...): every
// table, row for row, in one transaction of the destination, the counts checked at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

struct CopiedTable {
  std::string name;
  int64_t rows = 0;
};

// Copies `from` into `to`: one of them SQLite, the other PostgreSQL, both at this gridmap's
// schema. The destination must hold no data (what its schema seeds is replaced); throws
// invalid_input when it does, internal when a count differs after the copy (nothing is kept
// then). `progress` hears each table once it is copied.
std::vector<CopiedTable> copy_database(
    Db& from, Db& to, const std::function<void(const CopiedTable&)>& progress = {});

// The audit log's key and checkpoints of database `from` copied to where database `to` keeps
// them (AuditAnchor), so that its chain goes on verifying; nothing when `from` has none.
void copy_audit_anchor(const std::string& from, const std::string& to);

}  // namespace gridmap::data
