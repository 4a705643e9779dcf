// Reading the records of one tile from the database: the layer's rows whose boxes meet the
// tile's buffered box (data/tile_rows.hpp), decoded into coordinates a tile can project.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "data/tile_rows.hpp"
#include "geo/types.hpp"
#include "tiles/tile_math.hpp"
#include "tiles/tile_request.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {

class GridAttributes;

struct AreaRecord {
  std::string code, name;
  std::string workers;      // grids: the names of their workers, "、"-separated
  int64_t households = -1;  // grids: how many households; -1 for other layers
  std::vector<LonLatPolygon> polygons;
};

struct PointRecord {
  int64_t id = 0;
  WorldXY world;
  // petitions
  data::Kind kind = data::Kind::appeal;
  data::Status status = data::Status::reported;
  std::string category;
  int64_t created_at = 0;
  std::optional<int64_t> closed_at, deadline_at;
  // households
  std::string grid_code;
  // workers
  bool on_duty = false;
  std::optional<int64_t> position_at;
};

// The areas of an area layer within the box, ordered by code. Grids take their workers and
// household counts from `grids` when given, else from SQL.
void read_areas(data::Db& db, data::Layer layer, Box box, const GridAttributes* grids,
                const std::function<void(AreaRecord&)>& f);

// Points of petitions, households or workers within the box, with the filter (petitions)
// and the caller's scope applied, in no particular order.
void read_points(data::Db& db, data::Layer layer, Box box, const PetitionFilter& filter,
                 const TileScope& scope, const std::function<void(PointRecord&)>& f);

}  // namespace gridmap::tiles
