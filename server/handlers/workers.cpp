// GET /api/v1/workers/nearest, PUT /api/v1/workers/{id}/position
#include <charconv>

#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

int64_t id_param(const Request& req) {
  const std::string& s = req.path_params.at("id");
  int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size()) throw Error(ErrorKind::not_found, "no worker " + s);
  return id;
}

Response nearest(App& app, Request& req) {
  LonLat p = lonlat_param(req);
  long k = 5;
  if (auto v = req.param("k")) {
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), k);
    if (ec != std::errc() || ptr != v->data() + v->size() || k < 1 || k > 100)
      throw_invalid("'k' must be an integer from 1 to 100, not '" + *v + "'");
  }
  data::NearbyFilter f;
  auto duty = req.param("on_duty");
  if (duty && *duty != "0" && *duty != "1") throw_invalid("'on_duty' must be 1 (on duty only, the default) or 0 (everyone)");
  f.include_off_duty = duty && *duty == "0";
  f.community_code = req.param("community");
  f.grid_code = req.param("grid");
  auto found = app.workers().nearest(p, static_cast<size_t>(k), f);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& n : found) {
    auto s = app.workers().index().get(n.id);
    w.StartObject();
    w.Key("id");
    w.Int64(n.id);
    w.Key("name");
    write_string(w, n.name);
    w.Key("grid_code");
    write_string(w, n.grid_code);
    w.Key("distance_m");
    write_number(w, n.distance_m, 1);
    w.Key("on_duty");
    w.Bool(s && s->on_duty);
    w.Key("position");
    write_lonlat(w, from_wgs84(req, s ? s->position : LonLat{}));
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

Response put_position(App& app, Request& req) {
  int64_t id = id_param(req);
  require_self(req, id);
  rapidjson::Document d = parse_json(req.body);
  auto lon = opt_number(d, "lon"), lat = opt_number(d, "lat");
  if (!lon || !lat) throw_invalid("'lon' and 'lat' are required");
  LonLat p = to_wgs84(req, {*lon, *lat});
  int64_t ts = App::now();
  if (auto t = opt_int(d, "ts")) {
    ts = *t;
  } else if (auto text = opt_string(d, "ts")) {
    auto parsed = data::parse_time(*text);
    if (!parsed) throw_invalid("'ts' must be epoch seconds or an ISO 8601 time");
    ts = *parsed;
  }
  if (ts > App::now() + 300) throw_invalid("'ts' is in the future");
  if (!app.workers().index().move(id, p)) {
    // A worker without a known position yet: take it from the store.
    auto known = app.write([&](data::Db& db) {
      data::Statement st(db, "SELECT 1 FROM workers WHERE id = ?1");
      st.bind(1, id);
      return st.step();
    });
    if (!known) throw Error(ErrorKind::not_found, "no worker " + std::to_string(id));
    WorkerState s;
    s.id = id;
    s.position = p;
    app.workers().index().upsert(s);
  }
  app.positions().record(id, p, ts);
  Response r;
  r.status = 204;
  r.content_type = "application/json";
  return r;
}

}  // namespace

void register_workers(Router& r, App& app) {
  r.add("GET", "/api/v1/workers/nearest", "workers.nearest", [&app](Request& q) { return nearest(app, q); });
  r.add("PUT", "/api/v1/workers/{id}/position", "workers.position", [&app](Request& q) { return put_position(app, q); });
}

}  // namespace gridmap::server
