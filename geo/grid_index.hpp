// Point-in-grid: which grid polygon contains a point. Built once from the grids' geometries;
// immutable afterwards, so many threads may query one index.
//
// Boundary rule: a point on the boundary of several grids belongs to the one with the
// smallest position in the input order (callers pass grids sorted by code, so the lowest
// code wins); `on_edge` is set and the other grids are listed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "geo/geos.hpp"
#include "geo/types.hpp"

namespace gridmap {

struct LocateHit {
  std::optional<uint32_t> grid;     // position in the build input
  bool on_edge = false;             // the point is on the boundary of `grid`
  std::vector<uint32_t> neighbours;  // other grids whose boundary holds the point
};

class GridIndex {
 public:
  // Takes the areal geometries (Polygon or MultiPolygon, valid, lon/lat) in priority order.
  explicit GridIndex(const std::vector<const GEOSGeometry*>& grids);
  ~GridIndex();
  GridIndex(GridIndex&&) noexcept;
  GridIndex& operator=(GridIndex&&) noexcept;

  std::optional<uint32_t> locate(LonLat p) const;  // fast path: grid only
  LocateHit locate_detail(LonLat p) const;
  size_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap
