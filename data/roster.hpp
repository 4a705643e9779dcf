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

// A household's address or place (with the grid, community and subdistrict of the new place,
// stamped by the caller), checked against the version the editor saw.
struct HouseholdEdit {
  int64_t id = 0;
  std::optional<std::string> address;
  std::optional<Household> moved_to;        // position and lineage, when it moves
  std::optional<int64_t> expected_version;  // If-Match
};
// Throws not_found or precondition_failed; returns the household as stored.
Household update_household(Db& db, ChangeFeed& changes, const HouseholdEdit& edit);
// Removes a household no one lives in and no visit names: throws not_found,
// precondition_failed, or conflict while it has residents or visits (their records are
// personal data and field work; they go first, each by its own route).
void remove_household(Db& db, ChangeFeed& changes, int64_t id, std::optional<int64_t> expected_version);

}  // namespace gridmap::data
