// GeoJSON text of a GEOS geometry (RFC 7946 member order, lon/lat, 9 decimals).
#pragma once

#include <string>

#include "geo/geos.hpp"

namespace gridmap {

std::string to_geojson(const GEOSGeometry* g, int decimals = 9);
void append_json_string(std::string& out, std::string_view s);  // quoted and escaped

}  // namespace gridmap
