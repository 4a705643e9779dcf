// Coverage QA over the stored layout (geo/coverage does the geometry).
#pragma once

#include <vector>

#include "data/db.hpp"
#include "geo/coverage.hpp"

namespace gridmap::data {

std::vector<Finding> check_stored_coverage(Db& db, double sliver_m2 = 10.0);

// The report as JSON: {"clean":bool,"counts":{kind:n},"findings":[{kind,level,codes,area_m2,detail,geometry}]}
std::string coverage_json(const std::vector<Finding>& findings);

}  // namespace gridmap::data
