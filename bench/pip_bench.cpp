// Batch point-in-grid: GridIndex against a GEOS STRtree of prepared geometries, both on the
// same points in the same (locality) order; plus GridIndex's build time and memory.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bench/bench.hpp"
#include "geo/error.hpp"
#include "geo/grid_index.hpp"
#include "geo/locality.hpp"

namespace gridmap::bench {
namespace {

struct TreeDeleter {
  void operator()(GEOSSTRtree* t) const noexcept { GEOSSTRtree_destroy_r(geos::ctx(), t); }
};
using TreePtr = std::unique_ptr<GEOSSTRtree, TreeDeleter>;

// The baseline a GEOS user would write: STRtree of envelopes, then the prepared geometry's
// covers() on each candidate (lowest position wins, as in GridIndex).
class GeosLocator {
 public:
  explicit GeosLocator(const std::vector<geos::GeomPtr>& grids) {
    GEOSContextHandle_t c = geos::ctx();
    tree_.reset(GEOSSTRtree_create_r(c, 10));
    if (!tree_) throw_internal("GEOS STRtree creation failed");
    for (size_t i = 0; i < grids.size(); ++i) {
      // Items are positions + 1: a null item pointer would be ambiguous.
      GEOSSTRtree_insert_r(c, tree_.get(), grids[i].get(), reinterpret_cast<void*>(i + 1));
      const GEOSPreparedGeometry* p = GEOSPrepare_r(c, grids[i].get());
      if (!p) throw_internal("GEOSPrepare failed");
      prepared_.emplace_back(p);
    }
  }

  uint32_t locate(LonLat p) {
    GEOSContextHandle_t c = geos::ctx();
    geos::GeomPtr pt = geos::point(p);
    candidates_.clear();
    GEOSSTRtree_query_r(c, tree_.get(), pt.get(), &GeosLocator::collect, &candidates_);
    std::sort(candidates_.begin(), candidates_.end());
    for (uint32_t g : candidates_) {
      char r = GEOSPreparedCovers_r(c, prepared_[g].get(), pt.get());
      if (r == 2) throw_internal("GEOSPreparedCovers failed");
      if (r == 1) return g;
    }
    return GridIndex::kNone;
  }

 private:
  static void collect(void* item, void* user) {
    auto* out = static_cast<std::vector<uint32_t>*>(user);
    out->push_back(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(item) - 1));
  }

  TreePtr tree_;
  std::vector<geos::PreparedPtr> prepared_;
  std::vector<uint32_t> candidates_;
};

size_t count_inside(const std::vector<uint32_t>& found) {
  return static_cast<size_t>(
      std::count_if(found.begin(), found.end(), [](uint32_t g) { return g != GridIndex::kNone; }));
}

}  // namespace

void run_pip(const Options& o) {
  std::vector<geos::GeomPtr> grids = read_grids(o.dir);
  std::vector<LonLat> pts = read_points(o.dir);
  std::vector<const GEOSGeometry*> input;
  for (const auto& g : grids) input.push_back(g.get());
  note("pip: %zu grids, %zu points", grids.size(), pts.size());

  std::optional<GridIndex> index;
  double build_s = 1e300;
  for (int r = 0; r < o.runs; ++r) {
    index.reset();
    auto t0 = std::chrono::steady_clock::now();
    index.emplace(input);
    build_s = std::min(
        build_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  report("pip_build_s", build_s);
  report("pip_memory_bytes", static_cast<double>(index->memory_bytes()));

  // locate_many sorts a large batch by cell itself; that sort is part of what is timed.
  std::vector<uint32_t> ours(pts.size());
  double ours_s =
      best_seconds(o.runs, [&] { index->locate_many(pts.data(), pts.size(), ours.data()); });
  report("pip_rate", pts.size() / ours_s);

  // What PostGIS's ST_Intersects join should count: every grid whose closure holds a point.
  size_t memberships = 0, on_edge = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    LocateHit hit = index->locate_detail(pts[i]);
    uint32_t g = hit.grid ? *hit.grid : GridIndex::kNone;
    if (g != ours[i]) throw_internal("pip: locate_many and locate_detail disagree");
    if (hit.grid) memberships += 1 + hit.neighbours.size();
    on_edge += hit.on_edge;
  }
  report("pip_inside", static_cast<double>(count_inside(ours)));
  report("pip_memberships", static_cast<double>(memberships));
  report("pip_on_edge", static_cast<double>(on_edge));

  // GEOS gets the points in Z-order (the sort timed too): its best case, and the fairer
  // comparison with a batch API that sorts; the input-order figure goes to stderr.
  GeosLocator geos_index(grids);
  std::vector<uint32_t> theirs(pts.size());
  double geos_plain_s = best_seconds(1, [&] {
    for (size_t i = 0; i < pts.size(); ++i) theirs[i] = geos_index.locate(pts[i]);
  });
  double geos_s = best_seconds(o.runs, [&] {
    std::vector<uint32_t> order = z_order(pts.data(), pts.size());
    for (uint32_t i : order) theirs[i] = geos_index.locate(pts[i]);
  });
  note("pip: GEOS STRtree + prepared covers: %.0f points/s in input order, %.0f in Z-order",
       pts.size() / geos_plain_s, pts.size() / geos_s);
  size_t differ = 0;
  for (size_t i = 0; i < pts.size(); ++i) differ += theirs[i] != ours[i];
  report("pip_geos_rate", pts.size() / geos_s);
  report("pip_geos_inside", static_cast<double>(count_inside(theirs)));
  report("pip_geos_differ", static_cast<double>(differ));
}

}  // namespace gridmap::bench
