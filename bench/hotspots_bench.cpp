// Hotspots: the grids' shared-border neighbours and Gi* + FDR over synthetic per-grid counts.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "bench/bench.hpp"
#include "geo/error.hpp"
#include "geo/hotspots.hpp"

namespace gridmap::bench {

namespace {

// Counts per grid: Poisson(8) background with clusters of Poisson(30) around every 500th
// grid and its neighbours. Deterministic for the seed.
std::vector<double> synthetic_counts(const std::vector<std::vector<uint32_t>>& nb, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::poisson_distribution<int> base(8.0), hot(30.0);
  std::vector<double> x(nb.size());
  for (double& v : x) v = base(rng);
  for (size_t i = 0; i < nb.size(); i += 500) {
    x[i] = hot(rng);
    for (uint32_t j : nb[i]) x[j] = hot(rng);
  }
  return x;
}

}  // namespace

void run_hotspots(const Options& o) {
  std::vector<geos::GeomPtr> grids = read_grids(o.dir);
  std::vector<const GEOSGeometry*> raw;
  for (auto& g : grids) raw.push_back(g.get());

  std::vector<std::vector<uint32_t>> nb;
  double build_s = best_seconds(o.runs, [&] { nb = shared_border_neighbours(raw); });
  size_t links = 0;
  for (auto& v : nb) links += v.size();
  note("hotspots: %zu grids, %zu neighbour pairs, built in %.3f s", grids.size(), links / 2,
       build_s);

  // GEOS's answer on the first grids (code order: a compact part of the province) must be
  // the same; GEOS is too slow for all of them.
  size_t subset = std::min<size_t>(grids.size(), 5000);
  std::vector<const GEOSGeometry*> part(raw.begin(), raw.begin() + static_cast<long>(subset));
  std::vector<std::vector<uint32_t>> fast_part, geos_part;
  double fast_part_s = best_seconds(1, [&] { fast_part = shared_border_neighbours(part); });
  double geos_part_s = best_seconds(1, [&] { geos_part = shared_border_neighbours_geos(part); });
  size_t differ = 0;
  for (size_t i = 0; i < subset; ++i) differ += fast_part[i] != geos_part[i];
  note(
      "hotspots: first %zu grids: edge matching %.3f s, GEOS relate %.3f s, %zu grids' neighbours "
      "differ",
      subset, fast_part_s, geos_part_s, differ);

  std::vector<double> x = synthetic_counts(nb, o.spec.seed);
  std::vector<GiStar> stats;
  double gi_s = best_seconds(o.runs, [&] { stats = getis_ord_gi_star(x, nb); });
  size_t hot = 0, cold = 0;
  double zsum = 0;
  for (const GiStar& s : stats)
    hot += is_hot(s.cls), cold += s.cls < HotClass::none, zsum += std::fabs(s.z);
  note("hotspots: Gi* + FDR for %zu grids in %.4f s: %zu hot, %zu cold", stats.size(), gi_s, hot,
       cold);

  if (!o.db.empty()) {  // the inputs of the PostGIS side
    std::FILE* f = std::fopen(o.db.c_str(), "w");
    if (!f) throw_invalid("cannot write " + o.db);
    std::fprintf(f, "id,x\n");
    for (size_t i = 0; i < x.size(); ++i) std::fprintf(f, "%zu,%.0f\n", i + 1, x[i]);
    std::fclose(f);
  }
  report("gistar_neighbours_s", build_s);
  report("gistar_pairs", static_cast<double>(links / 2));
  report("gistar_geos_differ", static_cast<double>(differ));
  report("gistar_geos_checked", static_cast<double>(subset));
  report("gistar_s", gi_s);
  report("gistar_hot", static_cast<double>(hot));
  report("gistar_abs_z_sum", zsum);
}

}  // namespace gridmap::bench
