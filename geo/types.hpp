// Small value types shared by every folder.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace gridmap {

// A WGS84 (or other geographic CRS) position, longitude first, degrees.
struct LonLat {
  double lon = 0;
  double lat = 0;
  friend bool operator==(const LonLat&, const LonLat&) = default;
};

inline bool is_finite(LonLat p) noexcept { return std::isfinite(p.lon) && std::isfinite(p.lat); }
inline bool is_valid_wgs84(LonLat p) noexcept {
  return is_finite(p) && p.lon >= -180 && p.lon <= 180 && p.lat >= -90 && p.lat <= 90;
}

// An axis-aligned box in lon/lat.
struct Box {
  double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
};

}  // namespace gridmap
