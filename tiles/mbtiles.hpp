// Pre-generated tiles for offline use: an MBTiles 1.3 file (SQLite with `metadata` and
// `tiles`, TMS row numbering, gzip-compressed MVT blobs), or a PMTiles v3 archive when the
// file name ends in `.pmtiles` (pmtiles.hpp). Both are written through a TileSink.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "tiles/tile_sink.hpp"

namespace gridmap::tiles {

struct MbtilesOptions {
  data::Layer layer = data::Layer::grids;
  int minzoom = 0, maxzoom = 14;
  std::string out;  // replaced when it exists; `.pmtiles`: a PMTiles archive
  int64_t now = 0;  // for petition ages
  // Threads building tiles (this one included); 0: one per core. Tiles read with SQL are
  // built on this thread alone.
  int threads = 0;
  std::function<void(int64_t done, int64_t total)> progress;
};

struct MbtilesResult {
  int64_t tiles = 0;  // written (empty tiles are left out)
  int64_t empty = 0;
  int64_t bytes = 0;  // compressed
};

// Reads the layer from `db` (as an administrator sees it: everything). Throws invalid_input
// for a bad zoom range, unavailable when the file cannot be written. A failed export leaves
// no file.
MbtilesResult export_mbtiles(data::Db& db, const MbtilesOptions& options);

// The tile building behind it: every non-empty tile of the layer at the zooms, to `sink`
// (`options.out` is not used), then what the set holds.
MbtilesResult export_tiles(data::Db& db, const MbtilesOptions& options, TileSink& sink);

}  // namespace gridmap::tiles
