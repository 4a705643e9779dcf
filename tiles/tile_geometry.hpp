// Geometry in integer tile coordinates, as a vector tile stores it.
#pragma once

#include <cstdint>
#include <vector>

namespace gridmap::tiles {

struct IPoint {
  int32_t x = 0, y = 0;
  friend bool operator==(const IPoint&, const IPoint&) = default;
  friend auto operator<=>(const IPoint&, const IPoint&) = default;
};

// A ring without its closing point (the first point is not repeated at the end).
using IRing = std::vector<IPoint>;

// The first ring is the exterior, the others are holes; orientation is the encoder's job.
struct IPolygon {
  std::vector<IRing> rings;
};

// Twice the signed area by the surveyor's formula; positive for a ring that is clockwise on
// screen (y down), which the vector tile specification requires of exterior rings.
inline int64_t twice_area(const IRing& r) noexcept {
  int64_t sum = 0;
  for (size_t i = 0, n = r.size(); i < n; ++i) {
    const IPoint& a = r[i];
    const IPoint& b = r[(i + 1) % n];
    sum += int64_t{a.x} * b.y - int64_t{b.x} * a.y;
  }
  return sum;
}

}  // namespace gridmap::tiles
