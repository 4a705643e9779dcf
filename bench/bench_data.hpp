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

// Petitions for the heat benchmark: `n` points over the data set's extent (extent.csv),
// clustered like a province's towns: 300 towns at uniform places, the i-th drawing a share
// proportional to 1 / (i + 1) (Zipf) and spreading its petitions as a normal distribution
// of a lognormal radius (median 2 km); 5 % are uniform over the extent. Each has a category
// (0..7), kind (0 appeal, 1 incident; 30 % incidents), status (0..4, mostly closed) and a
// creation time within the two years before 2026-01-01. Writes
// DIR/petitions-N.csv (id,lon,lat,category,kind,status,created_at; coordinates with 7
// decimals, so both sides parse the same text) and DIR/petitions-N-hot.csv (lon,lat of the
// busiest town) unless they exist; returns the CSV's path.
std::string generate_petitions(const std::string& dir, size_t n, uint64_t seed);

struct PetitionRow {
  LonLat position;
  uint8_t category = 0, kind = 0, status = 0;
  int64_t created_at = 0;
};
std::vector<PetitionRow> read_petitions(const std::string& csv);
LonLat read_hot_spot(const std::string& csv);  // the busiest town of a petitions CSV

}  // namespace gridmap::bench
