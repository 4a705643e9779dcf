// Reading a test city's database from the server tests: a count, a household in or out of a
// grid (to act inside and outside a worker's patch).
#pragma once

#include <cstdint>
#include <string>

#include "data/households.hpp"

namespace gridmap::test {

// The first column of the first row of `sql` (a count).
int64_t count_rows(const std::string& db, const std::string& sql);
// The first household (by id) inside `grid`, or outside it when !inside.
data::Household household_in(const std::string& db, const std::string& grid, bool inside);

}  // namespace gridmap::test
