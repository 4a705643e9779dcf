#include "geo/orient.hpp"

#include "geo/error.hpp"
#include "geo/geos.hpp"

namespace gridmap {

int orientation_exact(double ax, double ay, double bx, double by, double cx, double cy) {
  int r = GEOSOrientationIndex_r(geos::ctx(), ax, ay, bx, by, cx, cy);
  if (r == 2) throw_internal("GEOS orientation predicate failed");
  return r;
}

}  // namespace gridmap
