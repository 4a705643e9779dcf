// What a point-in-grid answer names besides codes: each grid's, community's and
// subdistrict's name and the workers of each grid. Read beside the Locator and replaced with
// it, so that both describe the same moment.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

struct PlaceNames {
  using Names = std::unordered_map<std::string, std::string>;  // code -> name
  Names grids, communities, subdistricts;
  std::unordered_map<std::string, std::vector<std::pair<int64_t, std::string>>> workers_by_grid;  // id, name

  static PlaceNames load(Db& db);
  // The name of `code` in `names`, "" when unknown or unnamed.
  static const std::string& of(const Names& names, const std::string& code);
};

}  // namespace gridmap::data
