#include "geo/geojson.hpp"

#include <cstdio>

#include "geo/error.hpp"

namespace gridmap {
namespace {

void number(std::string& out, double v, int decimals) {
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  // Trim trailing zeros so coordinates stay short.
  while (n > 1 && buf[n - 1] == '0') --n;
  if (n > 1 && buf[n - 1] == '.') --n;
  out.append(buf, static_cast<size_t>(n));
}

void coords(std::string& out, const GEOSGeometry* g, int decimals) {
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(geos::ctx(), g);
  unsigned n = 0;
  if (!seq || !GEOSCoordSeq_getSize_r(geos::ctx(), seq, &n)) throw_internal("GeoJSON: unreadable coordinates");
  out += '[';
  for (unsigned i = 0; i < n; ++i) {
    double x, y;
    GEOSCoordSeq_getXY_r(geos::ctx(), seq, i, &x, &y);
    if (i) out += ',';
    out += '[';
    number(out, x, decimals);
    out += ',';
    number(out, y, decimals);
    out += ']';
  }
  out += ']';
}

void point(std::string& out, const GEOSGeometry* g, int decimals) {
  std::string c;
  coords(c, g, decimals);
  out += c.substr(1, c.size() - 2);  // a point is a single position
}

void polygon(std::string& out, const GEOSGeometry* g, int decimals) {
  out += '[';
  coords(out, GEOSGetExteriorRing_r(geos::ctx(), g), decimals);
  int holes = GEOSGetNumInteriorRings_r(geos::ctx(), g);
  for (int h = 0; h < holes; ++h) {
    out += ',';
    coords(out, GEOSGetInteriorRingN_r(geos::ctx(), g, h), decimals);
  }
  out += ']';
}

void geometry(std::string& out, const GEOSGeometry* g, int decimals);

template <class F>
void parts(std::string& out, const GEOSGeometry* g, F&& f) {
  out += '[';
  int n = GEOSGetNumGeometries_r(geos::ctx(), g);
  for (int i = 0; i < n; ++i) {
    if (i) out += ',';
    f(GEOSGetGeometryN_r(geos::ctx(), g, i));
  }
  out += ']';
}

void geometry(std::string& out, const GEOSGeometry* g, int d) {
  int type = GEOSGeomTypeId_r(geos::ctx(), g);
  if (GEOSisEmpty_r(geos::ctx(), g) && type != GEOS_GEOMETRYCOLLECTION) {
    out += "{\"type\":\"GeometryCollection\",\"geometries\":[]}";
    return;
  }
  switch (type) {
    case GEOS_POINT: out += "{\"type\":\"Point\",\"coordinates\":"; point(out, g, d); break;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING: out += "{\"type\":\"LineString\",\"coordinates\":"; coords(out, g, d); break;
    case GEOS_POLYGON: out += "{\"type\":\"Polygon\",\"coordinates\":"; polygon(out, g, d); break;
    case GEOS_MULTIPOINT:
      out += "{\"type\":\"MultiPoint\",\"coordinates\":";
      parts(out, g, [&](const GEOSGeometry* p) { point(out, p, d); });
      break;
    case GEOS_MULTILINESTRING:
      out += "{\"type\":\"MultiLineString\",\"coordinates\":";
      parts(out, g, [&](const GEOSGeometry* p) { coords(out, p, d); });
      break;
    case GEOS_MULTIPOLYGON:
      out += "{\"type\":\"MultiPolygon\",\"coordinates\":";
      parts(out, g, [&](const GEOSGeometry* p) { polygon(out, p, d); });
      break;
    default:
      out += "{\"type\":\"GeometryCollection\",\"geometries\":";
      parts(out, g, [&](const GEOSGeometry* p) { geometry(out, p, d); });
      break;
  }
  out += '}';
}

}  // namespace

std::string to_geojson(const GEOSGeometry* g, int decimals) {
  std::string out;
  geometry(out, g, decimals);
  return out;
}


}  // namespace gridmap
