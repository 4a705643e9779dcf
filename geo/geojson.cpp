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
  thread_local std::vector<double> xy;
  geos::ring_xy(g, xy);
  out += '[';
  for (size_t i = 0; i < xy.size(); i += 2) {
    if (i) out += ',';
    out += '[';
    number(out, xy[i], decimals);
    out += ',';
    number(out, xy[i + 1], decimals);
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
  geos::for_each_ring(g, [&](const GEOSGeometry* ring, int i) {
    if (i) out += ',';
    coords(out, ring, decimals);
  });
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
