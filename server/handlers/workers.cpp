// GET /api/v1/workers/nearest, POST /api/v1/workers/nearest (batch),
// PUT /api/v1/workers/{id}/position, POST /api/v1/workers/positions (batch)
#include <algorithm>
#include <charconv>
#include <optional>

#include "core/ids.hpp"
#include "data/position_writer.hpp"
#include "data/time.hpp"
#include "data/worker_directory.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

WorkerId id_param(const Request& req) {
  const std::string& s = req.path_params.at("id");
  int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size())
    throw Error(ErrorKind::not_found, "no worker " + s);
  return WorkerId{id};
}

struct NearestQuery {
  size_t k = 5;
  data::NearbyFilter filter;
};

// k, on_duty, community, grid of the query string.
NearestQuery nearest_query(const Request& req) {
  NearestQuery q;
  if (auto v = req.param("k")) {
    long k = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), k);
    if (ec != std::errc() || ptr != v->data() + v->size() || k < 1 || k > 100)
      throw_invalid("'k' must be an integer from 1 to 100, not '" + *v + "'");
    q.k = static_cast<size_t>(k);
  }
  auto duty = req.param("on_duty");
  if (duty && *duty != "0" && *duty != "1")
    throw_invalid("'on_duty' must be 1 (on duty only, the default) or 0 (everyone)");
  q.filter.include_off_duty = duty && *duty == "0";
  q.filter.community_code = req.param("community");
  q.filter.grid_code = req.param("grid");
  return q;
}

void write_nearby(const Request& req, JsonWriter& w, const std::vector<data::NearbyWorker>& found) {
  w.StartArray();
  for (auto& n : found) {
    w.StartObject();
    w.Key("id");
    w.Int64(n.id.value);
    w.Key("name");
    write_string(w, n.name);
    w.Key("grid_code");
    write_string(w, n.grid_code);
    w.Key("distance_m");
    write_number(w, n.distance_m, 1);
    w.Key("on_duty");
    w.Bool(n.on_duty);
    w.Key("position");
    write_lonlat(w, from_wgs84(req, n.position));
    w.EndObject();
  }
  w.EndArray();
}

Response nearest(App& app, const Request& req, const Context&) {
  LonLat p = lonlat_param(req);
  NearestQuery q = nearest_query(req);
  auto found = app.workers().nearest(p, q.k, q.filter);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_nearby(req, w, found);
  return json_response(buf.GetString());
}

// The body is a JSON array of [lon, lat] pairs; the answer an array with, for each point
// in order, the array GET /api/v1/workers/nearest gives for it.
Response nearest_batch(App& app, const Request& req, const Context&) {
  NearestQuery q = nearest_query(req);
  std::vector<LonLat> pts = points_body(app, req);
  auto found = app.workers().nearest_all(pts, q.k, q.filter);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& one : found) write_nearby(req, w, one);
  w.EndArray();
  return json_response(buf.GetString());
}

// A ping's time: epoch seconds or ISO 8601, now when absent; never in the future.
int64_t ping_time(const rapidjson::Value& ping) {
  int64_t ts = App::now();
  if (auto t = opt_int(ping, "ts")) {
    ts = *t;
  } else if (auto text = opt_string(ping, "ts")) {
    auto parsed = data::parse_time(*text);
    if (!parsed) throw_invalid("'ts' must be epoch seconds or an ISO 8601 time");
    ts = *parsed;
  }
  if (ts > App::now() + 300) throw_invalid("'ts' is in the future");
  return ts;
}

LonLat ping_position(const Request& req, const rapidjson::Value& ping) {
  auto lon = opt_number(ping, "lon"), lat = opt_number(ping, "lat");
  if (!lon || !lat) throw_invalid("'lon' and 'lat' are required");
  return to_wgs84(req, {*lon, *lat});
}

