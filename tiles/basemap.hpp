// An optional base map under gridmap's layers: tiles read from a local MBTiles 1.3 file or
// PMTiles v3 archive (raster PNG/JPEG/WebP or vector PBF), served as stored, for a map that
// works offline and asks no other origin.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/types.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

namespace pmtiles {
class Archive;
}

struct BasemapInfo {
  std::string format;  // png, jpg, webp or pbf
  std::string name, attribution;
  int minzoom = 0, maxzoom = 14;
  int tile_size = 256;  // raster: pixels per tile side (from a PNG tile's header)
  std::optional<Box> bounds;
  std::vector<std::string> vector_layers;  // pbf only: the layer ids of the metadata `json`
  bool raster() const { return format != "pbf"; }
  std::string content_type() const;
};

class Basemap {
 public:
  // Opens the file read-only and reads its metadata: a PMTiles archive when it starts with
  // the PMTiles magic (or is named *.pmtiles), else an MBTiles file. Throws invalid_input
  // when the file is missing, is neither, is truncated or damaged (a PMTiles file's header,
  // root directory and metadata are checked), or has a format other than png, jpg, webp or
  // pbf.
  explicit Basemap(const std::string& path);
  ~Basemap();

  const BasemapInfo& info() const noexcept { return info_; }
  // The stored bytes of an XYZ tile (vector tiles are often gzip-compressed), or nullopt
  // when the file has no such tile. Thread-safe.
  std::optional<std::string> tile(TileId t) const;
  // TileJSON 3.0.0 for the tiles at `base_url` + "/basemap/{z}/{x}/{y}.FORMAT".
  std::string tilejson(const std::string& base_url) const;
  std::string tile_url(const std::string& base_url) const;

 private:
  struct Mbtiles;
  std::unique_ptr<Mbtiles> mbtiles_;  // one of the two
  std::unique_ptr<const pmtiles::Archive> pmtiles_;
  BasemapInfo info_;
};

}  // namespace gridmap::tiles
