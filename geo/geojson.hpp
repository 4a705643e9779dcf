// GeoJSON text of a GEOS geometry (RFC 7946 member order, lon/lat, 9 decimals).
#pragma once

#include <string>

#include "core/json_text.hpp"  // append_json_string, for the writers of GeoJSON
#include "geo/geos.hpp"

namespace gridmap {

std::string to_geojson(const GEOSGeometry* g, int decimals = 9);

}  // namespace gridmap
