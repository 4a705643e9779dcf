// Hotspots of petitions per grid for a time window (geo/hotspots does the statistics), and
// the cache that keeps what does not change between queries.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/db.hpp"
#include "geo/hotspots.hpp"

namespace gridmap::data {

// What changes only with the grids: their codes, names, outlines and neighbours.
struct HotspotLayout {
  std::vector<std::string> codes, names, geojson;
  std::unordered_map<std::string, uint32_t> index;  // code -> position
  std::vector<std::vector<uint32_t>> neighbours;
};
HotspotLayout load_hotspot_layout(Db& db);
// Households per grid, parallel to layout.codes.
std::vector<int64_t> household_counts(Db& db, const HotspotLayout& layout);

struct HotspotQuery {
  int64_t from = 0, to = 0;  // [from, to); the previous window has the same length before it
  std::optional<std::string> category, kind;
  bool per_household = false;  // value = petitions per household instead of a raw count
  std::string key() const;     // a stable text of the query, for caches
};

struct GridHotspot {
  uint32_t grid = 0;  // index into the layout
  int64_t count = 0, previous_count = 0;
  double value = 0;
  GiStar current, previous;
  Trend trend = Trend::none;
};

// Counts the petitions of both windows per grid (one SQL aggregate each) and runs Gi* and
// the FDR classification on them. `households` as household_counts() gives them.
std::vector<GridHotspot> grid_hotspots(Db& db, const HotspotLayout& layout,
                                       const std::vector<int64_t>& households,
                                       const HotspotQuery& q);
// A GeoJSON FeatureCollection of the grids with gi_z, p_value, class, trend and counts.
std::string hotspots_geojson(const HotspotLayout& layout, const std::vector<GridHotspot>& spots);

struct HotspotResult {
  std::shared_ptr<const HotspotLayout> layout;
  std::vector<GridHotspot> spots;  // parallel to layout->codes
};

// The layout (neighbours) and household counts built on first use and kept until a change
// is reported; the results of the last few queries kept until any petition changes.
// Thread-safe; a result computed while a change was reported is answered but not kept.
class HotspotCache {
 public:
  std::shared_ptr<const HotspotResult> get(Db& db, const HotspotQuery& q);
  std::shared_ptr<const HotspotLayout> layout(Db& db);

  void grids_changed();       // boundaries: neighbours, and everything after them
  void households_changed();  // per-household values
  void petitions_changed();   // counts

 private:
  struct Base {
    std::shared_ptr<const HotspotLayout> layout;
    std::shared_ptr<const std::vector<int64_t>> households;
  };
  Base base(Db& db);

  static constexpr size_t kMaxResults = 8;  // about 8 MB each for 100,000 grids
  std::mutex build_lock_;                   // one builder of the layout at a time
  std::mutex lock_;                         // the members below
  std::shared_ptr<const HotspotLayout> layout_;
  std::shared_ptr<const std::vector<int64_t>> households_;
  std::vector<std::pair<std::string, std::shared_ptr<const HotspotResult>>>
      results_;  // front = newest
  uint64_t grids_epoch_ = 0, households_epoch_ = 0, results_epoch_ = 0;
};

}  // namespace gridmap::data
