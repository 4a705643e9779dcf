// gridmap convert --from CRS --to CRS (LON LAT | --csv IN)
#include <iostream>

#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"
#include "server/cli/csv_filter.hpp"

namespace gridmap::cli {

const CommandSpec& convert_spec() {
  static const CommandSpec spec{
      "convert",
      "convert --from CRS --to CRS (LON LAT | --csv IN)",
      {{"--from", "CRS", "the input CRS: EPSG:N, wgs84, cgcs2000, gcj02 or bd09", ""},
       {"--to", "CRS", "the output CRS, as --from", ""},
       {"--csv", "IN", "convert every row of a CSV with lon and lat columns", ""}}};
  return spec;
}

int cmd_convert(const Args& args) {
  crs::Transformer transform(crs::parse(args.require("--from")), crs::parse(args.require("--to")));
  if (auto csv = args.get("--csv")) {
    if (!args.positional().empty()) throw_invalid("convert: give either LON LAT or --csv, not both");
    filter_csv(*csv, {"out_lon", "out_lat"}, [&](LonLat p) {
      LonLat q = transform(p);
      return std::vector<std::string>{format_coordinate(q.lon), format_coordinate(q.lat)};
    });
    return 0;
  }
  if (args.positional().size() != 2) throw_invalid("convert: give LON LAT or --csv FILE");
  LonLat q = transform(parse_lonlat(args.positional()[0], args.positional()[1]));
  std::cout << format_coordinate(q.lon) << "," << format_coordinate(q.lat) << "\n";
  return 0;
}

}  // namespace gridmap::cli
