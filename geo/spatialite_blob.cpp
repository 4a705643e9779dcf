#include "geo/spatialite_blob.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace gridmap {
namespace {

template <typename T>
T read(std::string_view b, size_t at, bool little) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, b.data() + at, sizeof(T));
  if (little != (std::endian::native == std::endian::little))
    std::reverse(bytes, bytes + sizeof(T));
  T v;
  std::memcpy(&v, bytes, sizeof(T));
  return v;
}

}  // namespace

std::optional<BlobHeader> read_blob_header(std::string_view b) noexcept {
  if (b.size() < kBlobHeaderBytes + 1 || b[0] != 0 || static_cast<uint8_t>(b[38]) != 0x7C ||
      static_cast<uint8_t>(b.back()) != 0xFE || (b[1] != 0 && b[1] != 1))
    return std::nullopt;
  BlobHeader h;
  h.little = b[1] == 1;
  h.srid = read<int32_t>(b, 2, h.little);
  double v[4];
  for (int i = 0; i < 4; ++i) {
    v[i] = read<double>(b, 6 + 8 * static_cast<size_t>(i), h.little);
    if (!std::isfinite(v[i])) return std::nullopt;
  }
  if (v[0] > v[2] || v[1] > v[3]) return std::nullopt;
  h.box = {v[0], v[1], v[2], v[3]};
  h.geometry_class = read<uint32_t>(b, 39, h.little);
  return h;
}

}  // namespace gridmap
