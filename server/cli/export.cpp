// gridmap export LAYER OUT --db FILE [--format geojson|gpkg|shp|csv] [--crs ...];
// gridmap export register OUT.csv|.xlsx --db FILE (residents unmasked: audited)
#include <fstream>
#include <iostream>

#include "data/audit.hpp"
#include "data/export.hpp"
#include "data/register.hpp"
#include "data/stats.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& export_spec() {
  static const CommandSpec spec{
      "export",
      "export  LAYER OUT --db FILE [--format geojson|gpkg|shp|csv] [--crs ...]\n"
      "        register OUT.csv|.xlsx --db FILE",
      {{"--db", "FILE", "the database", ""},
       {"--format", "NAME", "geojson, gpkg, shp or csv", "from OUT's extension, else geojson"},
       {"--crs", "CRS", "the output CRS: EPSG:N, wgs84, cgcs2000, gcj02 or bd09", "wgs84"}}};
  return spec;
}

int cmd_export(const Args& args) {
  if (args.positional().size() != 2) throw_invalid("export: give LAYER and OUT");
  if (args.positional()[0] == "register") {
    const std::string& out = args.positional()[1];
    bool xlsx = out.size() > 5 && out.compare(out.size() - 5, 5, ".xlsx") == 0;
    bool csv = out.size() > 4 && out.compare(out.size() - 4, 4, ".csv") == 0;
    if (!xlsx && !csv) throw_invalid("export register: OUT ends in .csv or .xlsx");
    data::Db db = data::Db::open(args.db(), false);
    data::Sheet sheet = data::register_sheet(db);
    std::string bytes = xlsx ? data::sheet_xlsx(sheet) : data::sheet_csv(sheet);
    {
      std::ofstream f(out, std::ios::binary | std::ios::trunc);
      if (!(f << bytes)) throw_invalid("export register: cannot write " + out);
    }
    data::audit(db, data::now_seconds(), "cli", "export_register", "register",
                std::to_string(sheet.rows.size()) + " rows to " + out);
    std::cout << "exported " << sheet.rows.size() << " register rows to " << out << "\n";
    return 0;
  }
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
  Progress progress("exporting " + args.positional()[0]);
  o.progress = [&progress](int64_t done, int64_t total) { progress(done, total); };
  int64_t n = data::export_layer(db, o);
  progress.finish();
  std::cout << "exported " << n << " " << args.positional()[0] << " to " << o.out << "\n";
  return 0;
}

}  // namespace gridmap::cli
