#include "tiles/tile_math.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gridmap::tiles {
namespace {
constexpr double kMaxLat = 85.0511287798066;
double lon_of(double x, double n) {
  return x / n * 360.0 - 180.0;
}
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
  WorldXY w = to_world(p);
  auto clampi = [n](double v) { return static_cast<uint32_t>(std::clamp(v * n, 0.0, n - 1)); };
  return {z, clampi(w.x), clampi(w.y)};
}

WorldXY to_world(LonLat p) noexcept {
  double lat = std::clamp(p.lat, -kMaxLat, kMaxLat) * std::numbers::pi / 180.0;
  double y = 0.5 - std::log(std::tan(std::numbers::pi / 4 + lat / 2)) / (2 * std::numbers::pi);
  return {(p.lon + 180.0) / 360.0, y};
}

LonLat to_lonlat(WorldXY w) noexcept {
  return {w.x * 360.0 - 180.0,
          std::atan(std::sinh(std::numbers::pi * (1 - 2 * w.y))) * 180.0 / std::numbers::pi};
}

TileProjection::TileProjection(TileId tile, uint32_t extent) noexcept
    : scale_(std::ldexp(static_cast<double>(extent), tile.z)),
      x0_(static_cast<double>(tile.x) * extent),
      y0_(static_cast<double>(tile.y) * extent),
      extent_(extent) {}

TileXY TileProjection::operator()(WorldXY w) const noexcept {
  return {w.x * scale_ - x0_, w.y * scale_ - y0_};
}

TileXY TileProjection::operator()(LonLat p) const noexcept {
  return (*this)(to_world(p));
}

LonLat TileProjection::inverse(TileXY t) const noexcept {
  return to_lonlat({(t.x + x0_) / scale_, (t.y + y0_) / scale_});
}

Box TileProjection::buffered_bounds(double buffer) const noexcept {
  // Clamped to the world so that a buffer at the edge of the map stays a valid box.
  auto world = [this](double v) { return std::clamp(v / scale_, 0.0, 1.0); };
  LonLat nw = to_lonlat({world(x0_ - buffer), world(y0_ - buffer)});
  LonLat se = to_lonlat({world(x0_ + extent_ + buffer), world(y0_ + extent_ + buffer)});
  return {nw.lon, se.lat, se.lon, nw.lat};
}

std::vector<TileId> tiles_covering(Box b, int z) {
  TileId lo = tile_at({b.min_lon, b.max_lat}, z), hi = tile_at({b.max_lon, b.min_lat}, z);
  std::vector<TileId> out;
  for (uint32_t y = lo.y; y <= hi.y; ++y)
    for (uint32_t x = lo.x; x <= hi.x; ++x) out.push_back({z, x, y});
  return out;
}

}  // namespace gridmap::tiles
