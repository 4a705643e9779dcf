// PROJ, opened on first use instead of linked. Linking libproj costs every start of the
// program some 25 ms (it brings in curl, GnuTLS, libtiff and ~30 more libraries), and most
// commands (tiles export, check, serve until a request needs it) never use it. Only
// crs.cpp (EPSG transformations) and geodesic.cpp (Karney's geodesics, part of libproj)
// include this; everything else goes through them.
#pragma once

#include <geodesic.h>
#include <proj.h>

namespace gridmap::proj_lib {

// The functions of libproj that gridmap uses, with their own types.
struct Api {
  decltype(&::proj_context_create) context_create;
  decltype(&::proj_context_destroy) context_destroy;
  decltype(&::proj_log_level) log_level;
  decltype(&::proj_create_crs_to_crs) create_crs_to_crs;
  decltype(&::proj_normalize_for_visualization) normalize_for_visualization;
  decltype(&::proj_destroy) destroy;
  decltype(&::proj_coord) coord;
  decltype(&::proj_trans) trans;
  decltype(&::geod_init) geod_init;
  decltype(&::geod_inverse) geod_inverse;
  decltype(&::geod_polygon_init) geod_polygon_init;
  decltype(&::geod_polygon_addpoint) geod_polygon_addpoint;
  decltype(&::geod_polygon_compute) geod_polygon_compute;
};

// Loaded once per process; throws Error(unavailable) when libproj cannot be loaded (and
// the next call tries again).
const Api& api();
// The same for callers that cannot throw: prints the reason and aborts instead. libproj is
// a dependency like any other; this only happens on a broken installation.
const Api& api_or_abort() noexcept;

}  // namespace gridmap::proj_lib
