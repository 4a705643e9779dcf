// Patrol tracks (巡查轨迹) and visit coverage (走访覆盖, 考核 figures).
//
// PUT /api/v1/workers/{id}/patrol {"on": true|false}         (patrols.set: the worker, an admin)
//   -> {"worker_id": 1, "patrol": true}
// GET /api/v1/workers/{id}/track?day=YYYY-MM-DD[&crs=]         (patrols.track)
//   -> {"worker_id", "day", "patrol", "points": [[lon, lat, "2026-03-01T01:02:03Z"], ...],
//       "raw_points", "distance_m", "ignored_jumps", "cells_visited", "grid_cells",
//       "coverage", "cell_m", "grids": [codes],
//       "geometry": GeoJSON MultiLineString (one line per stretch between GPS jumps) or null}
//   The points are simplified (5 m minimum step) with GPS noise (> 40 km/h) left out; see
//   data/patrols.hpp. A worker reads their own track, a supervisor those of its area's
//   workers (404 outside), the centre everyone's; planners never an individual track.
// GET /api/v1/stats/patrols?from=&to=&level=grid|community|subdistrict   (patrols.stats)
//   -> {"level", "from", "to", "rows": [{"code", "name", "workers", "worker_days",
//       "distance_m", "mean_coverage"}, ...]}: aggregates only, no worker is named.
//   The period defaults to the 30 days before now.
// GET /api/v1/stats/visits?level=grid|worker&format=json|geojson   (visits.coverage)
//   -> json: {"level", "now", "rows": [{"grid_code" | "worker_id", "name", ["community_code",
//       "subdistrict_code",] "households", "visited_30d", "visited_90d", "never_visited",
//       "visits_30d", "working_days_30d", "visits_per_working_day", "share_30d"}, ...]}
//   -> geojson (level grid only): a FeatureCollection of the grids' polygons (simplified to
//      about a metre) with those figures as properties. A community's or subdistrict's
//      office gets its area's grids (or workers) only.
#include "data/patrols.hpp"
#include "data/audit.hpp"
#include "data/time.hpp"
#include "data/visit_coverage.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/feature_json.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

constexpr int64_t kDefaultStatsDays = 30;

