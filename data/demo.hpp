// Deterministic demo cities: a subdistrict (tatabu), a city, or a benchmark-sized province.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/types.hpp"

#include "data/db.hpp"

namespace gridmap::data {

enum class Preset { tatabu, city, province };
std::optional<Preset> parse_preset(std::string_view name) noexcept;

struct DemoOptions {
  Preset preset = Preset::city;
  uint64_t seed = 1;
  // Where the timeline ends (Unix seconds): the city is generated for its fixed "now"
  // (2026-11-01 00:00 CST) and every time moved by the difference, so a seed gives the same
  // city whenever it is made; deadlines are counted again in working time from the moved
  // report times. Absent: the fixed "now".
  std::optional<int64_t> now;
  std::function<void(int64_t done, int64_t total)> progress;
};

struct DemoHotspot {
  std::string kind;  // market | dormitory | school
  LonLat position;
};

struct DemoSummary {
  int64_t subdistricts = 0, communities = 0, grids = 0, workers = 0, households = 0, residents = 0,
          petitions = 0, events = 0;
  std::vector<DemoHotspot> hotspots;  // the planted concentrations of petitions
};

// Fills an empty database; refuses (conflict) one that already holds grids.
DemoSummary generate_demo(Db& db, const DemoOptions& options);

}  // namespace gridmap::data