// Places the workers the index does not hold yet (no position when it loaded) from their
// stored rows, each at its position in `at` (ids sorted, without repeats); returns the ids
// that are not workers at all.
std::vector<WorkerId> place_new(App& app, const std::vector<WorkerId>& ids,
                                const std::vector<LonLat>& at) {
  std::vector<std::optional<data::Worker>> rows(ids.size());
  app.write([&](data::Db& db) {
    data::WorkerRepo repo(db);
    for (size_t i = 0; i < ids.size(); ++i) rows[i] = repo.get(ids[i].value);
    return 0;
  });
  std::vector<WorkerId> missing;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (rows[i])
      app.workers().refresh(*rows[i], at[i]);
    else
      missing.push_back(ids[i]);
  }
  return missing;
}

Response put_position(App& app, const Request& req, const Context& ctx) {
  WorkerId id = id_param(req);
  require_self(ctx, id.value);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object {lon, lat, ts}");
  LonLat p = ping_position(req, d);
  int64_t ts = ping_time(d);
  app.positions().check_writable();  // 503 rather than a ping acknowledged and then lost
  if (!app.workers().index().move(id, p)) {
    if (!place_new(app, {id}, {p}).empty())
      throw Error(ErrorKind::not_found, "no worker " + std::to_string(id.value));
  }
  app.positions().record(id.value, p, ts);
  // Accepted, not yet on disk: pings are written in batches every half second (see
  // data/position_writer.hpp), so a crash loses at most the last half second's pings.
  Response r;
  r.status = 202;
  r.content_type = "application/json";
  return r;
}

// The body is a JSON array of pings {"id", "lon", "lat", "ts"} (a gateway's or an app's
// buffered pings): all are checked before any applies, a worker pinged twice ends at its
// later ping in the array, and the answer counts the pings applied and lists the ids that
// are not workers (their pings are dropped).
Response put_positions(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsArray()) throw_invalid("expected a JSON array of pings {id, lon, lat, ts}");
  size_t n = d.Size();
  check_batch_size(app, n, "pings");
  std::vector<WorkerMove> moves(n);
  std::vector<int64_t> times(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& v = d[static_cast<rapidjson::SizeType>(i)];
    try {
      if (!v.IsObject()) throw_invalid("not an object");
      auto id = opt_int(v, "id");
      if (!id) throw_invalid("'id' is required (an integer)");
      require_self(ctx, *id);
      moves[i] = {WorkerId{*id}, ping_position(req, v)};
      times[i] = ping_time(v);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::invalid_input) throw;
      throw_invalid("ping " + std::to_string(i) + ": " + e.what());
    }
  }
  app.positions().check_writable();
  std::vector<WorkerId> unknown;
  app.workers().index().move_all(moves, &unknown);
  std::vector<WorkerId> missing;
  if (!unknown.empty()) {
    // Each unknown id once, with its last position in the batch: one pass over the pings.
    unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
    std::vector<LonLat> last(unknown.size());
    for (const WorkerMove& m : moves)
      if (auto it = std::lower_bound(unknown.begin(), unknown.end(), m.id);
          it != unknown.end() && *it == m.id)
        last[static_cast<size_t>(it - unknown.begin())] = m.to;
    missing = place_new(app, unknown, last);
  }
  size_t applied = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::binary_search(missing.begin(), missing.end(), moves[i].id)) continue;
    app.positions().record(moves[i].id.value, moves[i].to, times[i]);
    ++applied;
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("applied");
  w.Uint64(applied);
  w.Key("unknown");
  w.StartArray();
  for (WorkerId id : missing) w.Int64(id.value);
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString(), 202);  // accepted: on disk within half a second
}

}  // namespace

void register_workers(Router& r) {
  r.add("GET", "/api/v1/workers/nearest", "workers.nearest", nearest);
  r.add("POST", "/api/v1/workers/nearest", "workers.nearest.batch", nearest_batch);
  r.add("PUT", "/api/v1/workers/{id}/position", "workers.position", put_position);
  r.add("POST", "/api/v1/workers/positions", "workers.positions", put_positions);
}

}  // namespace gridmap::server
