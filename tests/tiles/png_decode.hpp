// Decoding PNG images in tests with libpng's own reader (independent of the encoder's code).
#pragma once

#include <catch2/catch.hpp>

#include <png.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gridmap::test {

struct DecodedPng {
  int width = 0, height = 0;
  bool rgba_source = false;  // the file itself is 8-bit RGBA
  std::vector<uint8_t> rgba;
  std::array<uint8_t, 4> at(int x, int y) const {
    const uint8_t* p = &rgba[(size_t(y) * size_t(width) + size_t(x)) * 4];
    return {p[0], p[1], p[2], p[3]};
  }
};

inline DecodedPng decode_png(const std::string& bytes) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()));
  DecodedPng out;
  out.width = int(img.width);
  out.height = int(img.height);
  out.rgba_source = img.format == PNG_FORMAT_RGBA;
  img.format = PNG_FORMAT_RGBA;
  out.rgba.resize(PNG_IMAGE_SIZE(img));
  REQUIRE(png_image_finish_read(&img, nullptr, out.rgba.data(), 0, nullptr));
  return out;
}

// Pixels with any opacity.
inline size_t opaque_pixels(const DecodedPng& img) {
  size_t n = 0;
  for (size_t i = 3; i < img.rgba.size(); i += 4) n += img.rgba[i] != 0;
  return n;
}

}  // namespace gridmap::test
