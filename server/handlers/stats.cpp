// GET /api/v1/stats, GET /api/v1/coverage, GET /api/v1/hotspots
#include "data/catalogue.hpp"
#include "data/stats.hpp"
#include "data/hotspot_store.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/handlers/tile_params.hpp"
#include "server/json.hpp"
#include "tiles/layers.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {
namespace {

Response stats(App& app, const Request& req, const Context&) {
  only_params(req, {"level", "from", "to", "subdistrict_code", "community_code", "category"}, "stats");
  data::StatsFilter filter;
  filter.subdistrict_code = req.param("subdistrict_code");
  filter.community_code = req.param("community_code");
  filter.category = req.param("category");
  if (filter.category && !data::Catalogue(app.read_db()).get(*filter.category))
    throw_invalid("unknown category '" + *filter.category + "' (see /api/v1/catalogue)");
  auto level_text = req.param("level").value_or("grid");
  auto level = data::parse_stats_level(level_text);
  if (!level) throw_invalid("'level' must be grid, community, subdistrict or worker");
  auto rows =
      data::petition_stats(app.read_db(), *level, time_param(req, "from"), time_param(req, "to"), App::now(), filter);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& r : rows) {
    w.StartObject();
    w.Key("code");
    write_string(w, r.code);
    w.Key("name");
    write_string(w, r.name);
    auto count = [&](const char* k, int64_t v) {
      w.Key(k);
      w.Int64(v);
    };
    count("total", r.total);
    w.Key("by_status");
    w.StartObject();
    for (data::Status s : data::kAllStatuses) {
      w.Key(data::to_string(s).data(), static_cast<rapidjson::SizeType>(data::to_string(s).size()));
      w.Int64(r.by_status[static_cast<size_t>(s)]);
    }
    w.EndObject();
    w.Key("completion_rate");
    write_number(w, r.completion_rate, 4);
    w.Key("on_time_rate");
    write_number(w, r.on_time_rate, 4);
    w.Key("rework_rate");
    write_number(w, r.rework_rate, 4);
    count("followed_up", r.followed_up);
    w.Key("satisfaction_rate");
    write_number(w, r.satisfaction_rate, 4);
    w.Key("extension_rate");
    write_number(w, r.extension_rate, 4);
    count("overdue", r.overdue);
    w.Key("mean_hours_to_close");
    if (r.mean_hours_to_close) write_number(w, *r.mean_hours_to_close, 1);
    else w.Null();
    w.Key("p90_hours_to_close");
    if (r.p90_hours_to_close) write_number(w, *r.p90_hours_to_close, 1);
    else w.Null();
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

Response hotspots(App& app, const Request& req, const Context&) {
  data::HotspotQuery q = hotspot_query(app, req);
  auto result = app.tiles().hotspots().get(app.read_db(), q);
  return json_response(data::hotspots_geojson(*result->layout, result->spots));
}

}  // namespace

data::HotspotQuery hotspot_query(App& app, const Request& req) {
  only_params(req, {"from", "to", "category", "kind", "value"}, "hotspots");
  data::HotspotQuery q;
  // Without `to`, the window ends with the current hour: the same window for an hour, so
  // that its tiles stay cached (no petition is reported ahead of now).
  q.to = time_param(req, "to").value_or((App::now() / 3600 + 1) * 3600);
  q.from = time_param(req, "from").value_or(q.to - 90 * 86400);
  if (q.from >= q.to) throw_invalid("'from' must be before 'to'");
  q.category = req.param("category");
  q.kind = req.param("kind");
  tiles::PetitionFilter f;
  if (q.category) f.category.push_back(*q.category);
  if (q.kind) f.kind.push_back(*q.kind);
  tiles::validate(app.read_db(), f);  // unknown categories and kinds are refused
  auto value = req.param("value").value_or("count");
  if (value != "count" && value != "per_household") throw_invalid("'value' must be count or per_household");
  q.per_household = value == "per_household";
  return q;
}

void register_stats(Router& r) {
  r.add("GET", "/api/v1/stats", "stats", stats);
  r.add("GET", "/api/v1/coverage", "coverage", [](App& app, const Request&, const Context&) {
    return json_response(app.coverage_json());
  });
  r.add("GET", "/api/v1/hotspots", "hotspots", hotspots);
}

}  // namespace gridmap::server
