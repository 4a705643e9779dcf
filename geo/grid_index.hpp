// Point-in-grid: which grid polygon contains a point. Built once from the grids'
// coordinates (no GEOS handle is kept), immutable afterwards: any number of threads may
// query one index at the same time.
//
// Boundary rule: a point on the boundary of several grids belongs to the one that comes
// first in the build input (callers pass grids sorted by code, so the lowest code wins);
// `on_edge` is set and the other grids are listed. All predicates are exact (orientation
// signs agree with GEOS), so the answer never depends on rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "geo/geos.hpp"
#include "geo/types.hpp"

namespace gridmap {

struct LocateHit {
  std::optional<uint32_t> grid;      // position in the build input
  bool on_edge = false;              // the point is on the boundary of `grid`
  std::vector<uint32_t> neighbours;  // other grids whose boundary (or interior) holds the point
};

struct NearestGrid {
  uint32_t grid = 0;
  double distance_m = 0;  // geodesic metres to the grid's boundary
};

class GridIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Areal geometries (Polygon or MultiPolygon, lon/lat) in priority order. `cells_per_edge`
  // trades memory for speed (more cells: more of them wholly inside one grid).
  explicit GridIndex(const std::vector<const GEOSGeometry*>& grids, double cells_per_edge = 1.0);
  ~GridIndex();
  GridIndex(GridIndex&&) noexcept;
  GridIndex& operator=(GridIndex&&) noexcept;

  std::optional<uint32_t> locate(LonLat p) const;  // fast path: the grid only
  // Batch: out[i] = grid of pts[i] or kNone.
  void locate_many(const LonLat* pts, size_t n, uint32_t* out) const;
  LocateHit locate_detail(LonLat p) const;
  // The grid whose boundary is nearest to p, within max_m metres.
  std::optional<NearestGrid> nearest(LonLat p, double max_m) const;
  double distance_to_boundary_m(LonLat p, uint32_t grid) const;

  size_t size() const noexcept;
  size_t memory_bytes() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap
