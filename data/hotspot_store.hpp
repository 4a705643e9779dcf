// Hotspots of petitions per grid for a time window (geo/hotspots does the statistics).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/hotspots.hpp"

namespace gridmap::data {

// What does not change between queries: the grids, their households and neighbours.
struct HotspotLayout {
  std::vector<std::string> codes, names, geojson;
  std::vector<int64_t> households;
  std::vector<std::vector<uint32_t>> neighbours;
};
HotspotLayout load_hotspot_layout(Db& db);

struct HotspotQuery {
  int64_t from = 0, to = 0;  // [from, to); the previous window has the same length before it
  std::optional<std::string> category, kind;
  bool per_household = false;  // value = petitions per household instead of a raw count
};

struct GridHotspot {
  uint32_t grid = 0;  // index into the layout
  int64_t count = 0, previous_count = 0;
  double value = 0;
  GiStar current, previous;
  Trend trend = Trend::none;
};

std::vector<GridHotspot> grid_hotspots(Db& db, const HotspotLayout& layout, const HotspotQuery& q);
// A GeoJSON FeatureCollection of the grids with gi_z, p_value, class, trend and counts.
std::string hotspots_geojson(const HotspotLayout& layout, const std::vector<GridHotspot>& spots);

}  // namespace gridmap::data
