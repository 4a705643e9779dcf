// Geodesic distances on the WGS84 ellipsoid (Karney's algorithm, from PROJ).
#pragma once

#include <cmath>

#include "geo/types.hpp"

namespace gridmap {

double geodesic_distance_m(LonLat a, LonLat b) noexcept;

// Metres per degree of longitude and latitude around a latitude; used to turn degree-space
// areas and distances into metric ones locally.
struct MetresPerDegree {
  double lon = 0;
  double lat = 0;
};
MetresPerDegree metres_per_degree(double lat) noexcept;
// The shortest degree of latitude on WGS84 (at the equator), in metres.
constexpr double kMinMetresPerDegreeLat = 110574.0;

// Area in square metres of a lon/lat polygon ring sequence via the geodesic polygon area.
double geodesic_ring_area_m2(const double* lonlat_pairs, int n) noexcept;

}  // namespace gridmap

namespace gridmap {

// Distances from one point, fast: a second-order local expansion of the ellipsoid's radii
// of curvature around `origin`, accurate to a few millimetres up to 10 km and falling back
// to the exact geodesic beyond that.
class DistanceFrom {
 public:
  explicit DistanceFrom(LonLat origin) noexcept;
  double metres(LonLat p) const noexcept {  // inline: called for every candidate of a search
    double d2 = local_sq(p);
    return near(d2) ? std::sqrt(d2) : far(p);
  }
  // metres() in two steps, for callers that need the distance of a far point only sometimes:
  // the square of the local expansion, and whether it holds (within 10 km).
  double local_sq(LonLat p) const noexcept {
    double dlat = p.lat - o_.lat, dlon = p.lon - o_.lon;
    if (dlon > 180) dlon -= 360;
    if (dlon < -180) dlon += 360;
    double half = dlat / 2;  // radii at the mid-latitude
    double x = dlon * (mlon_ + dmlon_ * half), y = dlat * (mlat_ + dmlat_ * half);
    return x * x + y * y;
  }
  static bool near(double local_sq) noexcept { return local_sq < 1e4 * 1e4; }
  double far(LonLat p) const noexcept { return geodesic_distance_m(o_, p); }
  // A lower bound of metres() for any point at least `deg` degrees away in longitude or in
  // latitude, at latitudes up to max_abs_lat (used to stop searches).
  double lower_bound(double deg, double max_abs_lat) const noexcept;

 private:
  LonLat o_;
  double mlon_, dmlon_, mlat_, dmlat_;  // metres per degree and their derivatives per degree
};

}  // namespace gridmap

struct GEOSGeom_t;
namespace gridmap {
// Geodesic area in square metres of a (multi)polygon in lon/lat; 0 for other types.
double geodesic_area_m2(const GEOSGeom_t* g);
}  // namespace gridmap
