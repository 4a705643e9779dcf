#include "geo/geos.hpp"

#include <cstdarg>
#include <cstdio>
#include <string>

#include "geo/error.hpp"

namespace gridmap::geos {
namespace {

thread_local std::string last_message;

void on_message(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  last_message = buf;
}

struct Context {
  GEOSContextHandle_t handle = GEOS_init_r();
  Context() {
    GEOSContext_setErrorHandler_r(handle, on_message);
    GEOSContext_setNoticeHandler_r(handle, nullptr);
  }
  ~Context() { GEOS_finish_r(handle); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

// GEOS failing on what a user gave (reading WKB, WKT or GeoJSON, building rings from their
// coordinates) is invalid_input; failing anywhere else is ours: internal.
[[noreturn]] void fail(std::string_view what, ErrorKind kind = ErrorKind::internal) {
  std::string msg = "GEOS " + std::string(what) + " failed";
  if (!last_message.empty()) msg += ": " + last_message;
  last_message.clear();
  throw Error(kind, msg);
}

GeomPtr own_input(GEOSGeometry* g, std::string_view what) {
  if (!g) fail(what, ErrorKind::invalid_input);
  return GeomPtr(g);
}

}  // namespace

GEOSContextHandle_t ctx() {
  thread_local Context context;
  return context.handle;
}

void GeomDeleter::operator()(GEOSGeometry* g) const noexcept { GEOSGeom_destroy_r(ctx(), g); }
void PreparedDeleter::operator()(const GEOSPreparedGeometry* g) const noexcept {
  GEOSPreparedGeom_destroy_r(ctx(), g);
}

void unreadable(std::string_view what) { fail("read of a " + std::string(what)); }

void ring_xy(const GEOSGeometry* ring, std::vector<double>& xy) {
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx(), ring);
  unsigned n = 0;
  if (!seq || !GEOSCoordSeq_getSize_r(ctx(), seq, &n)) unreadable("ring");
  xy.resize(2 * size_t{n});
  if (n && !GEOSCoordSeq_copyToBuffer_r(ctx(), seq, xy.data(), 0, 0)) unreadable("ring's coordinates");
}

GeomPtr own(GEOSGeometry* g, std::string_view what) {
  if (!g) fail(what);
  return GeomPtr(g);
}

GeomPtr from_wkb(std::string_view wkb) {
  GEOSWKBReader* r = GEOSWKBReader_create_r(ctx());
  GEOSGeometry* g = GEOSWKBReader_read_r(ctx(), r, reinterpret_cast<const unsigned char*>(wkb.data()),
                                         wkb.size());
  GEOSWKBReader_destroy_r(ctx(), r);
  return own_input(g, "WKB read");
}

GeomPtr from_wkt(std::string_view wkt) {
  GEOSWKTReader* r = GEOSWKTReader_create_r(ctx());
  std::string s(wkt);
  GEOSGeometry* g = GEOSWKTReader_read_r(ctx(), r, s.c_str());
  GEOSWKTReader_destroy_r(ctx(), r);
  return own_input(g, "WKT read");
}

std::string to_wkb(const GEOSGeometry* g) {
  GEOSWKBWriter* w = GEOSWKBWriter_create_r(ctx());
  GEOSWKBWriter_setOutputDimension_r(ctx(), w, 2);
  GEOSWKBWriter_setByteOrder_r(ctx(), w, GEOS_WKB_NDR);
  size_t size = 0;
  unsigned char* buf = GEOSWKBWriter_write_r(ctx(), w, g, &size);
  GEOSWKBWriter_destroy_r(ctx(), w);
  if (!buf) fail("WKB write");
  std::string out(reinterpret_cast<const char*>(buf), size);
  GEOSFree_r(ctx(), buf);
  return out;
}

std::string to_wkt(const GEOSGeometry* g, int precision) {
  GEOSWKTWriter* w = GEOSWKTWriter_create_r(ctx());
  GEOSWKTWriter_setRoundingPrecision_r(ctx(), w, precision);
  GEOSWKTWriter_setTrim_r(ctx(), w, 1);
  GEOSWKTWriter_setOutputDimension_r(ctx(), w, 2);
  char* s = GEOSWKTWriter_write_r(ctx(), w, g);
  GEOSWKTWriter_destroy_r(ctx(), w);
  if (!s) fail("WKT write");
  std::string out(s);
  GEOSFree_r(ctx(), s);
  return out;
}

GeomPtr clone(const GEOSGeometry* g) { return own(GEOSGeom_clone_r(ctx(), g), "clone"); }

GeomPtr point(LonLat p) { return own(GEOSGeom_createPointFromXY_r(ctx(), p.lon, p.lat), "point"); }

namespace {
GEOSGeometry* ring(const std::vector<LonLat>& pts) {
  GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx(), static_cast<unsigned>(pts.size()), 2);
  if (!seq) fail("coordinate sequence", ErrorKind::invalid_input);
  for (unsigned i = 0; i < pts.size(); ++i) GEOSCoordSeq_setXY_r(ctx(), seq, i, pts[i].lon, pts[i].lat);
  GEOSGeometry* r = GEOSGeom_createLinearRing_r(ctx(), seq);
  if (!r) fail("linear ring", ErrorKind::invalid_input);
  return r;
}
}  // namespace

GeomPtr polygon(const std::vector<std::vector<LonLat>>& rings) {
  if (rings.empty()) return own(GEOSGeom_createEmptyPolygon_r(ctx()), "polygon");
  GEOSGeometry* shell = ring(rings[0]);
  std::vector<GEOSGeometry*> holes;
  for (size_t i = 1; i < rings.size(); ++i) holes.push_back(ring(rings[i]));
  return own(GEOSGeom_createPolygon_r(ctx(), shell, holes.data(), static_cast<unsigned>(holes.size())),
             "polygon");
}

std::string invalid_reason(const GEOSGeometry* g) {
  char r = GEOSisValid_r(ctx(), g);
  if (r == 1) return {};
  if (r == 2) fail("validity check");
  char* reason = GEOSisValidReason_r(ctx(), g);
  std::string out = reason ? reason : "invalid geometry";
  if (reason) GEOSFree_r(ctx(), reason);
  return out;
}

namespace {
void collect_polygons(const GEOSGeometry* g, std::vector<GEOSGeometry*>& out) {
  int type = GEOSGeomTypeId_r(ctx(), g);
  if (type == GEOS_POLYGON) {
    if (!GEOSisEmpty_r(ctx(), g)) out.push_back(GEOSGeom_clone_r(ctx(), g));
  } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
    int n = GEOSGetNumGeometries_r(ctx(), g);
    for (int i = 0; i < n; ++i) collect_polygons(GEOSGetGeometryN_r(ctx(), g, i), out);
  }
}

GeomPtr multipolygon_of(std::vector<GEOSGeometry*>& parts) {
  return own(GEOSGeom_createCollection_r(ctx(), GEOS_MULTIPOLYGON, parts.data(),
                                         static_cast<unsigned>(parts.size())),
             "multipolygon");
}
}  // namespace

