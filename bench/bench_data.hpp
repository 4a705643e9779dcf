// The benchmark's data set, the same for gridmap and for PostGIS: grids from the demo city
// generator, query points, workers and their position updates. Generated once per set of
// parameters into a cache directory as CSV files that both sides load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "geo/geos.hpp"
#include "geo/types.hpp"

namespace gridmap::bench {

struct DataSpec {
  int grids = 100000;
  size_t points = 1000000;
  size_t workers = 100000;
  uint64_t seed = 1;
};

// The cache directory's name for a spec, e.g. "g100000-p1000000-w100000-s1-v1".
std::string cache_key(const DataSpec& spec);

// Writes grids.csv (id, wkb_hex), points.csv (id, lon, lat), workers.csv (id, lon, lat,
// on_duty), updates.csv (id, lon, lat: one new position per worker) and extent.csv into
// `dir` unless they are there already. Progress and timings go to stderr.
void generate(const DataSpec& spec, const std::string& dir);

struct WorkerRow {
  int64_t id = 0;
  LonLat position;
  bool on_duty = false;
};

// Ids are 1..n in file order; grids come in code order (the demo's numbering).
std::vector<geos::GeomPtr> read_grids(const std::string& dir);
std::vector<LonLat> read_points(const std::string& dir);
std::vector<WorkerRow> read_workers(const std::string& dir);
Box read_extent(const std::string& dir);

}  // namespace gridmap::bench
