// The tile layers: what each of the six public layers puts into a vector tile, read from
// the database and generalised for the zoom. No personal data: areas carry codes, names,
// the worker's name and a household count; points carry ids and status-like fields only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/db.hpp"
#include "data/hotspot_store.hpp"
#include "data/layer.hpp"
#include "tiles/generalise.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

constexpr int kMinTileZoom = 0, kMaxTileZoom = 22;  // requests outside are refused
constexpr int kClusterBelowZoom = 14;  // petitions and households are clustered below this
constexpr double kBuffer = 64;         // tile units around the tile
constexpr size_t kMaxTileBytes = 500 * 1024;

// Petition filters as the query string gives them; lists are alternatives (status=a,b).
struct PetitionFilter {
  std::vector<std::string> status, category, kind;
  std::optional<int64_t> from, to;  // created_at within [from, to)
  bool empty() const noexcept;
  std::string canonical() const;  // a stable text of the filter, for cache keys
};

// How far the caller reaches: everything, or a worker's own patch (households of their
// grids; petitions of their grids, reported by them or handled by them).
struct TileScope {
  bool own_only = false;
  std::vector<std::string> grids;
  std::string reporter;
  std::optional<int64_t> worker_id;
  std::string key() const;  // "" for everything
};

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

// Builds one tile. Throws invalid_input for a bad filter (unknown category, ...),
// unavailable when the work budget runs out.
BuiltTile build_tile(data::Db& db, const TileRequest& request, const TileSnapshots& snapshots = {});

// The hotspots layer: the grids generalised as in the grids layer (no label layer), each with
// code, name, gi_z, p_value, class, trend and count from `result`. req.layer must be grids;
// its filter is not used (the result holds the query).
BuiltTile build_hotspot_tile(data::Db& db, const TileRequest& request,
                             const TileSnapshots& snapshots, const data::HotspotResult& result);

// Checks a filter against the database (categories, statuses, kinds); throws invalid_input.
void validate(data::Db& db, const PetitionFilter& filter);

// ---- what each layer offers, for TileJSON and styles ----

struct FieldInfo {
  std::string_view name, type, description;  // type: String, Number, Boolean
};

struct VectorLayerInfo {
  std::string_view id, description;
  int minzoom, maxzoom;
  std::vector<FieldInfo> fields;
};

struct TileLayerInfo {
  data::Layer layer;
  std::string_view description;
  int minzoom, maxzoom;  // advertised range; clients overzoom beyond maxzoom
  std::vector<VectorLayerInfo> vector_layers;
};

// The zoom from which an area layer's tiles carry label points: the zoom from which the
// style names that layer's areas (below it a grid's name does not fit inside the grid, and
// the points would only fatten the tiles).
constexpr int label_minzoom(data::Layer layer) {
  return layer == data::Layer::communities ? 12 : layer == data::Layer::grids ? 15 : 0;
}

const TileLayerInfo& layer_info(data::Layer layer);
const std::vector<data::Layer>& tile_layers();
const VectorLayerInfo&
hotspot_layer_info();  // the hotspots layer (not a data layer)  // all six, in drawing order

// The lon/lat extent of the stored areas (the whole world when there are none).
Box data_bounds(data::Db& db);

}  // namespace gridmap::tiles
