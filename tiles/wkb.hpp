// Reading the stored geometries into plain coordinate arrays, without a GEOS round trip on
// the tile path: SpatiaLite's own BLOB format straight from the column (no SQL function
// call per row), or ISO WKB as AsBinary() gives it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::tiles {

// A polygon as lon/lat rings; the first is the exterior. Rings keep their closing point.
struct LonLatPolygon {
  std::vector<std::vector<LonLat>> rings;
};

// The polygons of a Polygon or MultiPolygon (Z and M values are ignored); throws
// internal for anything else or for truncated input.
std::vector<LonLatPolygon> polygons_from_wkb(std::string_view wkb);

// Little-endian (E)WKB, as the PostgreSQL engine stores geometries, rather than a SpatiaLite BLOB.
bool is_little_endian_wkb(std::string_view blob);
// The polygons of an uncompressed SpatiaLite Polygon or MultiPolygon BLOB, or of (E)WKB from
// PostGIS; nullopt for a kind this reader does not know (compressed geometries: ask SQL for
// AsBinary() instead).
std::optional<std::vector<LonLatPolygon>> polygons_from_blob(std::string_view blob);
// The position of a SpatiaLite Point BLOB (read from its box, which any point has) or of an
// (E)WKB point; nullopt when the geometry is not a point.
std::optional<LonLat> point_from_blob(std::string_view blob);

}  // namespace gridmap::tiles
