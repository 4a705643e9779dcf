// Signed distance fields for map labels, as MapLibre reads them: one byte per pixel, the
// glyph's edge at 255 * (1 - cutoff), inside brighter, outside darker, falling to 0 at
// radius * (1 - cutoff) pixels outside the edge. Exact Euclidean distances by the
// Felzenszwalb-Huttenlocher distance transform, as TinySDF computes them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gridmap::tiles {

struct SdfOptions {
  int buffer = 3;        // blank pixels around the glyph on every side
  double radius = 8;     // pixels of distance the 0..255 range spans
  double cutoff = 0.25;  // where the edge sits in that range
};

// `alpha` is a width x height coverage bitmap (0 = empty, 255 = ink), row by row. Returns a
// (width + 2 * buffer) x (height + 2 * buffer) field, row by row.
std::vector<uint8_t> signed_distance_field(std::span<const uint8_t> alpha, int width, int height,
                                           const SdfOptions& options = {});

}  // namespace gridmap::tiles
