// Coverage QA of a grid layout: gaps, overlaps, slivers, grids crossing their community,
// bad codes, grids without a worker. Pure computation over geometries and codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "geo/geos.hpp"

namespace gridmap {

struct CoverageArea {
  std::string code;
  std::string name;
  std::optional<std::string> parent;
  const GEOSGeometry* geom = nullptr;  // areal, lon/lat
};

struct CoverageInput {
  std::vector<CoverageArea> subdistricts, communities, grids;
  std::unordered_set<std::string> grids_with_worker;
  double sliver_m2 = 10.0;  // pieces (and grids) smaller than this are slivers
  double noise_m2 = 0.01;   // below this, differences are rounding noise, not findings
};

enum class FindingKind {
  gap,             // area of a community (subdistrict) covered by none of its grids (communities)
  overlap,         // area covered by two grids (communities)
  sliver,          // a gap/overlap piece or a whole area below the sliver threshold
  outside_parent,  // part of a grid (community) outside its community (subdistrict)
  missing_parent,  // the parent code names no area
  duplicate_code,  // codes that differ only in spacing, width or case
  duplicate_name,  // two areas with the same name under one parent
  malformed_code,  // not the national scheme (9/12/15 digits, prefixed by the parent's)
  no_worker,       // a grid nobody is assigned to
};

std::string_view to_string(FindingKind k) noexcept;

struct Finding {
  FindingKind kind;
  std::string level;               // "grid", "community" or "subdistrict"
  std::vector<std::string> codes;  // areas involved
  double area_m2 = 0;
  std::string geojson;  // the problem's geometry; empty when it has none
  std::string detail;
};

std::vector<Finding> check_coverage(const CoverageInput& input);

}  // namespace gridmap
