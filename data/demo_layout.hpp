// The street layout of a demo city: a lattice of irregular blocks, bent by a smooth warp,
// partitioned into counties, subdistricts, communities and grids that tile each other
// exactly (shared boundaries are built from the same vertices).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::data::demo {

// Deterministic random numbers that do not depend on the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
  double normal();
  double lognormal(double median, double sigma);
  bool chance(double p) { return uniform() < p; }
  uint64_t raw() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

struct LayoutSpec {
  LonLat centre{111.70, 40.82};
  int counties = 1;
  int subdistricts = 1;
  int communities = 9;
  int grids = 41;
  double cells_per_grid = 4;
  double block_min_m = 140, block_max_m = 320;
  // When >= 0: this subdistrict (index in west->east order) gets exactly these counts.
  int special_subdistrict = -1;
  int special_communities = 0, special_grids = 0;
};

// One area at any level, with the lattice cells it covers.
struct Region {
  int parent = -1;         // index into the level above
  std::vector<int> cells;  // lattice cell indices
  double cu = 0, cv = 0;   // centroid in lattice units (v grows northwards)
  std::vector<std::vector<std::vector<LonLat>>> polygons;  // [polygon][ring][point]; ring 0 shell
};

struct Layout {
  int nx = 0, ny = 0;  // lattice size in cells
  std::vector<Region> counties, subdistricts, communities, grids;
  std::vector<int> grid_of_cell;  // -1 outside the city
  std::vector<double> col_x, row_y;  // block boundaries in metres
  LonLat centre;
  // Warp parameters (metres, radians)
  double warp[12] = {};

  // The position of lattice coordinates (u, v) after the warp, in lon/lat.
  LonLat at(double u, double v) const;
  int cell(int i, int j) const { return j * nx + i; }
  int grid_at(double u, double v) const;  // -1 outside
};

// Builds the layout; orders every level's children north->south, west->east so that codes
// can follow the numbering rule.
Layout make_layout(const LayoutSpec& spec, Rng& rng);

}  // namespace gridmap::data::demo
