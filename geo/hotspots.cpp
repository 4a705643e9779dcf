#include "geo/hotspots.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "geo/error.hpp"

namespace gridmap {

std::string_view to_string(HotClass c) noexcept {
  switch (c) {
    case HotClass::cold_99: return "cold_99";
    case HotClass::cold_95: return "cold_95";
    case HotClass::cold_90: return "cold_90";
    case HotClass::none: return "not_significant";
    case HotClass::hot_90: return "hot_90";
    case HotClass::hot_95: return "hot_95";
    case HotClass::hot_99: return "hot_99";
  }
  return "not_significant";
}

bool is_hot(HotClass c) noexcept { return c == HotClass::hot_90 || c == HotClass::hot_95 || c == HotClass::hot_99; }

std::string_view to_string(Trend t) noexcept {
  switch (t) {
    case Trend::none: return "none";
    case Trend::new_hot: return "new";
    case Trend::persistent_hot: return "persistent";
    case Trend::no_longer_hot: return "no_longer_hot";
  }
  return "none";
}

Trend trend(HotClass previous, HotClass current) noexcept {
  bool was = is_hot(previous), is = is_hot(current);
  if (is && was) return Trend::persistent_hot;
  if (is) return Trend::new_hot;
  if (was) return Trend::no_longer_hot;
  return Trend::none;
}

std::vector<std::vector<uint32_t>> shared_border_neighbours(const std::vector<const GEOSGeometry*>& areas) {
  size_t n = areas.size();
  std::vector<Box> boxes;
  for (auto* a : areas) boxes.push_back(geos::envelope(a));
  // Sweep over x: only pairs whose envelopes overlap are tested.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return boxes[a].min_lon < boxes[b].min_lon; });
  std::vector<std::vector<uint32_t>> out(n);
  for (size_t i = 0; i < n; ++i) {
    const Box& a = boxes[order[i]];
    for (size_t j = i + 1; j < n && boxes[order[j]].min_lon <= a.max_lon; ++j) {
      const Box& b = boxes[order[j]];
      if (b.min_lat > a.max_lat || b.max_lat < a.min_lat) continue;
      // Boundaries meet along a line: dimension 1 in the boundary/boundary cell.
      char r = GEOSRelatePattern_r(geos::ctx(), areas[order[i]], areas[order[j]], "****1****");
      if (r == 2) throw_internal("GEOS relate failed");
      if (r == 1) {
        out[order[i]].push_back(order[j]);
        out[order[j]].push_back(order[i]);
      }
    }
  }
  for (auto& v : out) std::sort(v.begin(), v.end());
  return out;
}

std::vector<GiStar> getis_ord_gi_star(const std::vector<double>& x, const std::vector<std::vector<uint32_t>>& nb) {
  size_t n = x.size();
  std::vector<GiStar> out(n);
  if (n < 3) return out;
  double sum = 0, sum2 = 0;
  for (double v : x) sum += v, sum2 += v * v;
  double mean = sum / static_cast<double>(n);
  double s = std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - mean * mean));
  if (s == 0) return out;
  for (size_t i = 0; i < n; ++i) {
    double wx = x[i];  // the area itself, weight 1
    double w = 1;      // sum of weights == sum of squared weights (binary)
    for (uint32_t j : nb[i]) wx += x[j], w += 1;
    double denom = s * std::sqrt((static_cast<double>(n) * w - w * w) / static_cast<double>(n - 1));
    out[i].z = denom > 0 ? (wx - mean * w) / denom : 0;
    out[i].p = std::erfc(std::fabs(out[i].z) / std::sqrt(2.0));
  }
  classify_fdr(out);
  return out;
}

void classify_fdr(std::vector<GiStar>& stats) {
  size_t n = stats.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return stats[a].p < stats[b].p; });
  // The p-value threshold for each confidence level.
  auto threshold = [&](double alpha) {
    double cut = -1;
    for (size_t k = 0; k < n; ++k)
      if (stats[order[k]].p <= static_cast<double>(k + 1) / static_cast<double>(n) * alpha) cut = stats[order[k]].p;
    return cut;
  };
  double t99 = threshold(0.01), t95 = threshold(0.05), t90 = threshold(0.10);
  for (GiStar& g : stats) {
    int level = g.p <= t99 ? 3 : g.p <= t95 ? 2 : g.p <= t90 ? 1 : 0;
    if (level == 0 || g.z == 0) {
      g.cls = HotClass::none;
    } else if (g.z > 0) {
      g.cls = level == 3 ? HotClass::hot_99 : level == 2 ? HotClass::hot_95 : HotClass::hot_90;
    } else {
      g.cls = level == 3 ? HotClass::cold_99 : level == 2 ? HotClass::cold_95 : HotClass::cold_90;
    }
  }
}

}  // namespace gridmap
