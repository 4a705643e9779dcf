// PNG encoding of 8-bit RGBA images with libpng.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace gridmap::tiles {

// The PNG of a width x height image, rows top to bottom, 4 bytes (R, G, B, A) a pixel,
// not premultiplied. Fast compression: tiles are made on request. Throws internal when
// libpng fails.
std::string encode_png(int width, int height, std::span<const uint8_t> rgba);

}  // namespace gridmap::tiles
