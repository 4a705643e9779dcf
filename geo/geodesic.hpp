// Geodesic distances on the WGS84 ellipsoid (Karney's algorithm, from PROJ).
#pragma once

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

// Area in square metres of a lon/lat polygon ring sequence via the geodesic polygon area.
double geodesic_ring_area_m2(const double* lonlat_pairs, int n) noexcept;

}  // namespace gridmap