Response set_patrol(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_self(ctx, worker);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected {\"on\": true} or {\"on\": false}");
  auto on = opt_bool(d, "on");
  if (!on) throw_invalid("'on' is required: true to record the patrol track, false to stop");
  app.write([&](data::Db& db) {
    data::Patrols(db).set_patrol(worker, *on);
    return 0;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("worker_id");
  w.Int64(worker);
  w.Key("patrol");
  w.Bool(*on);
  w.EndObject();
  return json_response(buf.GetString());
}

// The stretches between jumps as a MultiLineString; null without any line.
void write_track_geometry(JsonWriter& w, const Request& req, const data::PatrolTrack& t) {
  std::vector<std::pair<size_t, size_t>> lines;  // [begin, end) of points
  size_t begin = 0;
  for (size_t i = 1; i <= t.points.size(); ++i)
    if (i == t.points.size() || t.points[i].after_jump) {
      if (i - begin >= 2) lines.emplace_back(begin, i);
      begin = i;
    }
  if (lines.empty()) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Key("type");
  w.String("MultiLineString");
  w.Key("coordinates");
  w.StartArray();
  for (auto [b, e] : lines) {
    w.StartArray();
    for (size_t i = b; i < e; ++i) write_lonlat(w, from_wgs84(req, t.points[i].position));
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
}

Response get_track(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_worker_in_reach(app, ctx, worker);
  auto day = req.param("day");
  if (!day) throw_invalid("'day' is required: a China date YYYY-MM-DD");
  data::PatrolTrack t = data::Patrols(app.read_db()).track(worker, *day);
  // A track is a person's whereabouts: a supervisor's every read of one is audited.
  if (principal(ctx).worker_id != worker)
    app.write([&](data::Db& db) {
      data::audit(db, App::now(), principal(ctx).name, "read_track",
                  "worker:" + std::to_string(worker), *day);
      return 0;
    });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("worker_id");
  w.Int64(t.worker);
  w.Key("day");
  write_string(w, t.day);
  w.Key("patrol");
  w.Bool(t.patrol);
  w.Key("points");
  w.StartArray();
  for (const TrackPoint& p : t.points) {
    LonLat q = from_wgs84(req, p.position);
    w.StartArray();
    write_number(w, q.lon, 7);
    write_number(w, q.lat, 7);
    write_string(w, data::format_time(p.at));
    w.EndArray();
  }
  w.EndArray();
  w.Key("raw_points");
  w.Uint64(t.raw_points);
  w.Key("distance_m");
  write_number(w, t.distance_m, 1);
  w.Key("ignored_jumps");
  w.Uint64(t.ignored_jumps);
  w.Key("cells_visited");
  w.Uint64(t.cells_visited);
  w.Key("grid_cells");
  w.Uint64(t.grid_cells);
  w.Key("coverage");
  write_number(w, t.coverage, 4);
  w.Key("cell_m");
  write_number(w, t.cell_m, 1);
  w.Key("grids");
  w.StartArray();
  for (const auto& g : t.grids) write_string(w, g);
  w.EndArray();
  w.Key("geometry");
  write_track_geometry(w, req, t);
  w.EndObject();
  return json_response(buf.GetString());
}

Response patrol_stats(App& app, const Request& req, const Context& ctx) {
  std::string level_text = req.param("level").value_or("grid");
  auto level = data::parse_patrol_level(level_text);
  if (!level)
    throw_invalid("'level' must be grid, community or subdistrict, not '" + level_text + "'");
  int64_t to = time_param(req, "to").value_or(App::now());
  int64_t from = time_param(req, "from").value_or(to - kDefaultStatsDays * 86400);
  if (from >= to) throw_invalid("'from' must be before 'to'");
  if (to - from > 366 * 86400) throw_invalid("the period is at most 366 days");
  auto rows = data::Patrols(app.read_db()).aggregates(*level, from, to);
  // A planner sees no area patrolled by fewer than 3 workers: its figures would be a person's.
  bool k_anonymous = principal(ctx).role == "planner";
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("level");
  write_string(w, level_text);
  w.Key("from");
  write_string(w, data::format_time(from));
  w.Key("to");
  write_string(w, data::format_time(to));
  w.Key("rows");
  w.StartArray();
  for (const auto& r : rows) {
    w.StartObject();
    w.Key("code");
    write_string(w, r.code);
    w.Key("name");
    write_string(w, r.name);
    w.Key("workers");
    w.Int64(r.workers);
    w.Key("worker_days");
    w.Int64(r.worker_days);
    bool hidden = k_anonymous && r.workers > 0 && r.workers < 3;
    w.Key("distance_m");
    if (hidden)
      w.Null();
    else
      write_number(w, r.distance_m, 1);
    w.Key("mean_coverage");
    if (hidden)
      w.Null();
    else
      write_number(w, r.mean_coverage, 4);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

void write_coverage_row(JsonWriter& w, const data::VisitCoverage& c) {
  w.StartObject();
  if (c.worker_id) {
    w.Key("worker_id");
    w.Int64(*c.worker_id);
  } else {
    w.Key("grid_code");
    write_string(w, c.grid_code);
  }
  w.Key("name");
  write_string(w, c.name);
  if (!c.worker_id) {
    w.Key("community_code");
    write_string(w, c.community_code);
    w.Key("subdistrict_code");
    write_string(w, c.subdistrict_code);
  }
  w.Key("households");
  w.Int64(c.households);
  w.Key("visited_30d");
  w.Int64(c.visited_30d);
  w.Key("visited_90d");
  w.Int64(c.visited_90d);
  w.Key("never_visited");
  w.Int64(c.never_visited);
  w.Key("visits_30d");
  w.Int64(c.visits_30d);
  w.Key("working_days_30d");
  w.Int64(c.working_days_30d);
  w.Key("visits_per_working_day");
  write_number(w, c.visits_per_working_day, 3);
  w.Key("share_30d");
  write_number(w, c.share_30d, 4);
  w.EndObject();
}

Response visit_coverage(App& app, const Request& req, const Context& ctx) {
  data::VisitCoverageQuery q;
  std::string level_text = req.param("level").value_or("grid");
  auto level = data::parse_coverage_level(level_text);
  if (!level) throw_invalid("'level' must be grid or worker, not '" + level_text + "'");
  q.level = *level;
  std::string format = req.param("format").value_or("json");
  if (format != "json" && format != "geojson")
    throw_invalid("'format' must be json or geojson, not '" + format + "'");
  if (q.level == data::CoverageLevel::worker && principal(ctx).role == "planner")
    throw Error(ErrorKind::forbidden, "planners read coverage by area (level=grid), not by person");
  if (format == "geojson" && q.level != data::CoverageLevel::grid)
    throw_invalid("format=geojson draws grids: it needs level=grid");
  q.now = App::now();
  if (ctx.own_only()) q.grids = &principal(ctx).grids;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (format == "geojson") {
    w.StartObject();
    w.Key("type");
    w.String("FeatureCollection");
    w.Key("features");
    w.StartArray();
    for (const auto& f : data::visit_coverage_features(app.read_db(), q)) {
      w.StartObject();
      write_feature_members(w, f);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    Response r = json_response(buf.GetString());
    r.content_type = "application/geo+json";
    return r;
  }
  w.StartObject();
  w.Key("level");
  write_string(w, level_text);
  w.Key("now");
  write_string(w, data::format_time(q.now));
  w.Key("rows");
  w.StartArray();
  for (const auto& c : data::visit_coverage(app.read_db(), q)) write_coverage_row(w, c);
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

}  // namespace

void register_patrols(Router& r) {
  r.add("PUT", "/api/v1/workers/{id}/patrol", "patrols.set", set_patrol);
  r.add("GET", "/api/v1/workers/{id}/track", "patrols.track", get_track);
  r.add("GET", "/api/v1/stats/patrols", "patrols.stats", patrol_stats);
  r.add("GET", "/api/v1/stats/visits", "visits.coverage", visit_coverage);
}

}  // namespace gridmap::server
