#include "server/cli/csv_filter.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/csv.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"

namespace gridmap::cli {

std::string format_coordinate(double v) {
  char buf[64];
  double rounded = std::round(v * 1e9) / 1e9;
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, rounded);
  (void)ec;
  return std::string(buf, p);
}

void filter_csv(const std::string& path, const std::vector<std::string>& new_columns,
                const std::function<std::vector<std::string>(LonLat)>& compute) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid("cannot read " + path);
  data::CsvReader reader(in);
  auto header = reader.next();
  if (!header) throw_invalid(path + " is empty");
  auto lon = data::find_column(*header, "lon");
  auto lat = data::find_column(*header, "lat");
  if (!lon || !lat) throw_invalid(path + " needs 'lon' and 'lat' columns");
  std::ostringstream out;  // all or nothing: written only when every row converted
  std::vector<std::string> head = *header;
  head.insert(head.end(), new_columns.begin(), new_columns.end());
  data::write_csv_row(out, head);
  while (auto row = reader.next()) {
    if (row->size() == 1 && (*row)[0].empty()) continue;  // blank line
    if (row->size() <= std::max(*lon, *lat))
      throw_invalid(path + " line " + std::to_string(reader.line()) + ": missing lon/lat");
    LonLat p;
    try {
      p = parse_lonlat((*row)[*lon], (*row)[*lat]);
    } catch (const Error& e) {
      throw_invalid(path + " line " + std::to_string(reader.line()) + ": " + e.what());
    }
    std::vector<std::string> values = compute(p);
    row->insert(row->end(), values.begin(), values.end());
    data::write_csv_row(out, *row);
  }
  std::cout << out.str();
}

}  // namespace gridmap::cli
