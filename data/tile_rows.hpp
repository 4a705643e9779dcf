// The rows tiles and heat maps are made of: the storage side of tiles/. tiles/ decides what a
// tile shows and how; this file is every statement it needs, so that a second storage engine
// answers the same calls. Geometries come as the engine stores them (`geom`: SpatiaLite's
// BLOB here, which tiles/wkb.hpp reads without a SQL function call per row).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "data/petition_types.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

// Petition filters as the query string gives them; lists are alternatives (status=a,b).
struct PetitionFilter {
  std::vector<std::string> status, category, kind;
  std::optional<int64_t> from, to;  // created_at within [from, to)
  bool empty() const noexcept;
  std::string canonical() const;  // a stable text of the filter, for cache keys
};

// How far the caller reaches: everything, or a worker's own patch (households of their
// grids; petitions of their grids, reported by them or handled by them; only themselves
// among workers).
struct TileScope {
  bool own_only = false;
  std::vector<std::string> grids;
  std::string reporter;
  std::optional<int64_t> worker_id;
  std::string key() const;  // "" for everything
};

struct AreaRow {
  std::string code, name;
  std::string geom;         // the stored geometry
  std::string workers;      // grids, when asked for: their workers' names, "、"-separated
  int64_t households = -1;  // grids, when asked for: how many households
};

// The areas of an area layer whose stored boxes meet `box`, ordered by code; with
// `grid_attributes` (grids only) each row also carries its workers and household count.
void read_area_rows(Db& db, Layer layer, Box box, bool grid_attributes,
                    const std::function<void(AreaRow&)>& f);
// The area's geometry as ISO WKB, for a stored form tiles cannot read itself; throws
// internal when the area is gone.
std::string area_wkb(Db& db, Layer layer, const std::string& code);

struct PointRow {
  int64_t id = 0;
  std::string geom;       // the stored geometry (a point)
  std::string grid_code;  // households and petitions; "" when outside every grid
  // petitions
  Kind kind = Kind::appeal;
  Status status = Status::reported;
  std::string category, reporter;
  int64_t created_at = 0;
  std::optional<int64_t> closed_at, deadline_at, handler_worker;
  // workers
  bool on_duty = false;
  std::optional<int64_t> position_at;
};

// Points of petitions, households or workers whose stored boxes meet `box`, with the filter
// (petitions) and the scope applied, in no particular order. Workers without a position are
// left out.
void read_point_rows(Db& db, Layer layer, Box box, const PetitionFilter& filter,
                     const TileScope& scope, const std::function<void(PointRow&)>& f);
// Every located point of petitions or households (record `only` alone when given), for the
// in-memory snapshots and heat maps.
void read_all_points(Db& db, Layer layer, const std::function<void(PointRow&)>& f,
                     std::optional<int64_t> only = std::nullopt);
int64_t count_records(Db& db, Layer layer);

// Grids' workers' names ("、"-separated, by worker id) and household counts, for every grid
// that has any.
void read_grid_workers(Db& db,
                       const std::function<void(const std::string& grid, std::string names)>& f);
void read_grid_households(Db& db, const std::function<void(const std::string& grid, int64_t n)>& f);
int64_t households_in_grid(Db& db, const std::string& grid);

// The catalogue's category codes, in code order.
std::vector<std::string> category_codes(Db& db);
// The lon/lat extent of the stored areas of all three area layers; nullopt when there are none.
std::optional<Box> areas_extent(Db& db);

}  // namespace gridmap::data
