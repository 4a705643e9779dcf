#include "geo/locality.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "geo/error.hpp"

namespace gridmap {
namespace {

// Spreads the low 16 bits of v to the even bit positions.
uint32_t spread(uint32_t v) {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

}  // namespace

std::vector<uint32_t> z_order(const LonLat* pts, size_t n, int bits) {
  if (bits < 1 || bits > 16) throw_invalid("z_order: bits must be in [1, 16]");
  if (n >= UINT32_MAX) throw_invalid("z_order: too many points");
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (size_t i = 0; i < n; ++i) {
    x0 = std::min(x0, pts[i].lon), x1 = std::max(x1, pts[i].lon);
    y0 = std::min(y0, pts[i].lat), y1 = std::max(y1, pts[i].lat);
  }
  const double cells = static_cast<double>(1u << bits);
  const double sx = x1 > x0 ? cells / (x1 - x0) : 0, sy = y1 > y0 ? cells / (y1 - y0) : 0;
  const uint32_t top = (1u << bits) - 1;
  auto quantize = [top](double t) {
    // NaN and out-of-range values land on the border cells; order is all that matters.
    return t >= 0 ? std::min(top, static_cast<uint32_t>(t)) : 0u;
  };
  std::vector<uint32_t> key(n), order(n), key2(n), order2(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t qx = quantize((pts[i].lon - x0) * sx), qy = quantize((pts[i].lat - y0) * sy);
    key[i] = spread(qx) | (spread(qy) << 1);
    order[i] = static_cast<uint32_t>(i);
  }
  // 2 * bits key bits in passes of up to 11 bits each.
  constexpr int kDigit = 11;
  for (int shift = 0; shift < 2 * bits; shift += kDigit) {
    std::array<uint32_t, (1u << kDigit) + 1> count{};
    const uint32_t mask = (1u << kDigit) - 1;
    for (size_t i = 0; i < n; ++i) ++count[((key[i] >> shift) & mask) + 1];
    for (size_t d = 1; d < count.size(); ++d) count[d] += count[d - 1];
    for (size_t i = 0; i < n; ++i) {
      uint32_t pos = count[(key[i] >> shift) & mask]++;
      key2[pos] = key[i];
      order2[pos] = order[i];
    }
    key.swap(key2);
    order.swap(order2);
  }
  return order;
}

}  // namespace gridmap
