// RAII over the reentrant GEOS C API. One context per thread; geometries own themselves and
// may be dropped on any thread (GEOS frees with the allocator, not the context).
#pragma once

#include <geos_c.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::geos {

GEOSContextHandle_t ctx();  // this thread's context; its messages become exceptions

struct GeomDeleter {
  void operator()(GEOSGeometry* g) const noexcept;
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

struct PreparedDeleter {
  void operator()(const GEOSPreparedGeometry* g) const noexcept;
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

// Takes ownership of a GEOS result; throws with the last GEOS message when it is null.
GeomPtr own(GEOSGeometry* g, std::string_view what);

GeomPtr from_wkb(std::string_view wkb);
GeomPtr from_wkt(std::string_view wkt);
std::string to_wkb(const GEOSGeometry* g);  // ISO WKB, 2D, little endian
std::string to_wkt(const GEOSGeometry* g, int precision = 9);
GeomPtr clone(const GEOSGeometry* g);
GeomPtr point(LonLat p);
GeomPtr polygon(const std::vector<std::vector<LonLat>>& rings);  // first ring = shell

// Why a geometry is invalid, or empty when it is valid.
std::string invalid_reason(const GEOSGeometry* g);
// A valid version of `g`, keeping only its polygonal parts as a MultiPolygon (lines and
// points left behind by a collapse are dropped; an empty result means nothing is left).
GeomPtr make_valid_areal(const GEOSGeometry* g);
GeomPtr to_multipolygon(const GEOSGeometry* g);  // Polygon -> MultiPolygon; others as is
bool is_empty(const GEOSGeometry* g);
int type_id(const GEOSGeometry* g);
Box envelope(const GEOSGeometry* g);
int num_coordinates(const GEOSGeometry* g);

// A ring's (or a line's) coordinates into `xy` as x, y pairs, closing point included; throws
// internal when GEOS cannot read them.
void ring_xy(const GEOSGeometry* ring, std::vector<double>& xy);
// Each non-empty polygon of an areal geometry: the Polygon itself, or those inside a
// MultiPolygon or a collection (recursively); anything else has none. f(polygon).
template <class F>
void for_each_polygon(const GEOSGeometry* g, F&& f);
// Each ring of a polygon, the exterior first: f(ring, index), index 0 the exterior.
template <class F>
void for_each_ring(const GEOSGeometry* polygon, F&& f);

// A copy of `g` with f(double& x, double& y) -> bool applied to every coordinate; f returns
// false to abort (the copy then throws invalid_input).
using XYCallback = int (*)(double* x, double* y, void* user);
GeomPtr transform_xy_raw(const GEOSGeometry* g, XYCallback cb, void* user);

[[noreturn]] void unreadable(std::string_view what);  // throws internal

template <class F>
void for_each_polygon(const GEOSGeometry* g, F&& f) {
  int type = GEOSGeomTypeId_r(ctx(), g);
  if (type == GEOS_POLYGON) {
    if (GEOSisEmpty_r(ctx(), g) != 1) f(g);
  } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
    int n = GEOSGetNumGeometries_r(ctx(), g);
    if (n < 0) unreadable("collection");
    for (int i = 0; i < n; ++i) for_each_polygon(GEOSGetGeometryN_r(ctx(), g, i), f);
  }
}

template <class F>
void for_each_ring(const GEOSGeometry* polygon, F&& f) {
  const GEOSGeometry* exterior = GEOSGetExteriorRing_r(ctx(), polygon);
  int holes = GEOSGetNumInteriorRings_r(ctx(), polygon);
  if (!exterior || holes < 0) unreadable("polygon");
  f(exterior, 0);
  for (int h = 0; h < holes; ++h) f(GEOSGetInteriorRingN_r(ctx(), polygon, h), h + 1);
}

template <class F>
GeomPtr transform_xy(const GEOSGeometry* g, F&& f) {
  using Fn = std::remove_reference_t<F>;
  XYCallback cb = [](double* x, double* y, void* user) -> int {
    return (*static_cast<Fn*>(user))(*x, *y) ? 1 : 0;
  };
  return transform_xy_raw(g, cb, &f);
}

// A copy of `g` with f(LonLat) -> LonLat applied to every coordinate. The first exception
// f throws is rethrown as it was (a GEOS callback cannot carry it across the C API).
template <class F>
GeomPtr map_points(const GEOSGeometry* g, F&& f) {
  std::exception_ptr failure;
  auto convert = [&](double& x, double& y) -> bool {
    try {
      LonLat p = f(LonLat{x, y});
      x = p.lon;
      y = p.lat;
      return true;
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
  };
  try {
    return transform_xy(g, convert);
  } catch (...) {
    if (failure) std::rethrow_exception(failure);
    throw;
  }
}

}  // namespace gridmap::geos

namespace gridmap::geos {
// A geometry from GeoJSON geometry text; throws invalid_input with GEOS's reason.
GeomPtr from_geojson(std::string_view json);
}  // namespace gridmap::geos
