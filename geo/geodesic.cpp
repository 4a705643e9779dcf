#include "geo/geodesic.hpp"

#include <geodesic.h>

#include <cmath>
#include <numbers>

namespace gridmap {
namespace {
const geod_geodesic& wgs84() {
  static const geod_geodesic g = [] {
    geod_geodesic x;
    geod_init(&x, 6378137.0, 1 / 298.257223563);
    return x;
  }();
  return g;
}
}  // namespace

double geodesic_distance_m(LonLat a, LonLat b) noexcept {
  double s12 = 0;
  geod_inverse(&wgs84(), a.lat, a.lon, b.lat, b.lon, &s12, nullptr, nullptr);
  return s12;
}

MetresPerDegree metres_per_degree(double lat) noexcept {
  // Radii of curvature of the WGS84 ellipsoid.
  constexpr double a = 6378137.0, e2 = 0.00669437999014;
  double phi = lat * std::numbers::pi / 180;
  double s = std::sin(phi);
  double w = std::sqrt(1 - e2 * s * s);
  double n = a / w;                      // prime vertical
  double m = a * (1 - e2) / (w * w * w);  // meridian
  constexpr double rad = std::numbers::pi / 180;
  return {n * std::cos(phi) * rad, m * rad};
}

double geodesic_ring_area_m2(const double* lonlat_pairs, int n) noexcept {
  geod_polygon poly;
  geod_polygon_init(&poly, 0);
  for (int i = 0; i < n; ++i) geod_polygon_addpoint(&wgs84(), &poly, lonlat_pairs[2 * i + 1], lonlat_pairs[2 * i]);
  double area = 0;
  geod_polygon_compute(&wgs84(), &poly, 0, 1, &area, nullptr);
  return std::fabs(area);
}

}  // namespace gridmap
