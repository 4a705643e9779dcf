// Edits of who works where and who lives where, each one transaction and one change notice:
// an admin's edit of a worker (name, duty, grids) and a new household.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/households.hpp"
#include "data/workers.hpp"

namespace gridmap::data {

struct WorkerEdit {
  int64_t id = 0;
  std::optional<std::string> name;
  std::optional<bool> on_duty;
  std::optional<std::vector<std::string>> grids;  // replaces the assignment when given
  std::optional<int64_t> expected_version;        // If-Match
};

// Throws not_found (no such worker), precondition_failed (stale version) or invalid_input
// (an unknown grid); returns the worker as stored.
Worker update_worker(Db& db, ChangeFeed& changes, const WorkerEdit& edit);

// Stores a new household (its grid, community and subdistrict already stamped); its id.
int64_t add_household(Db& db, ChangeFeed& changes, const Household& household);

}  // namespace gridmap::data
