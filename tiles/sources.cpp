#include "tiles/sources.hpp"

#include "geo/error.hpp"
#include "tiles/point_store.hpp"

namespace gridmap::tiles {

void read_areas(data::Db& db, data::Layer layer, Box box, const GridAttributes* attributes,
                const std::function<void(AreaRecord&)>& f) {
  bool grids = layer == data::Layer::grids;
  AreaRecord r;
  data::read_area_rows(db, layer, box, grids && !attributes, [&](data::AreaRow& row) {
    r.code = std::move(row.code);
    r.name = std::move(row.name);
    if (auto p = polygons_from_blob(row.geom))
      r.polygons = std::move(*p);
    else  // a stored form read_blob() does not know
      r.polygons = polygons_from_wkb(data::area_wkb(db, layer, r.code));
    if (grids && attributes) {
      const GridAttributes::Entry* e = attributes->find(r.code);
      r.workers = e ? e->workers : std::string();
      r.households = e ? e->households : 0;
    } else if (grids) {
      r.workers = std::move(row.workers);
      r.households = row.households;
    }
    f(r);
  });
}

void read_points(data::Db& db, data::Layer layer, Box box, const PetitionFilter& filter,
                 const TileScope& scope, const std::function<void(PointRecord&)>& f) {
  PointRecord r;
  data::read_point_rows(db, layer, box, filter, scope, [&](data::PointRow& row) {
    r.id = row.id;
    auto p = point_from_blob(row.geom);
    if (!p)
      throw_internal(std::string(data::to_string(layer)) + " " + std::to_string(r.id) +
                     " has no point geometry");
    r.world = to_world(*p);
    if (layer == data::Layer::petitions) {
      r.kind = row.kind;
      r.category = std::move(row.category);
      r.status = row.status;
      r.created_at = row.created_at;
      r.closed_at = row.closed_at;
      r.deadline_at = row.deadline_at;
    } else if (layer == data::Layer::households) {
      r.grid_code = std::move(row.grid_code);
    } else {
      r.on_duty = row.on_duty;
      r.position_at = row.position_at;
    }
    f(r);
  });
}

}  // namespace gridmap::tiles
