// Pre-generated tiles for offline use: an MBTiles 1.3 file (SQLite with `metadata` and
// `tiles`, TMS row numbering, gzip-compressed MVT blobs).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "data/db.hpp"
#include "data/layer.hpp"

namespace gridmap::tiles {

struct MbtilesOptions {
  data::Layer layer = data::Layer::grids;
  int minzoom = 0, maxzoom = 14;
  std::string out;  // replaced when it exists
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
// for a bad zoom range, unavailable when the file cannot be written.
MbtilesResult export_mbtiles(data::Db& db, const MbtilesOptions& options);

}  // namespace gridmap::tiles
