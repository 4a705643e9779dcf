// Web Mercator XYZ tile arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::tiles {

constexpr int kMaxZoom = 24;

struct TileId {
  int z = 0;
  uint32_t x = 0, y = 0;
  friend bool operator==(const TileId&, const TileId&) = default;
};

bool is_valid(TileId t) noexcept;
Box bounds(TileId t) noexcept;  // lon/lat envelope of the tile
TileId tile_at(LonLat p, int z) noexcept;

// A position in Web Mercator as a fraction of the world: x east from -180°, y south from
// +85.05°, both in [0, 1].
struct WorldXY {
  double x = 0, y = 0;
};
WorldXY to_world(LonLat p) noexcept;  // latitudes beyond ±85.0511° are clamped
LonLat to_lonlat(WorldXY w) noexcept;

// Tile-local coordinates: (0, 0) is the tile's north-west corner, (extent, extent) its
// south-east one; y grows southwards as in the vector tile specification.
struct TileXY {
  double x = 0, y = 0;
};

class TileProjection {
 public:
  TileProjection(TileId tile, uint32_t extent) noexcept;
  TileXY operator()(LonLat p) const noexcept;
  TileXY operator()(WorldXY w) const noexcept;
  LonLat inverse(TileXY t) const noexcept;
  // The lon/lat box of the tile grown by `buffer` tile units on every side.
  Box buffered_bounds(double buffer) const noexcept;

 private:
  double scale_, x0_, y0_, extent_;
};

// The tiles at zoom z whose area meets the lon/lat box, row by row.
std::vector<TileId> tiles_covering(Box b, int z);

}  // namespace gridmap::tiles
