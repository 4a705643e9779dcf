// An exact validity check of polygons in integer tile coordinates, stricter than OGC's so
// that it can stay simple: rings have area, no two edges of any rings meet except
// consecutive edges of one ring at their shared vertex (so no self-touching rings, spikes
// or rings touching each other), holes lie inside their exterior and outside each other,
// and parts lie outside each other. Whatever passes is valid for GEOS too.
#pragma once

#include <span>

#include "tiles/tile_geometry.hpp"

namespace gridmap::tiles {

bool is_strictly_valid(std::span<const IPolygon> polygons);

}  // namespace gridmap::tiles
