// Hotspot statistics over areas: Getis-Ord Gi* with binary contiguity weights (the area
// itself plus every area sharing a border with it), two-sided p-values, and a
// Benjamini-Hochberg false-discovery-rate correction across areas at 90/95/99 % confidence.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "geo/geos.hpp"

namespace gridmap {

// Areas sharing a border: a common boundary of positive length; touching at a corner does
// not count. neighbours[i] is sorted. Exact (orientation signs agree with GEOS), in
// O(E log E) for E boundary segments: segments two areas share vertex for vertex are matched
// by sorting; the few left unmatched (the layout's outline, T-junctions where one area has a
// vertex the other lacks) are swept for collinear overlaps. Rings of holes count too.
std::vector<std::vector<uint32_t>> shared_border_neighbours(
    const std::vector<const GEOSGeometry*>& areas);
// The same answer from GEOS (relate pattern ****1**** on every pair whose envelopes meet):
// the reference the fast search is tested and benchmarked against; much slower.
std::vector<std::vector<uint32_t>> shared_border_neighbours_geos(
    const std::vector<const GEOSGeometry*>& areas);

enum class HotClass { cold_99, cold_95, cold_90, none, hot_90, hot_95, hot_99 };
std::string_view to_string(HotClass c) noexcept;
bool is_hot(HotClass c) noexcept;

struct GiStar {
  double z = 0;
  double p = 1;  // two-sided
  HotClass cls = HotClass::none;
};

// Gi* for every area with binary weights: w_ij = 1 for j = i and for every neighbour of i,
// else 0. z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * W_i - W_i^2) / (n - 1))) with
// W_i = sum_j w_ij (= sum of squared weights), mean and S the population mean and standard
// deviation of x (Getis & Ord 1992, Ord & Getis 1995). With fewer than 3 areas or no
// variance every z is 0.
std::vector<GiStar> getis_ord_gi_star(const std::vector<double>& values,
                                      const std::vector<std::vector<uint32_t>>& neighbours);

// Classes after the FDR correction: the largest rank k with p_(k) <= k/n * alpha is
// significant at that alpha, and so is every smaller p.
void classify_fdr(std::vector<GiStar>& stats);

enum class Trend { none, new_hot, persistent_hot, no_longer_hot };
std::string_view to_string(Trend t) noexcept;
Trend trend(HotClass previous, HotClass current) noexcept;

}  // namespace gridmap
