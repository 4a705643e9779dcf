// Orders query points by locality (Morton / Z-order of their quantized position), so that a
// batch walks the index's memory roughly in order instead of jumping around at random.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "geo/types.hpp"

namespace gridmap {

// The positions of pts in Z-order (stable), by an LSD radix sort: O(n), no comparisons.
// `bits` per axis (at most 16) sets the resolution over the points' bounding box.
std::vector<uint32_t> z_order(const LonLat* pts, size_t n, int bits = 12);

}  // namespace gridmap