GeomPtr make_valid_areal(const GEOSGeometry* g) {
  GeomPtr valid;
  if (invalid_reason(g).empty()) {
    valid = clone(g);
  } else {
    GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(ctx());
    GEOSMakeValidParams_setMethod_r(ctx(), params, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(ctx(), params, 0);
    valid = own(GEOSMakeValidWithParams_r(ctx(), g, params), "MakeValid");
    GEOSMakeValidParams_destroy_r(ctx(), params);
  }
  std::vector<GEOSGeometry*> parts;
  collect_polygons(valid.get(), parts);
  GeomPtr out = multipolygon_of(parts);
  if (!invalid_reason(out.get()).empty()) {
    // Touching parts of a collection can overlap after repair; a union dissolves them.
    GeomPtr u = own(GEOSUnaryUnion_r(ctx(), out.get()), "union");
    parts.clear();
    collect_polygons(u.get(), parts);
    out = multipolygon_of(parts);
  }
  return out;
}

GeomPtr to_multipolygon(const GEOSGeometry* g) {
  if (GEOSGeomTypeId_r(ctx(), g) != GEOS_POLYGON) return clone(g);
  std::vector<GEOSGeometry*> parts{GEOSGeom_clone_r(ctx(), g)};
  return multipolygon_of(parts);
}

bool is_empty(const GEOSGeometry* g) { return GEOSisEmpty_r(ctx(), g) == 1; }
int type_id(const GEOSGeometry* g) { return GEOSGeomTypeId_r(ctx(), g); }

Box envelope(const GEOSGeometry* g) {
  Box b;
  if (!GEOSGeom_getXMin_r(ctx(), g, &b.min_lon) || !GEOSGeom_getYMin_r(ctx(), g, &b.min_lat) ||
      !GEOSGeom_getXMax_r(ctx(), g, &b.max_lon) || !GEOSGeom_getYMax_r(ctx(), g, &b.max_lat))
    fail("envelope");
  return b;
}

int num_coordinates(const GEOSGeometry* g) { return GEOSGetNumCoordinates_r(ctx(), g); }

GeomPtr transform_xy_raw(const GEOSGeometry* g, XYCallback cb, void* user) {
  return own_input(GEOSGeom_transformXY_r(ctx(), g, cb, user), "coordinate transform");
}

}  // namespace gridmap::geos

namespace gridmap::geos {
GeomPtr from_geojson(std::string_view json) {
  GEOSGeoJSONReader* r = GEOSGeoJSONReader_create_r(ctx());
  std::string s(json);
  GEOSGeometry* g = GEOSGeoJSONReader_readGeometry_r(ctx(), r, s.c_str());
  GEOSGeoJSONReader_destroy_r(ctx(), r);
  return own_input(g, "GeoJSON read");
}
}  // namespace gridmap::geos
