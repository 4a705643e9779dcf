// Heat map images and density cells from binned petition counts.
//
// A tile is 64 x 64 bins: cells at level z + 6, 4 px on a 256 px image and 8 px on a 512 px
// (@2x) one, so a bin is the same patch of ground at either size. Bins are the unit of
// privacy too: for planners a bin with fewer than kHeatMinCount petitions is zeroed before
// anything is drawn from it (k-anonymity, k = 5), and density cells are the same bins.
//
// The heat is the binned counts smoothed with a Gaussian of sigma 2 bins (8 px at 256 px,
// cut at 3 sigma), separable, computed on the tile and a margin of kHeatMarginBins bins so
// that neighbouring tiles agree at their seams, then sampled bilinearly at every pixel. The
// colour scale is logarithmic and fixed per zoom: a busy bin of the whole layer (the 99th
// percentile of non-empty bins at that level, unfiltered) reaches the top of the ramp, so
// every tile of a zoom is drawn on the same scale and a filter shows as less heat.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tiles/heat_index.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

constexpr int kHeatBinLevels = 6;
constexpr int kHeatBins = 1 << kHeatBinLevels;  // a side of a tile
constexpr double kHeatSigmaBins = 2.0;
constexpr int kHeatRadiusBins = 6;                    // 3 sigma
constexpr int kHeatMarginBins = kHeatRadiusBins + 1;  // + 1 for the interpolation
constexpr uint32_t kHeatMinCount = 5;

// The bins of a tile with the margin around it (heat), or without (density).
CellBox heat_box(TileId t, int margin);

// Zeroes every bin below kHeatMinCount.
void suppress_small(std::span<uint32_t> bins) noexcept;

// The colour ramp, 256 RGB entries from dark to bright: computed in OKLab with lightness
// rising evenly and the hue turning from violet through red to yellow.
const std::array<std::array<uint8_t, 3>, 256>& heat_ramp();

// The PNG of a tile (256 x 256 for scale 1, 512 x 512 for scale 2) from its bins with the
// margin (heat_box(t, kHeatMarginBins)); busy_cell as HeatIndex::busy_cell at the bins'
// level. Fully transparent where the smoothed heat is nil.
std::string render_heat(std::span<const uint32_t> bins, double busy_cell, int scale);

// The vector tile of layer `density`: one square per non-empty bin (heat_box(t, 0)) with
// `count` and, when there are households in it, `per_100_households`.
std::string render_density(std::span<const uint32_t> counts, std::span<const uint32_t> households);

}  // namespace gridmap::tiles
