#include "tiles/service.hpp"

#include "data/features.hpp"
#include "data/residents.hpp"
#include "data/tile_rows.hpp"
#include "geo/error.hpp"

namespace gridmap::tiles {

TileService::TileService(TileServiceOptions options)
    : options_(options), cache_(options.cache_bytes) {}

TileSnapshots TileService::snapshots(data::Db& db, data::Layer layer) {
  auto ensure = [&](auto& snap, auto load) {
    if (snap.loaded.load()) return snap.value.load();
    std::lock_guard l(update_lock_);
    if (!snap.loaded.load()) {
      snap.value.store(load());
      snap.loaded.store(true);
    }
    return snap.value.load();
  };
  TileSnapshots s;
  if (layer == data::Layer::petitions)
    s.petitions = ensure(
        petitions_, [&] { return PointStore::load(db, layer, options_.max_points_in_memory); });
  if (layer == data::Layer::households)
    s.households = ensure(
        households_, [&] { return PointStore::load(db, layer, options_.max_points_in_memory); });
  if (layer == data::Layer::grids)
    s.grids = ensure(grids_, [&] { return GridAttributes::load(db); });
  if (data::is_area(layer))
    s.areas = ensure(areas_[static_cast<size_t>(layer)], [&] {
      return AreaStore::load(db, layer, options_.max_area_vertices_in_memory);
    });
  return s;
}

std::shared_ptr<const CachedTile> TileService::tile(data::Db& db, const TileRequest& request) {
  TileKey key{request.layer, request.tile, request.filter.canonical() + "|" + request.scope.key()};
  return cache_.get(key, [&] { return build_tile(db, request, snapshots(db, request.layer)); });
}

std::shared_ptr<const CachedTile> TileService::hotspot_tile(data::Db& db,
                                                            const TileRequest& request,
                                                            const data::HotspotQuery& query) {
  if (request.layer != data::Layer::grids || !request.filter.empty())
    throw_internal("hotspot tiles are grids without a petition filter");
  TileKey key{data::Layer::grids, request.tile, query.key()};
  return hotspot_tiles_.get(key, [&] {
    auto result = hotspots_.get(db, query);
    return build_hotspot_tile(db, request, snapshots(db, data::Layer::grids), *result);
  });
}

void TileService::petition_changed(data::Db& db, int64_t id) {
  hotspots_.petitions_changed();
  hotspot_tiles_.invalidate_layer(data::Layer::grids);
  heat_.petition_changed(db, id);
  {
    std::lock_guard l(update_lock_);
    if (auto store = petitions_.value.load()) petitions_.value.store(store->with_record(db, id));
  }
  // A petition does not move, so the tiles around its place are all that change.
  if (auto box = data::extent_of(db, data::Layer::petitions, std::to_string(id)))
    cache_.invalidate_point(data::Layer::petitions, {box->min_lon, box->min_lat});
  else
    cache_.invalidate_layer(data::Layer::petitions);
}

void TileService::household_changed(data::Db& db, int64_t id) {
  hotspots_.households_changed();  // per-household values
  hotspot_tiles_.invalidate_layer(data::Layer::grids);
  heat_.household_changed(db, id);
  std::optional<std::string> grid = data::household_grid(db, id);
  {
    std::lock_guard l(update_lock_);
    if (auto store = households_.value.load()) households_.value.store(store->with_record(db, id));
    if (auto attrs = grids_.value.load(); attrs && grid)
      grids_.value.store(attrs->with_households_of(db, *grid));
  }
  if (auto box = data::extent_of(db, data::Layer::households, std::to_string(id)))
    cache_.invalidate_point(data::Layer::households, {box->min_lon, box->min_lat});
  else
    cache_.invalidate_layer(data::Layer::households);
  // The grid's household count is an attribute of the grids tiles over it.
  if (grid)
    if (auto box = data::extent_of(db, data::Layer::grids, *grid))
      cache_.invalidate_bbox(data::Layer::grids, *box);
}

void TileService::households_reloaded(data::Db& db) {
  hotspots_.households_changed();
  hotspot_tiles_.invalidate_layer(data::Layer::grids);
  heat_.households_reloaded(db);
  {
    std::lock_guard l(update_lock_);
    if (households_.loaded.load())
      households_.value.store(
          PointStore::load(db, data::Layer::households, options_.max_points_in_memory));
    if (grids_.loaded.load()) grids_.value.store(GridAttributes::load(db));
  }
  cache_.invalidate_layer(data::Layer::households);
  cache_.invalidate_layer(data::Layer::grids);
}

void TileService::area_changed(data::Layer layer, std::optional<Box> before,
                               std::optional<Box> after) {
  if (layer == data::Layer::grids) {
    hotspots_.grids_changed();
    hotspot_tiles_.invalidate_layer(data::Layer::grids);
  }
  if (data::is_area(layer)) {
    // The next tile loads a new snapshot; tiles being built keep the old one, and the cache
    // does not keep what they make (the invalidation below bumps the layer's epoch).
    std::lock_guard l(update_lock_);
    Snapshot<AreaStore>& snap = areas_[static_cast<size_t>(layer)];
    snap.loaded.store(false);
    snap.value.store(nullptr);
  }
  if (before) cache_.invalidate_bbox(layer, *before);
  if (after) cache_.invalidate_bbox(layer, *after);
}

void TileService::workers_changed(data::Db& db) {
  {
    std::lock_guard l(update_lock_);
    if (grids_.loaded.load()) grids_.value.store(GridAttributes::load(db));
  }
  cache_.invalidate_layer(data::Layer::grids);
  cache_.invalidate_layer(data::Layer::workers);
}

}  // namespace gridmap::tiles
