// Web Mercator XYZ tile arithmetic.
#pragma once

#include <cstdint>

#include "geo/types.hpp"

namespace gridmap::tiles {

constexpr int kMaxZoom = 24;

struct TileId {
  int z = 0;
  uint32_t x = 0, y = 0;
};

bool is_valid(TileId t) noexcept;
Box bounds(TileId t) noexcept;  // lon/lat envelope of the tile
TileId tile_at(LonLat p, int z) noexcept;

}  // namespace gridmap::tiles
