// Exact orientation of three points: the sign of the 2D cross product (b - a) x (c - a).
// A floating-point filter decides almost every case; the rest goes to GEOS's exact
// double-double predicate, so answers agree with GEOS everywhere.
#pragma once

#include <cmath>

namespace gridmap {

int orientation_exact(double ax, double ay, double bx, double by, double cx, double cy);

// +1 counter-clockwise (c left of a->b), -1 clockwise, 0 collinear.
inline int orientation(double ax, double ay, double bx, double by, double cx, double cy) {
  double detleft = (ax - cx) * (by - cy);
  double detright = (ay - cy) * (bx - cx);
  double det = detleft - detright;
  // Shewchuk's bound for the first stage of orient2d.
  constexpr double eps = 1.1102230246251565e-16;
  constexpr double bound = (3.0 + 16.0 * eps) * eps;
  double err = bound * (std::fabs(detleft) + std::fabs(detright));
  if (det > err) return 1;
  if (-det > err) return -1;
  return orientation_exact(ax, ay, bx, by, cx, cy);
}

}  // namespace gridmap
