#include "tiles/layers.hpp"

#include <algorithm>

#include "data/petitions.hpp"
#include "data/tile_rows.hpp"
#include "geo/error.hpp"
#include "tiles/tile_build.hpp"

namespace gridmap::tiles {

void validate(data::Db& db, const PetitionFilter& f) {
  for (const std::string& s : f.status)
    if (!data::parse_status(s))
      throw_invalid("unknown status '" + s + "' (use " + data::status_names() + ")");
  for (const std::string& k : f.kind)
    if (!data::parse_kind(k)) throw_invalid("unknown kind '" + k + "' (use appeal or incident)");
  if (!f.category.empty()) {
    std::vector<std::string> known = data::category_codes(db);
    for (const std::string& c : f.category)
      if (std::find(known.begin(), known.end(), c) == known.end()) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        throw_invalid("unknown category '" + c + "' (use " + list + ")");
      }
  }
  if (f.from && f.to && *f.from >= *f.to) throw_invalid("'from' must be before 'to'");
}

BuiltTile build_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap) {
  if (!is_valid(req.tile) || req.tile.z > kMaxTileZoom)
    throw_invalid("no tile " + std::to_string(req.tile.z) + "/" + std::to_string(req.tile.x) + "/" +
                  std::to_string(req.tile.y) + " (zoom 0 to " + std::to_string(kMaxTileZoom) +
                  ", x and y below 2^zoom)");
  if (req.layer != data::Layer::petitions && !req.filter.empty())
    throw_invalid("only petitions tiles take filters");
  detail::Budget budget(req.budget);
  if (!data::is_area(req.layer)) return detail::build_point_tile(db, req, snap, budget);
  return detail::build_area_tile(db, req, snap, budget);
}

Box data_bounds(data::Db& db) {
  if (auto b = data::areas_extent(db)) return *b;
  return {-180, -85.0511287798066, 180, 85.0511287798066};
}

}  // namespace gridmap::tiles
