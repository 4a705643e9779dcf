// Moving a gridmap database between the engines (gridmap migrate --from ... --to ...): every
// table, row for row, read from one snapshot of the source a page at a time and committed to
// the destination as it goes, resumable, the counts checked at the end.
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
// schema. The destination must hold no data (what its schema seeds is replaced), unless it
// holds a copy from `from` under way (gridmap_copy_progress): that copy goes on after the last
// row committed. Throws invalid_input for a destination holding data or another source's copy,
// internal when a count differs after the copy. `progress` hears each table once it is copied
// (or found copied by the earlier run).
std::vector<CopiedTable> copy_database(
    Db& from, Db& to, const std::function<void(const CopiedTable&)>& progress = {});

// The audit log's key and checkpoints of database `from` copied to where database `to` keeps
// them (AuditAnchor), so that its chain goes on verifying; nothing when `from` has none.
void copy_audit_anchor(const std::string& from, const std::string& to);

}  // namespace gridmap::data
