// Point-in-grid over the stored grids: the grid index plus each grid's lineage.
#pragma once

#include <optional>
#include <vector>

#include "data/areas.hpp"
#include "data/db.hpp"
#include "geo/grid_index.hpp"

namespace gridmap::data {

struct Location {
  const GridLineage* grid = nullptr;  // null when the point is in no grid
  bool on_edge = false;
  std::vector<const GridLineage*> neighbours;  // other grids whose boundary holds the point
  double distance_to_edge_m = 0;               // inside a grid: to its boundary
  const GridLineage* nearest = nullptr;        // outside every grid: the nearest one
  double nearest_distance_m = 0;
};

class Locator {
 public:
  static Locator load(Db& db);  // reads every grid
  const GridLineage* locate(LonLat p) const;
  // With distances: to the boundary of the grid, or to the nearest grid (within max_m).
  Location locate_detail(LonLat p, double max_m = 5000) const;
  const GridIndex& index() const noexcept { return index_; }
  const std::vector<GridLineage>& grids() const noexcept { return lineage_; }
  size_t size() const noexcept { return lineage_.size(); }

 private:
  Locator(std::vector<GridLineage> lineage, GridIndex index)
      : lineage_(std::move(lineage)), index_(std::move(index)) {}
  std::vector<GridLineage> lineage_;
  GridIndex index_;
};

}  // namespace gridmap::data
