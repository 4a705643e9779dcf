// Resident records (personal data): read masked, revealed only on purpose (and audited),
// deleted for good.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/households.hpp"

namespace gridmap::data {

std::string mask_phone(const std::string& phone);  // 13812341234 -> 138****1234
std::string mask_id(const std::string& id);        // 110101199003071234 -> 110***********1234
std::string mask_name(const std::string& name);    // 王小明 -> 王** (the family name only)

// The residents of a household, masked unless `reveal`.
std::vector<Resident> residents_of(Db& db, int64_t household_id, bool reveal);
std::optional<Resident> resident(Db& db, int64_t id, bool reveal);
// The grid of the household a resident or household belongs to (for scope checks).
std::optional<std::string> household_grid(Db& db, int64_t household_id);
// Deletes the record; with secure_delete on and the WAL checkpointed, its bytes leave the file.
bool delete_resident(Db& db, int64_t id);

}  // namespace gridmap::data
