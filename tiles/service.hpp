// The tile service behind the HTTP routes and the cache's keeper: builds tiles from the
// database and the in-memory snapshots, caches them, and is told of every committed
// change so that exactly the tiles showing it go stale.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "data/db.hpp"
#include "data/hotspot_store.hpp"
#include "data/layer.hpp"
#include "geo/types.hpp"
#include "tiles/area_store.hpp"
#include "tiles/cache.hpp"
#include "tiles/heat_service.hpp"
#include "tiles/layers.hpp"
#include "tiles/point_store.hpp"

namespace gridmap::tiles {

struct TileServiceOptions {
  size_t cache_bytes = size_t{256} << 20;
  // Point layers up to this size are kept in memory; larger ones are read with SQL.
  size_t max_points_in_memory = 2'000'000;
  // Area layers up to this many vertices are kept in memory (with their generalised bands);
  // larger ones are read with SQL.
  size_t max_area_vertices_in_memory = 8'000'000;
};

class TileService {
 public:
  explicit TileService(TileServiceOptions options = {});

  // The tile, from the cache or built now. Throws as build_tile() does.
  std::shared_ptr<const CachedTile> tile(data::Db& db, const TileRequest& request);

  // The hotspots layer for a query (request.layer grids, no filter), from its own cache:
  // every petition, household or grid change makes all of it stale, since any one changes
  // every grid's z.
  std::shared_ptr<const CachedTile> hotspot_tile(data::Db& db, const TileRequest& request,
                                                 const data::HotspotQuery& query);
  // Hotspot statistics, kept until a change is reported (the API answers from it too).
  data::HotspotCache& hotspots() noexcept { return hotspots_; }

  // Changes, reported after they are committed.
  void petition_changed(data::Db& db, int64_t id);   // reported, moved on, escalated, ...
  void household_changed(data::Db& db, int64_t id);  // added or edited (counts of its grid too)
  void households_reloaded(data::Db& db);            // many at once (an import of the register)
  // An area's boundary changed; `before` and `after` are its boxes (absent when it did not
  // exist before, or no longer does).
  void area_changed(data::Layer layer, std::optional<Box> before, std::optional<Box> after);
  // Workers' names, duty or grids changed: the grids' worker names and the workers layer.
  void workers_changed(data::Db& db);

  TileCache& cache() noexcept { return cache_; }
  HeatTiles& heat() noexcept { return heat_; }  // heat map and density tiles

 private:
  template <class T>
  struct Snapshot {
    std::atomic<std::shared_ptr<const T>> value;
    std::atomic<bool> loaded{false};
  };
  TileSnapshots snapshots(data::Db& db, data::Layer layer);

  TileServiceOptions options_;
  TileCache cache_;
  HeatTiles heat_;
  std::mutex update_lock_;  // one loader or updater of the snapshots at a time
  Snapshot<PointStore> petitions_, households_;
  Snapshot<GridAttributes> grids_;
  std::array<Snapshot<AreaStore>, 3> areas_;  // subdistricts, communities, grids
  data::HotspotCache hotspots_;
  TileCache hotspot_tiles_{size_t{32} << 20};  // under Layer::grids, keyed by the query
};

}  // namespace gridmap::tiles
