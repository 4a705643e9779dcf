// gridmap export LAYER OUT --db FILE [--format geojson|gpkg|shp|csv] [--crs ...]
#include <iostream>

#include "data/export.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

int cmd_export(const ArgList& argv) {
  Args args("export", argv, {"--db", "--format", "--crs"});
  if (args.positional().size() != 2) throw_invalid("export: give LAYER and OUT");
  data::ExportOptions o;
  auto layer = data::parse_layer(args.positional()[0]);
  if (!layer)
    throw_invalid("unknown layer '" + args.positional()[0] +
                  "' (use subdistricts, communities, grids, workers, households or petitions)");
  o.layer = *layer;
  o.out = args.positional()[1];
  if (auto f = args.get("--format")) {
    auto format = data::parse_format(*f);
    if (!format) throw_invalid("unknown format '" + *f + "' (use geojson, gpkg, shp or csv)");
    o.format = *format;
  } else {
    o.format = data::format_from_path(o.out).value_or(data::ExportFormat::geojson);
  }
  o.crs = args.crs();
  data::Db db = data::Db::open(args.db(), false);
  int64_t n = data::export_layer(db, o);
  std::cout << "exported " << n << " " << args.positional()[0] << " to " << o.out << "\n";
  return 0;
}

}  // namespace gridmap::cli
