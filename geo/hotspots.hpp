// Hotspot statistics over areas: Getis-Ord Gi* with binary contiguity weights (the area
// itself plus every area sharing a border with it), two-sided p-values, and a
// Benjamini-Hochberg false-discovery-rate correction across areas at 90/95/99 % confidence.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "geo/geos.hpp"

namespace gridmap {

// Areas sharing a border (a common boundary of positive length; touching at a corner does
// not count). neighbours[i] is sorted.
std::vector<std::vector<uint32_t>> shared_border_neighbours(const std::vector<const GEOSGeometry*>& areas);

enum class HotClass { cold_99, cold_95, cold_90, none, hot_90, hot_95, hot_99 };
std::string_view to_string(HotClass c) noexcept;
bool is_hot(HotClass c) noexcept;

struct GiStar {
  double z = 0;
  double p = 1;  // two-sided
  HotClass cls = HotClass::none;
};

// Gi* for every area. With fewer than 3 areas or no variance every z is 0.
std::vector<GiStar> getis_ord_gi_star(const std::vector<double>& values, const std::vector<std::vector<uint32_t>>& neighbours);

// Classes after the FDR correction: the largest rank k with p_(k) <= k/n * alpha is
// significant at that alpha, and so is every smaller p.
void classify_fdr(std::vector<GiStar>& stats);

enum class Trend { none, new_hot, persistent_hot, no_longer_hot };
std::string_view to_string(Trend t) noexcept;
Trend trend(HotClass previous, HotClass current) noexcept;

}  // namespace gridmap
