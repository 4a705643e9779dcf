#include "tiles/gzip.hpp"

#include <libdeflate.h>

#include <memory>

#include "geo/error.hpp"

namespace gridmap::tiles {
namespace {
struct CompressorFree {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};
struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};
}  // namespace

std::string gzip(std::string_view raw, int level) {
  // A compressor is large (hundreds of kilobytes, a fresh mmap each time): one per thread
  // and level, kept.
  thread_local std::unique_ptr<libdeflate_compressor, CompressorFree> compressors[13];
  if (level < 0 || level > 12) throw_internal("gzip level must be 0 to 12");
  auto& c = compressors[level];
  if (!c) c.reset(libdeflate_alloc_compressor(level));
  if (!c) throw_internal("cannot allocate a gzip compressor");
  std::string out(libdeflate_gzip_compress_bound(c.get(), raw.size()), '\0');
  size_t n = libdeflate_gzip_compress(c.get(), raw.data(), raw.size(), out.data(), out.size());
  if (n == 0) throw_internal("gzip compression failed");
  out.resize(n);
  return out;
}

std::string gunzip(std::string_view compressed, size_t raw_size) {
  std::unique_ptr<libdeflate_decompressor, DecompressorFree> d(libdeflate_alloc_decompressor());
  if (!d) throw_internal("cannot allocate a gzip decompressor");
  std::string out(raw_size, '\0');
  size_t actual = 0;
  libdeflate_result r = libdeflate_gzip_decompress(d.get(), compressed.data(), compressed.size(),
                                                   out.data(), out.size(), &actual);
  if (r != LIBDEFLATE_SUCCESS || actual != raw_size) throw_internal("gzip data is corrupt");
  return out;
}

}  // namespace gridmap::tiles
