#include "data/locator.hpp"

#include "geo/error.hpp"

namespace gridmap::data {

Locator Locator::load(Db& db) {
  std::vector<GridLineage> lineage = grid_lineage(db);
  std::vector<geos::GeomPtr> geoms;
  geoms.reserve(lineage.size());
  AreaRepo grids(db, Layer::grids);
  size_t i = 0;
  grids.for_each([&](const Area& a) {
    if (i >= lineage.size() || lineage[i].grid_code.value != a.code)
      throw_internal("grid list changed while loading");
    geoms.push_back(geos::from_wkb(a.wkb));
    ++i;
  });
  std::vector<const GEOSGeometry*> raw;
  raw.reserve(geoms.size());
  for (auto& g : geoms) raw.push_back(g.get());
  return Locator(std::move(lineage), GridIndex(raw));
}

const GridLineage* Locator::locate(LonLat p) const {
  auto hit = index_.locate(p);
  return hit ? &lineage_[*hit] : nullptr;
}

Location Locator::locate_detail(LonLat p, double max_m) const {
  LocateHit hit = index_.locate_detail(p);
  Location loc;
  if (hit.grid) {
    loc.grid = &lineage_[*hit.grid];
    loc.distance_to_edge_m = hit.on_edge ? 0 : index_.distance_to_boundary_m(p, *hit.grid);
  } else if (auto n = index_.nearest(p, max_m)) {
    loc.nearest = &lineage_[n->grid];
    loc.nearest_distance_m = n->distance_m;
  }
  loc.on_edge = hit.on_edge;
  for (uint32_t n : hit.neighbours) loc.neighbours.push_back(&lineage_[n]);
  return loc;
}

}  // namespace gridmap::data
