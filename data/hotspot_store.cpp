#include "data/hotspot_store.hpp"

#include <cstdio>
#include <unordered_map>

#include "data/areas.hpp"
#include "geo/geojson.hpp"

namespace gridmap::data {

HotspotLayout load_hotspot_layout(Db& db) {
  HotspotLayout l;
  std::vector<geos::GeomPtr> geoms;
  AreaRepo(db, Layer::grids).for_each([&](const Area& a) {
    l.codes.push_back(a.code);
    l.names.push_back(a.name);
    geoms.push_back(geos::from_wkb(a.wkb));
    l.geojson.push_back(to_geojson(geoms.back().get(), 7));
  });
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < l.codes.size(); ++i) index[l.codes[i]] = i;
  l.households.assign(l.codes.size(), 0);
  Statement st(db, "SELECT grid_code, count(*) FROM households WHERE grid_code IS NOT NULL GROUP BY grid_code");
  while (st.step())
    if (auto it = index.find(st.text(0)); it != index.end()) l.households[it->second] = st.int64(1);
  std::vector<const GEOSGeometry*> raw;
  for (auto& g : geoms) raw.push_back(g.get());
  l.neighbours = shared_border_neighbours(raw);
  return l;
}

namespace {
std::vector<int64_t> counts(Db& db, const HotspotLayout& l, const HotspotQuery& q, int64_t from, int64_t to) {
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < l.codes.size(); ++i) index[l.codes[i]] = i;
  std::vector<int64_t> out(l.codes.size(), 0);
  Statement st(db,
               "SELECT grid_code, count(*) FROM petitions WHERE created_at >= ?1 AND created_at < ?2 "
               "AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR kind = ?4) AND grid_code IS NOT NULL "
               "GROUP BY grid_code");
  st.bind(1, from).bind(2, to).bind(3, q.category).bind(4, q.kind);
  while (st.step())
    if (auto it = index.find(st.text(0)); it != index.end()) out[it->second] = st.int64(1);
  return out;
}

std::vector<double> values(const HotspotLayout& l, const std::vector<int64_t>& c, bool per_household) {
  std::vector<double> v(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    v[i] = per_household ? (l.households[i] ? static_cast<double>(c[i]) / static_cast<double>(l.households[i]) : 0.0)
                         : static_cast<double>(c[i]);
  return v;
}
}  // namespace

std::vector<GridHotspot> grid_hotspots(Db& db, const HotspotLayout& l, const HotspotQuery& q) {
  int64_t span = q.to - q.from;
  std::vector<int64_t> now = counts(db, l, q, q.from, q.to), before = counts(db, l, q, q.from - span, q.from);
  std::vector<double> vnow = values(l, now, q.per_household), vbefore = values(l, before, q.per_household);
  std::vector<GiStar> gnow = getis_ord_gi_star(vnow, l.neighbours), gbefore = getis_ord_gi_star(vbefore, l.neighbours);
  std::vector<GridHotspot> out(l.codes.size());
  for (uint32_t i = 0; i < out.size(); ++i)
    out[i] = {i, now[i], before[i], vnow[i], gnow[i], gbefore[i], trend(gbefore[i].cls, gnow[i].cls)};
  return out;
}

std::string hotspots_geojson(const HotspotLayout& l, const std::vector<GridHotspot>& spots) {
  std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
  char buf[256];
  for (size_t i = 0; i < spots.size(); ++i) {
    const GridHotspot& s = spots[i];
    if (i) out += ',';
    out += "{\"type\":\"Feature\",\"id\":";
    append_json_string(out, l.codes[s.grid]);
    out += ",\"geometry\":" + l.geojson[s.grid] + ",\"properties\":{\"code\":";
    append_json_string(out, l.codes[s.grid]);
    out += ",\"name\":";
    append_json_string(out, l.names[s.grid]);
    std::snprintf(buf, sizeof buf,
                  ",\"count\":%lld,\"previous_count\":%lld,\"value\":%.6g,\"gi_z\":%.6f,\"p_value\":%.6g,\"class\":\"%s\","
                  "\"previous_class\":\"%s\",\"trend\":\"%s\"}}",
                  static_cast<long long>(s.count), static_cast<long long>(s.previous_count), s.value, s.current.z, s.current.p,
                  std::string(to_string(s.current.cls)).c_str(), std::string(to_string(s.previous.cls)).c_str(),
                  std::string(to_string(s.trend)).c_str());
    out += buf;
  }
  out += "]}";
  return out;
}

}  // namespace gridmap::data
