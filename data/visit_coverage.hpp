// Visit coverage (入户走访 考核 figures) per grid or per worker, as of a time: households,
// households visited in the last 30 and 90 days, households never visited, and visits per
// working day over the last 30 days (working days: the database's working calendar,
// data/calendar_store.hpp — holidays off, 调休 Saturdays on).
//
// Per grid: the grid's households and every visit to them, whoever made it. Per worker: the
// households of the worker's grids and the worker's own visits (to them, for the household
// counts; to any household, for visits per working day).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/features.hpp"

namespace gridmap::data {

enum class CoverageLevel { grid, worker };
std::optional<CoverageLevel> parse_coverage_level(std::string_view s) noexcept;

struct VisitCoverageQuery {
  CoverageLevel level = CoverageLevel::grid;
  int64_t now = 0;
  // A supervisor's area: only these grids, or workers with a grid among them (nullptr: all).
  const std::vector<std::string>* grids = nullptr;
};

struct VisitCoverage {
  std::string grid_code;                         // level grid
  std::optional<int64_t> worker_id;              // level worker
  std::string name;                              // the grid's or the worker's
  std::string community_code, subdistrict_code;  // level grid ('' when none)
  int64_t households = 0;
  int64_t visited_30d = 0, visited_90d = 0, never_visited = 0;
  int64_t visits_30d = 0;
  int64_t working_days_30d = 0;
  double visits_per_working_day = 0;
  double share_30d = 0;  // visited_30d / households (0 without households)
};

std::vector<VisitCoverage> visit_coverage(Db& db, const VisitCoverageQuery& q);
// Level grid as features: each grid's polygon (simplified to about a metre) with the figures
// as properties, for a map coloured by coverage.
std::vector<Feature> visit_coverage_features(Db& db, const VisitCoverageQuery& q);

}  // namespace gridmap::data
