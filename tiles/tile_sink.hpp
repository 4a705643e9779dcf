// Where an export's tiles go: the tile building (export_tiles in mbtiles.hpp) hands each
// tile to a sink, then what the set holds; an MBTiles sink and a PMTiles sink write files.
#pragma once

#include <string>
#include <string_view>

#include "geo/types.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

// What an exported tile set holds, known once every tile is built.
struct TileSetInfo {
  std::string name, description;
  std::string attribution;       // empty: none
  std::string format = "pbf";    // MBTiles `format`: pbf (gzip-compressed MVT)
  std::string type = "overlay";  // MBTiles `type`: overlay or baselayer
  std::string version = "1";
  Box bounds;
  LonLat center;
  int center_zoom = 0;
  int minzoom = 0, maxzoom = 0;  // the zooms that have tiles
  std::string json;              // {"vector_layers": [...]} (tilejson.hpp mbtiles_json)
};

class TileSink {
 public:
  virtual ~TileSink() = default;
  // The tiles come zoom by zoom (ascending), a zoom's in any order, each tile once, never
  // an empty blob. A sink destroyed before finish() leaves no file behind.
  virtual void put(TileId t, std::string_view blob) = 0;
  // After the last tile: writes what the set holds and completes the file.
  virtual void finish(const TileSetInfo& info) = 0;
};

}  // namespace gridmap::tiles
