// The tile layers: what each of the six public layers puts into a vector tile, read from
// the database and generalised for the zoom. No personal data: areas carry codes, names,
// the worker's name and a household count; points carry ids and status-like fields only.
// The builders live in area_tiles.cpp and point_tiles.cpp.
#pragma once

#include "data/db.hpp"
#include "data/hotspot_store.hpp"
#include "geo/types.hpp"
#include "tiles/layer_info.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

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

// The lon/lat extent of the stored areas (the whole world when there are none).
Box data_bounds(data::Db& db);

}  // namespace gridmap::tiles
