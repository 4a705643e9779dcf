// Heat map PNG tiles and density vector tiles of petitions: binned counts from the heat
// stores (petitions, households), rendered (heat_render.hpp) and cached like the vector
// tiles, and told of every petition and household change.
#pragma once

#include <memory>

#include "data/db.hpp"
#include "tiles/cache.hpp"
#include "tiles/heat_render.hpp"
#include "tiles/heat_store.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

struct HeatRequest {
  TileId tile;
  int scale = 1;                // 2: a 512 x 512 image (@2x)
  PetitionFilter filter;        // validated (tiles::validate)
  bool suppress_small = false;  // k-anonymity: bins below kHeatMinCount count as empty
};

// The filter a k-anonymous answer counts with: from/to widened to whole weeks (Monday 00:00
// to the end of Sunday, China Standard Time). Two windows a day apart would otherwise
// differ by single petitions, and subtracting them would single those out.
PetitionFilter whole_weeks(PetitionFilter filter);

// The tile's binned counts (with the heat margin), with suppression when asked.
std::vector<uint32_t> heat_bins(const HeatSnapshot& petitions, const HeatRequest& request,
                                int margin);
// The PNG of a heat tile (what the cache keeps).
std::string heat_png(const HeatSnapshot& petitions, const HeatRequest& request);
// The density vector tile (layer `density`).
std::string density_mvt(const HeatSnapshot& petitions, const HeatSnapshot& households,
                        const HeatRequest& request);

class HeatTiles {
 public:
  explicit HeatTiles(size_t cache_bytes = size_t{64} << 20);

  // From the cache or made now; throws invalid_input for a tile outside the zooms.
  std::shared_ptr<const CachedTile> heat(data::Db& db, const HeatRequest& request);
  std::shared_ptr<const CachedTile> density(data::Db& db, const HeatRequest& request);

  void petition_changed(data::Db& db, int64_t id);
  void household_changed(data::Db& db, int64_t id);
  void households_reloaded(data::Db& db);  // many at once (an import)

  HeatStore& petitions() noexcept { return petitions_; }
  TileCache& heat_cache() noexcept { return heat_cache_; }

 private:
  HeatStore petitions_{HeatStore::Source::petitions}, households_{HeatStore::Source::households};
  TileCache heat_cache_, density_cache_;
};

}  // namespace gridmap::tiles
