// Area features of one tile layer made ready for encoding: clipped to the tile plus a
// buffer, snapped to the integer grid, simplified and freed of what is below a pixel.
//
// Neighbouring areas (grids in a community, communities in a subdistrict) share their
// boundary vertices exactly. Snapping maps identical coordinates to identical integers, and
// simplification then works on the tile's boundary network rather than on each polygon:
// rings are cut at junctions (vertices where the set of neighbours changes: three areas
// meet, a shared border ends, or the clip edge), and each chain between junctions is
// simplified in a canonical direction by a rule that sees only the chain's own vertices.
// Both areas along a border therefore keep exactly the same vertices, and no gap or sliver
// opens between them. Spikes left by snapping are removed (which changes no area); a
// feature still invalid (a simplified chain crossing another) is snap-rounded by GEOS,
// which keeps its vertices and turns crossings into nodes.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "tiles/tile_geometry.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

// A polygon in (fractional) tile coordinates; rings without closing point, first = exterior.
struct DPolygon {
  std::vector<std::vector<TileXY>> rings;
};
using DFeature = std::vector<DPolygon>;  // the parts of one feature

struct GeneraliseOptions {
  double buffer = 64;    // tile units kept around the tile
  double tolerance = 4;  // simplification distance, tile units (half a pixel of a 512 px tile)
  double min_area = 64;  // parts and holes below this (tile units², one pixel) are dropped
  double extent = 4096;
};

struct GeneraliseStats {
  size_t clipped = 0;   // features that crossed the buffer's edge
  size_t dropped = 0;   // features left with nothing (outside, or below a pixel)
  size_t repaired = 0;  // features that needed the GEOS fallback
  size_t vertices_in = 0, vertices_out = 0;
};

// One result per input feature, in order; an empty vector means the feature is dropped.
std::vector<std::vector<IPolygon>> generalise_areas(std::span<const DFeature> features,
                                                    const GeneraliseOptions& options,
                                                    GeneraliseStats* stats = nullptr);
// The same, for features held elsewhere (no copies).
std::vector<std::vector<IPolygon>> generalise_areas(std::span<const DFeature* const> features,
                                                    const GeneraliseOptions& options,
                                                    GeneraliseStats* stats = nullptr);

// Polygons already generalised (snapped, simplified, valid) clipped to the square [lo, hi]²
// in their own integer coordinates: each ring against the four edges in turn (Sutherland-
// Hodgman), new points where an edge is crossed computed from the segment's ends in a
// fixed order and rounded, so that two areas sharing the segment get the same point; then
// spikes, rings and parts below min_area are dropped. A result that is not strictly valid
// (a concave part leaving a bridge along the edge) is clipped by GEOS instead and
// snap-rounded. Counts clipped and repaired in stats.
std::vector<IPolygon> clip_to_box(std::span<const IPolygon> polygons, int32_t lo, int32_t hi,
                                  double min_area, GeneraliseStats* stats = nullptr);

// A point inside the feature's largest part (for labels), in the same coordinates; stable
// across tiles and zooms because it depends on the shape only. nullopt when it has no area.
std::optional<TileXY> interior_point(const DFeature& feature);

// Twice the signed area of a ring in tile coordinates (see twice_area()).
double twice_area(const std::vector<TileXY>& ring);

}  // namespace gridmap::tiles
