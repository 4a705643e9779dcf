#include "tiles/tile_math.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gridmap::tiles {
namespace {
double lon_of(double x, double n) { return x / n * 360.0 - 180.0; }
double lat_of(double y, double n) {
  return std::atan(std::sinh(std::numbers::pi * (1 - 2 * y / n))) * 180.0 / std::numbers::pi;
}
}  // namespace

bool is_valid(TileId t) noexcept {
  if (t.z < 0 || t.z > kMaxZoom) return false;
  uint64_t n = uint64_t{1} << t.z;
  return t.x < n && t.y < n;
}

Box bounds(TileId t) noexcept {
  double n = std::ldexp(1.0, t.z);
  return {lon_of(t.x, n), lat_of(t.y + 1.0, n), lon_of(t.x + 1.0, n), lat_of(t.y, n)};
}

TileId tile_at(LonLat p, int z) noexcept {
  double n = std::ldexp(1.0, z);
  double lat = std::clamp(p.lat, -85.0511287798, 85.0511287798) * std::numbers::pi / 180.0;
  double x = (p.lon + 180.0) / 360.0 * n;
  double y = (1 - std::log(std::tan(lat) + 1 / std::cos(lat)) / std::numbers::pi) / 2 * n;
  auto clampi = [n](double v) { return static_cast<uint32_t>(std::clamp(v, 0.0, n - 1)); };
  return {z, clampi(x), clampi(y)};
}

}  // namespace gridmap::tiles
