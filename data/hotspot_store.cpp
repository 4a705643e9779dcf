#include "data/hotspot_store.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "data/areas.hpp"
#include "geo/error.hpp"
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
  for (uint32_t i = 0; i < l.codes.size(); ++i) l.index.emplace(l.codes[i], i);
  std::vector<const GEOSGeometry*> raw;
  for (auto& g : geoms) raw.push_back(g.get());
  l.neighbours = shared_border_neighbours(raw);
  return l;
}

std::vector<int64_t> household_counts(Db& db, const HotspotLayout& l) {
  std::vector<int64_t> out(l.codes.size(), 0);
  Statement st(
      db,
      "SELECT grid_code, count(*) FROM households WHERE grid_code IS NOT NULL GROUP BY grid_code");
  while (st.step())
    if (auto it = l.index.find(st.text(0)); it != l.index.end()) out[it->second] = st.int64(1);
  return out;
}

std::string HotspotQuery::key() const {
  std::string k = std::to_string(from);
  k.append("|").append(std::to_string(to)).append(per_household ? "|h" : "|c");
  for (const auto* v : {&category, &kind}) {
    k.append(*v ? "|=" : "|*");
    if (*v) k.append(**v);
  }
  return k;
}

namespace {
std::vector<int64_t> counts(Db& db, const HotspotLayout& l, const HotspotQuery& q, int64_t from,
                            int64_t to) {
  std::vector<int64_t> out(l.codes.size(), 0);
  Statement st(
      db,
      "SELECT grid_code, count(*) FROM petitions WHERE created_at >= ?1 AND created_at < ?2 "
      "AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR kind = ?4) AND grid_code IS NOT NULL "
      "GROUP BY grid_code");
  st.bind(1, from).bind(2, to).bind(3, q.category).bind(4, q.kind);
  while (st.step())
    if (auto it = l.index.find(st.text(0)); it != l.index.end()) out[it->second] = st.int64(1);
  return out;
}

std::vector<double> values(const std::vector<int64_t>& households, const std::vector<int64_t>& c,
                           bool per_household) {
  std::vector<double> v(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    v[i] =
        per_household
            ? (households[i] ? static_cast<double>(c[i]) / static_cast<double>(households[i]) : 0.0)
            : static_cast<double>(c[i]);
  return v;
}
}  // namespace

std::vector<GridHotspot> grid_hotspots(Db& db, const HotspotLayout& l,
                                       const std::vector<int64_t>& households,
                                       const HotspotQuery& q) {
  if (households.size() != l.codes.size())
    throw_internal("hotspots: household counts do not match the layout");
  int64_t span = q.to - q.from;
  std::vector<int64_t> now = counts(db, l, q, q.from, q.to),
                       before = counts(db, l, q, q.from - span, q.from);
  std::vector<double> vnow = values(households, now, q.per_household),
                      vbefore = values(households, before, q.per_household);
  std::vector<GiStar> gnow = getis_ord_gi_star(vnow, l.neighbours),
                      gbefore = getis_ord_gi_star(vbefore, l.neighbours);
  std::vector<GridHotspot> out(l.codes.size());
  for (uint32_t i = 0; i < out.size(); ++i)
    out[i] = {
        i, now[i], before[i], vnow[i], gnow[i], gbefore[i], trend(gbefore[i].cls, gnow[i].cls)};
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
                  ",\"count\":%lld,\"previous_count\":%lld,\"value\":%.6g,\"gi_z\":%.6f,\"p_"
                  "value\":%.6g,\"class\":\"%s\","
                  "\"previous_class\":\"%s\",\"trend\":\"%s\"}}",
                  static_cast<long long>(s.count), static_cast<long long>(s.previous_count),
                  s.value, s.current.z, s.current.p, std::string(to_string(s.current.cls)).c_str(),
                  std::string(to_string(s.previous.cls)).c_str(),
                  std::string(to_string(s.trend)).c_str());
    out += buf;
  }
  out += "]}";
  return out;
}

HotspotCache::Base HotspotCache::base(Db& db) {
  {
    std::lock_guard l(lock_);
    if (layout_ && households_) return {layout_, households_};
  }
  std::lock_guard build(build_lock_);
  uint64_t grids_epoch, households_epoch;
  Base b;
  {
    std::lock_guard l(lock_);
    if (layout_ && households_) return {layout_, households_};
    b = {layout_, households_};
    grids_epoch = grids_epoch_, households_epoch = households_epoch_;
  }
  if (!b.layout) b.layout = std::make_shared<const HotspotLayout>(load_hotspot_layout(db));
  b.households = std::make_shared<const std::vector<int64_t>>(household_counts(db, *b.layout));
  std::lock_guard l(lock_);
  if (grids_epoch == grids_epoch_) layout_ = b.layout;
  if (grids_epoch == grids_epoch_ && households_epoch == households_epoch_)
    households_ = b.households;
  return b;
}

std::shared_ptr<const HotspotLayout> HotspotCache::layout(Db& db) {
  return base(db).layout;
}

std::shared_ptr<const HotspotResult> HotspotCache::get(Db& db, const HotspotQuery& q) {
  std::string key = q.key();
  uint64_t epoch;
  {
    std::lock_guard l(lock_);
    for (size_t i = 0; i < results_.size(); ++i)
      if (results_[i].first == key) {
        auto hit = results_[i].second;
        std::rotate(results_.begin(), results_.begin() + static_cast<std::ptrdiff_t>(i),
                    results_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        return hit;
      }
    epoch = results_epoch_;
  }
  Base b = base(db);
  auto r = std::make_shared<HotspotResult>();
  r->layout = b.layout;
  r->spots = grid_hotspots(db, *b.layout, *b.households, q);
  std::lock_guard l(lock_);
  if (epoch == results_epoch_) {
    results_.emplace(results_.begin(), std::move(key), r);
    if (results_.size() > kMaxResults) results_.pop_back();
  }
  return r;
}

void HotspotCache::grids_changed() {
  std::lock_guard l(lock_);
  ++grids_epoch_, ++households_epoch_, ++results_epoch_;
  layout_.reset(), households_.reset(), results_.clear();
}

void HotspotCache::households_changed() {
  std::lock_guard l(lock_);
  ++households_epoch_, ++results_epoch_;
  households_.reset(), results_.clear();
}

void HotspotCache::petitions_changed() {
  std::lock_guard l(lock_);
  ++results_epoch_;
  results_.clear();
}

}  // namespace gridmap::data
