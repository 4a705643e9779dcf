// What a tile is asked for and what building it gives: the request (layer, tile, filters,
// the caller's scope, budgets), the result with its statistics, and the in-memory snapshots
// that spare a tile the SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "data/layer.hpp"
#include "data/tile_rows.hpp"
#include "tiles/generalise.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

constexpr int kMinTileZoom = 0, kMaxTileZoom = 22;  // requests outside are refused
constexpr int kClusterBelowZoom = 14;  // petitions and households are clustered below this
constexpr double kBuffer = 64;         // tile units around the tile
constexpr size_t kMaxTileBytes = 500 * 1024;

using PetitionFilter = data::PetitionFilter;  // filters as the query string gives them
using TileScope = data::TileScope;            // how far the caller reaches

struct TileRequest {
  data::Layer layer = data::Layer::grids;
  TileId tile;
  PetitionFilter filter;
  TileScope scope;
  int64_t now = 0;                         // for petition ages and overdue
  std::chrono::milliseconds budget{3000};  // work per tile; over it the tile is refused
  double tolerance = 4;  // simplification, tile units; coarsened when a tile is too big
  size_t max_bytes = kMaxTileBytes;
  size_t max_points = 20000;  // point features per tile before the least urgent are left out
};

struct TileStats {
  size_t features = 0, vertices = 0, bytes = 0;
  size_t rows = 0;       // records read
  size_t left_out = 0;   // point features beyond the cap
  double tolerance = 0;  // the simplification used in the end
  GeneraliseStats areas;
};

struct BuiltTile {
  std::string mvt;  // uncompressed; empty for a tile with nothing in it
  TileStats stats;
};

class PointStore;
class GridAttributes;
class AreaStore;

// In-memory snapshots that spare a tile the slow SQL (see point_store.hpp); each may be
// null, and SQL serves what is missing.
struct TileSnapshots {
  std::shared_ptr<const PointStore> petitions, households;
  std::shared_ptr<const GridAttributes> grids;
  std::shared_ptr<const AreaStore> areas;  // used for tiles of its own layer
};

}  // namespace gridmap::tiles
