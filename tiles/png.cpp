#include "tiles/png.hpp"

#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <vector>

#include "geo/error.hpp"

namespace gridmap::tiles {
namespace {

void append(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), size);
}
void flush(png_structp) {}

// Everything between setjmp and the end is plain C: a longjmp out of libpng skips no
// destructor. Returns false when libpng failed.
bool write_png(std::string* out, int width, int height, png_bytep* rows, char* message) {
  png_structp png = png_create_write_struct(
      PNG_LIBPNG_VER_STRING, message,
      [](png_structp p, png_const_charp msg) {
        char* m = static_cast<char*>(png_get_error_ptr(p));
        std::snprintf(m, 200, "%s", msg);
        png_longjmp(p, 1);
      },
      nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, append, flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // Heat images are smooth and mostly transparent: the Sub filter and zlib's fastest level
  // keep them small at a fraction of the default's time.
  png_set_filter(png, 0, PNG_FILTER_SUB);
  png_set_compression_level(png, Z_BEST_SPEED);
  png_set_rows(png, info, rows);
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

std::string encode_png(int width, int height, std::span<const uint8_t> rgba) {
  if (width <= 0 || height <= 0 || rgba.size() != size_t(width) * size_t(height) * 4)
    throw_internal("encode_png: the pixels do not make a " + std::to_string(width) + " x " +
                   std::to_string(height) + " RGBA image");
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[size_t(y)] = const_cast<png_bytep>(rgba.data() + size_t(y) * size_t(width) * 4);
  std::string out;
  out.reserve(size_t(width) * size_t(height) / 4);
  char message[200] = "out of memory";
  if (!write_png(&out, width, height, rows.data(), message))
    throw_internal(std::string("PNG encoding failed: ") + message);
  return out;
}

}  // namespace gridmap::tiles
