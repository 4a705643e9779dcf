#include "data/coverage_store.hpp"

#include <cstdio>
#include <map>

#include "data/areas.hpp"
#include "geo/geojson.hpp"

namespace gridmap::data {

std::vector<Finding> check_stored_coverage(Db& db, double sliver_m2) {
  std::vector<geos::GeomPtr> keep;
  CoverageInput in;
  in.sliver_m2 = sliver_m2;
  auto load = [&](Layer layer, std::vector<CoverageArea>& out) {
    AreaRepo(db, layer).for_each([&](const Area& a) {
      keep.push_back(geos::from_wkb(a.wkb));
      out.push_back({a.code, a.name, a.parent, keep.back().get()});
    });
  };
  load(Layer::subdistricts, in.subdistricts);
  load(Layer::communities, in.communities);
  load(Layer::grids, in.grids);
  Statement st(db, "SELECT DISTINCT grid_code FROM worker_grids");
  while (st.step()) in.grids_with_worker.insert(st.text(0));
  return check_coverage(in);
}

std::string coverage_json(const std::vector<Finding>& findings) {
  std::map<std::string, int> counts;
  for (const Finding& f : findings) ++counts[std::string(to_string(f.kind))];
  std::string out = "{\"clean\":";
  out += findings.empty() ? "true" : "false";
  out += ",\"counts\":{";
  bool first = true;
  for (auto& [k, n] : counts) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, k);
    out += ':' + std::to_string(n);
  }
  out += "},\"findings\":[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (i) out += ',';
    out += "{\"kind\":";
    append_json_string(out, to_string(f.kind));
    out += ",\"level\":";
    append_json_string(out, f.level);
    out += ",\"codes\":[";
    for (size_t c = 0; c < f.codes.size(); ++c) {
      if (c) out += ',';
      append_json_string(out, f.codes[c]);
    }
    char area[48];
    std::snprintf(area, sizeof area, "%.3f", f.area_m2);
    out += "],\"area_m2\":";
    out += area;
    out += ",\"detail\":";
    append_json_string(out, f.detail);
    out += ",\"geometry\":";
    out += f.geojson.empty() ? "null" : f.geojson;
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace gridmap::data
