// gridmap locate --db FILE (LON LAT | --csv IN) [--crs ...]
#include <cstdio>
#include <iostream>

#include "data/csv.hpp"
#include "data/db.hpp"
#include "data/locator.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"
#include "server/cli/csv_filter.hpp"

namespace gridmap::cli {
namespace {
std::vector<std::string> columns(const data::Location& loc) {
  if (!loc.grid) return {"", "", "", "false"};
  return {loc.grid->grid_code.value, loc.grid->community_code.value_or(""),
          loc.grid->subdistrict_code.value_or(""), loc.on_edge ? "true" : "false"};
}
}  // namespace

const CommandSpec& locate_spec() {
  static const CommandSpec spec{
      "locate",
      "locate  --db FILE (LON LAT | --csv IN) [--crs ...]",
      {{"--db", "FILE", "the database", ""},
       {"--csv", "IN", "locate every row of a CSV with lon and lat columns", ""},
       {"--crs", "CRS", "the CRS of the coordinates: EPSG:N, wgs84, cgcs2000, gcj02 or bd09",
        "wgs84"}}};
  return spec;
}

int cmd_locate(const Args& args) {
  crs::Transformer to_wgs84(args.crs(), crs::Crs{});
  data::Db db = data::Db::open(args.db(), false);
  data::Locator locator = data::Locator::load(db);
  auto locate = [&](LonLat p) {
    LonLat w = to_wgs84(p);
    if (!is_valid_wgs84(w))
      throw_invalid("coordinate out of range: " + std::to_string(p.lon) + ", " +
                    std::to_string(p.lat));
    data::Location loc;
    if (auto g = locator.index().locate_detail(w); g.grid) {
      loc.grid = &locator.grids()[*g.grid];
      loc.on_edge = g.on_edge;
    }
    return columns(loc);
  };
  if (auto csv = args.get("--csv")) {
    if (!args.positional().empty()) throw_invalid("locate: give either LON LAT or --csv, not both");
    filter_csv(*csv, {"grid_code", "community_code", "subdistrict_code", "on_edge"}, locate);
    return 0;
  }
  if (args.positional().size() != 2) throw_invalid("locate: give LON LAT or --csv FILE");
  LonLat p = to_wgs84(parse_lonlat(args.positional()[0], args.positional()[1]));
  if (!is_valid_wgs84(p))
    throw_invalid("coordinate out of range: " + args.positional()[0] + ", " + args.positional()[1]);
  data::Location loc = locator.locate_detail(p);
  std::vector<std::string> row = columns(loc);
  std::string others;
  for (const auto* n : loc.neighbours) others += (others.empty() ? "" : ";") + n->grid_code.value;
  char d1[32] = "", d2[32] = "";
  if (loc.grid) std::snprintf(d1, sizeof d1, "%.1f", loc.distance_to_edge_m);
  if (loc.nearest) std::snprintf(d2, sizeof d2, "%.1f", loc.nearest_distance_m);
  row.insert(row.end(), {others, d1, loc.nearest ? loc.nearest->grid_code.value : "", d2});
  data::write_csv_row(std::cout,
                      {"grid_code", "community_code", "subdistrict_code", "on_edge", "other_grids",
                       "distance_to_edge_m", "nearest_grid_code", "nearest_distance_m"});
  data::write_csv_row(std::cout, row);
  return 0;
}

}  // namespace gridmap::cli
