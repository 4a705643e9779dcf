// gridmap nearest --db FILE LON LAT [-k N] [--all] [--community CODE] [--grid CODE] [--crs ...]
#include <cstdio>
#include <iostream>

#include "data/csv.hpp"
#include "data/db.hpp"
#include "data/worker_directory.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& nearest_spec() {
  static const CommandSpec spec{
      "nearest",
      "nearest --db FILE LON LAT [-k N] [--all] [--community CODE] [--grid CODE] [--crs ...]",
      {{"--db", "FILE", "the database", ""},
       {"-k", "N", "how many workers (1 to 1000; the command line only)", "5"},
       {"--all", "", "off-duty workers too", "on duty only"},
       {"--community", "CODE", "only the workers of this community", ""},
       {"--grid", "CODE", "only the workers of this grid", ""},
       {"--crs", "CRS", "the CRS of LON LAT: EPSG:N, wgs84, cgcs2000, gcj02 or bd09", "wgs84"}}};
  return spec;
}

int cmd_nearest(const Args& args) {
  if (args.positional().size() != 2) throw_invalid("nearest: give LON LAT");
  long k = args.integer("-k", 5, 1, 1000);
  crs::Transformer to_wgs84(args.crs(), crs::Crs{});
  LonLat p = to_wgs84(parse_lonlat(args.positional()[0], args.positional()[1]));
  if (!is_valid_wgs84(p)) throw_invalid("coordinate out of range");
  data::Db db = data::Db::open(args.db(), false);
  data::WorkerDirectory workers = data::WorkerDirectory::load(db);
  data::NearbyFilter f;
  f.include_off_duty = args.flag("--all");
  f.community_code = args.get("--community");
  f.grid_code = args.get("--grid");
  std::vector<data::NearbyWorker> found = workers.nearest(p, static_cast<size_t>(k), f);
  data::write_csv_row(std::cout, {"worker_id", "distance_m", "grid_code", "name"});
  for (const data::NearbyWorker& w : found) {
    char d[32];
    std::snprintf(d, sizeof d, "%.1f", w.distance_m);
    data::write_csv_row(std::cout, {std::to_string(w.id.value), d, w.grid_code, w.name});
  }
  return 0;
}

}  // namespace gridmap::cli
