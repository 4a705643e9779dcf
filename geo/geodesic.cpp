#include "geo/geodesic.hpp"

#include <cmath>
#include <numbers>

#include "geo/proj_lib.hpp"

namespace gridmap {
namespace {
const geod_geodesic& wgs84() {
  static const geod_geodesic g = [] {
    geod_geodesic x;
    proj_lib::api_or_abort().geod_init(&x, 6378137.0, 1 / 298.257223563);
    return x;
  }();
  return g;
}
}  // namespace

double geodesic_distance_m(LonLat a, LonLat b) noexcept {
  double s12 = 0;
  proj_lib::api_or_abort().geod_inverse(&wgs84(), a.lat, a.lon, b.lat, b.lon, &s12, nullptr,
                                        nullptr);
  return s12;
}

MetresPerDegree metres_per_degree(double lat) noexcept {
  // Radii of curvature of the WGS84 ellipsoid.
  constexpr double a = 6378137.0, e2 = 0.00669437999014;
  double phi = lat * std::numbers::pi / 180;
  double s = std::sin(phi);
  double w = std::sqrt(1 - e2 * s * s);
  double n = a / w;                       // prime vertical
  double m = a * (1 - e2) / (w * w * w);  // meridian
  constexpr double rad = std::numbers::pi / 180;
  return {n * std::cos(phi) * rad, m * rad};
}

double geodesic_ring_area_m2(const double* lonlat_pairs, int n) noexcept {
  const proj_lib::Api& proj = proj_lib::api_or_abort();
  geod_polygon poly;
  proj.geod_polygon_init(&poly, 0);
  for (int i = 0; i < n; ++i)
    proj.geod_polygon_addpoint(&wgs84(), &poly, lonlat_pairs[2 * i + 1], lonlat_pairs[2 * i]);
  double area = 0;
  proj.geod_polygon_compute(&wgs84(), &poly, 0, 1, &area, nullptr);
  return std::fabs(area);
}

}  // namespace gridmap

namespace gridmap {

DistanceFrom::DistanceFrom(LonLat origin) noexcept : o_(origin) {
  // The radii of metres_per_degree and their derivatives, from one sine and cosine.
  constexpr double a = 6378137.0, e2 = 0.00669437999014, rad = std::numbers::pi / 180;
  double phi = origin.lat * rad;
  double sn = std::sin(phi), cs = std::cos(phi);
  double w2 = 1 - e2 * sn * sn, w = std::sqrt(w2), w3 = w2 * w;
  double n = a / w, m = a * (1 - e2) / w3;  // prime vertical and meridian radii
  mlon_ = n * cs * rad, mlat_ = m * rad;
  // d(N cos phi)/dphi = N' cos phi - N sin phi with N' = a e2 sin cos / w^3; M' = 3 M e2 sin cos /
  // w^2.
  dmlon_ = (a * e2 * sn * cs * cs / w3 - n * sn) * rad * rad;
  dmlat_ = 3 * m * e2 * sn * cs / w2 * rad * rad;
}

namespace {
// Metres per degree of longitude at every whole degree of latitude, 0 to 90: a degree of
// longitude shrinks towards the poles, so the entry at or past a latitude bounds it below
// (searches ask for one per query; a table spares them a sine and a cosine).
struct LonDegreeTable {
  double at[91];
  LonDegreeTable() {
    for (int i = 0; i <= 90; ++i) at[i] = metres_per_degree(i).lon;
  }
};
const LonDegreeTable lon_degree;
}  // namespace

double DistanceFrom::lower_bound(double deg, double max_abs_lat) const noexcept {
  if (max_abs_lat >= 89.0) return 0;
  double lon = lon_degree.at[static_cast<int>(max_abs_lat) + 1];
  return deg * std::min(lon, kMinMetresPerDegreeLat) * 0.999;
}

}  // namespace gridmap

#include <vector>

#include "geo/geos.hpp"

namespace gridmap {
namespace {
double ring_area(const GEOSGeometry* ring) {
  std::vector<double> xy;
  geos::ring_xy(ring, xy);
  int n = static_cast<int>(xy.size() / 2);
  if (n < 4) return 0;
  return geodesic_ring_area_m2(xy.data(), n - 1);  // without the closing point
}
}  // namespace

double geodesic_area_m2(const GEOSGeometry* g) {
  double total = 0;
  geos::for_each_polygon(g, [&](const GEOSGeometry* poly) {
    double a = 0;  // the exterior less the holes
    geos::for_each_ring(poly, [&](const GEOSGeometry* ring, int i) { a += (i == 0 ? 1 : -1) * ring_area(ring); });
    total += std::max(0.0, a);
  });
  return total;
}
}  // namespace gridmap
