// Patrol tracks and visit coverage over HTTP: opting in, pings becoming a track, who reads
// which track, planners' aggregates, retention at start-up, and the visit coverage figures
// as rows and as a GeoJSON layer.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/field_work.hpp"
#include "data/households.hpp"
#include "data/partitions.hpp"
#include "data/time.hpp"
#include "server/app.hpp"
#include "support/city_support.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::count_rows;
using test::HttpResult;
using test::json;
using test::RoleServer;

namespace {

void exec(const std::string& db, const std::string& sql) {
  data::Db d = data::Db::open(db, false);
  d.exec(sql);
}

std::string ping(double lon, double lat, int64_t ts) {
  return "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
         ",\"ts\":" + std::to_string(ts) + "}";
}

// Waits until the position writer has stored `n` track points of worker 1.
void wait_for_points(const std::string& db, int64_t n) {
  for (int i = 0;
       i < 100 && count_rows(db, "SELECT count(*) FROM patrol_points WHERE worker_id = 1") < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(count_rows(db, "SELECT count(*) FROM patrol_points WHERE worker_id = 1") == n);
}

const rapidjson::Value* row_of(const rapidjson::Value& rows, const char* key,
                               const std::string& code) {
  for (const auto& r : rows.GetArray())
    if (r[key].IsString() && r[key].GetString() == code) return &r;
  return nullptr;
}

bool has_key(const rapidjson::Value& v, const std::string& needle) {
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
      if (it->name.GetString() == needle || has_key(it->value, needle)) return true;
  } else if (v.IsArray()) {
    for (const auto& x : v.GetArray())
      if (has_key(x, needle)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a worker who opts in gets a patrol track that only they, the centre and their area read",
          "[engines]") {
  RoleServer s;
  exec(s.db, "UPDATE workers SET on_duty = 1 WHERE id = 1");
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  // Yesterday noon, China time: a whole day of the past.
  std::string day = data::china_day(server::App::now() - 86400);
  int64_t noon = *data::parse_time(day + "T12:00:00");
  double step = 100.0 / 111320.0;  // ~100 m north

  // Not opted in: pings keep the last position only.
  REQUIRE(s.as("worker", "PUT", "/api/v1/workers/1/position", ping(lon, lat, noon - 600)).status ==
          202);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(count_rows(s.db, "SELECT count(*) FROM patrol_points") == 0);

  HttpResult on = s.as("worker", "PUT", "/api/v1/workers/1/patrol", "{\"on\":true}");
  INFO(on.body);
  REQUIRE(on.status == 200);
  CHECK(json(on)["patrol"].GetBool());
  check_problem(s.as("worker", "PUT", "/api/v1/workers/2/patrol", "{\"on\":true}"), 403);
  check_problem(s.as("worker", "PUT", "/api/v1/workers/1/patrol", "{\"on\":1}"), 400);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(s.as("worker", "PUT", "/api/v1/workers/1/position",
                 ping(lon, lat + step * i, noon + 60 * i))
                .status == 202);
    wait_for_points(s.db, i + 1);
  }

  HttpResult r = s.as("worker", "GET", "/api/v1/workers/1/track?day=" + day);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto t = json(r);
  CHECK(t["worker_id"].GetInt64() == 1);
  CHECK(std::string(t["day"].GetString()) == day);
  REQUIRE(t["points"].Size() == 3);
  CHECK(t["points"][0][0].GetDouble() == Approx(lon));
  CHECK(std::string(t["points"][0][2].GetString()) == data::format_time(noon));
  CHECK(t["distance_m"].GetDouble() == Approx(200).margin(2));
  CHECK(t["cells_visited"].GetInt64() >= 1);
  CHECK(t["coverage"].GetDouble() > 0);
  CHECK(std::string(t["geometry"]["type"].GetString()) == "MultiLineString");
  check_problem(s.as("worker", "GET", "/api/v1/workers/1/track?day=yesterday"), 400);

  // The centre reads it; another worker's track is forbidden to a worker; planners never.
  CHECK(s.as("dispatcher", "GET", "/api/v1/workers/1/track?day=" + day).status == 200);
  check_problem(s.as("worker", "GET", "/api/v1/workers/2/track?day=" + day), 403);
  check_problem(s.as("planner", "GET", "/api/v1/workers/1/track?day=" + day), 403);
  // The worker's community reads it; a far community answers as if it did not exist.
  std::string community = std::string(RoleServer::kFirstGrid).substr(0, 12);
  s.add_user("near", "community", {"--area", community});
  CHECK(s.as("near", "GET", "/api/v1/workers/1/track?day=" + day).status == 200);
  std::string far;
  {
    data::Db d = data::Db::open(s.db, false);
    data::Statement st(d,
                       "SELECT code FROM communities WHERE code <> ?1 ORDER BY code DESC LIMIT 1");
    st.bind(1, community);
    REQUIRE(st.step());
    far = st.text(0);
  }
  s.add_user("far", "community", {"--area", far});
  check_problem(s.as("far", "GET", "/api/v1/workers/1/track?day=" + day), 404);

  // Planners get aggregates, which name no worker.
  HttpResult stats =
      s.as("planner", "GET",
           "/api/v1/stats/patrols?level=grid&from=" + day + "&to=" + data::china_day(noon + 86400));
  INFO(stats.body);
  REQUIRE(stats.status == 200);
  auto st = json(stats);
  const auto* g = row_of(st["rows"], "code", RoleServer::kFirstGrid);
  REQUIRE(g);
  CHECK((*g)["workers"].GetInt64() == 1);
  // One worker's figures would be that person's: a planner gets them for 3 workers or more.
  CHECK((*g)["distance_m"].IsNull());
  CHECK((*g)["mean_coverage"].IsNull());
  auto centre = json(s.as(
      "dispatcher", "GET",
      "/api/v1/stats/patrols?level=grid&from=" + day + "&to=" + data::china_day(noon + 86400)));
  const auto* cg = row_of(centre["rows"], "code", RoleServer::kFirstGrid);
  REQUIRE(cg);
  CHECK((*cg)["distance_m"].GetDouble() > 0);
  CHECK_FALSE(has_key(st, "worker_id"));
  CHECK_FALSE(has_key(st, "points"));
  CHECK(s.as("planner", "GET", "/api/v1/stats/patrols?level=subdistrict").status == 200);
  check_problem(s.as("planner", "GET", "/api/v1/stats/patrols?level=worker"), 400);
  check_problem(s.as("worker", "GET", "/api/v1/stats/patrols"), 403);

  // Opting out stops the recording.
  REQUIRE(s.as("worker", "PUT", "/api/v1/workers/1/patrol", "{\"on\":false}").status == 200);
  REQUIRE(s.as("worker", "PUT", "/api/v1/workers/1/position", ping(lon, lat, noon + 600)).status ==
          202);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(count_rows(s.db, "SELECT count(*) FROM patrol_points") == 3);
}

TEST_CASE("the server purges track points past the retention at start-up", "[engines]") {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  int64_t now = server::App::now();
  {
    data::Db d = data::Db::open(db, false);
    data::Statement st(
        d, "INSERT INTO patrol_points(worker_id, at, lon, lat) VALUES (1, ?1, 111.7, 40.8)");
    for (int64_t at : {now - 3 * 86400, now - 2 * 86400, now - 3600}) st.bind(1, at).run();
  }
  test::ServerProcess server(db, city.serve_with({"--patrol-retention-days", "1"}));
  CHECK(count_rows(db, "SELECT count(*) FROM patrol_points") == 1);
  CHECK(count_rows(db, "SELECT min(at) FROM patrol_points") == now - 3600);
  server.stop();
  std::vector<std::string> zero{"serve", "--db", db};
  for (const std::string& a : city.serve_with({"--patrol-retention-days", "0"})) zero.push_back(a);
  test::RunResult refused = test::run_gridmap(zero);
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("--patrol-retention-days"));
}

TEST_CASE("the server cuts the audit log past its retention at start-up, and the chain verifies",
          "[engines]") {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  int64_t now = server::App::now();
  {
    data::Db d = data::Db::open(db, false);
    for (int days = 400; days > 0; days -= 10) {
      data::Transaction t(d);
      data::audit(d, now - days * 86400, "admin", "resident.reveal", "resident:1", "phone");
      t.commit();
    }
  }
  int64_t cut = data::month_start(now - 200 * 86400);
  REQUIRE(count_rows(db, "SELECT count(*) FROM audit_log WHERE at < " + std::to_string(cut)) > 10);
  test::ServerProcess server(db, city.serve_with({"--audit-retention-days", "200"}));
  CHECK(count_rows(db, "SELECT count(*) FROM audit_log WHERE at < " + std::to_string(cut)) == 0);
  CHECK(count_rows(db, "SELECT count(*) FROM audit_log WHERE action = 'audit.retention'") == 1);
  server.stop();
  CHECK_THAT(server.log(), Catch::Contains("audit entries removed"));
  test::RunResult verify = test::run_gridmap({"audit", "verify", "--db", db});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("removed by retention"));
  // Fewer than the six months of logs the law asks is refused.
  std::vector<std::string> short_period{"serve", "--db", db};
  for (const std::string& a : city.serve_with({"--audit-retention-days", "30"}))
    short_period.push_back(a);
  test::RunResult refused = test::run_gridmap(short_period);
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("at least 180"));
}

TEST_CASE("a visit shows in its grid's coverage figures, as rows and as a map layer", "[engines]") {
  RoleServer s;
  int64_t household = 0;
  {
    data::Db d = data::Db::open(s.db, false);
    data::Statement st(d,
                       "SELECT id FROM households h WHERE grid_code = ?1 AND NOT EXISTS "
                       "(SELECT 1 FROM visits v WHERE v.household_id = h.id) ORDER BY id LIMIT 1");
    st.bind(1, RoleServer::kFirstGrid);
    REQUIRE(st.step());
    household = st.int64(0);
  }
  auto grid_row = [&](const std::string& user) {
    HttpResult r = s.as(user, "GET", "/api/v1/stats/visits?level=grid");
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto d = json(r);
    const auto* row = row_of(d["rows"], "grid_code", RoleServer::kFirstGrid);
    REQUIRE(row);
    return std::make_pair((*row)["visited_30d"].GetInt64(), (*row)["never_visited"].GetInt64());
  };
  auto before = grid_row("admin");
  LonLat at;
  {
    data::Db d = data::Db::open(s.db, false);
    at = data::HouseholdRepo(d).get(household)->position;
  }
  HttpResult v =
      s.as("worker", "POST", "/api/v1/workers/1/visits",
           "{\"household_id\":" + std::to_string(household) + ",\"lon\":" + std::to_string(at.lon) +
               ",\"lat\":" + std::to_string(at.lat) + "}");
  INFO(v.body);
  REQUIRE(v.status == 201);
  auto after = grid_row("planner");
  CHECK(after.first == before.first + 1);
  CHECK(after.second == before.second - 1);

  // Per worker: worker 1's own visits.
  auto workers = json(s.as("dispatcher", "GET", "/api/v1/stats/visits?level=worker"));
  bool found = false;
  for (const auto& r : workers["rows"].GetArray())
    if (r["worker_id"].GetInt64() == 1) {
      found = true;
      CHECK(r["visited_30d"].GetInt64() >= 1);
      CHECK(r["visits_30d"].GetInt64() >= 1);
      CHECK(r["working_days_30d"].GetInt64() >= 18);
      CHECK(r["working_days_30d"].GetInt64() <= 23);
    }
  CHECK(found);

  // The map layer: the grids' polygons with the figures.
  HttpResult g = s.as("planner", "GET", "/api/v1/stats/visits?level=grid&format=geojson");
  REQUIRE(g.status == 200);
  CHECK(g.headers["content-type"].find("application/geo+json") == 0);
  auto fc = json(g);
  CHECK(std::string(fc["type"].GetString()) == "FeatureCollection");
  bool drawn = false;
  for (const auto& f : fc["features"].GetArray())
    if (std::string(f["id"].GetString()) == RoleServer::kFirstGrid) {
      drawn = true;
      CHECK(std::string(f["geometry"]["type"].GetString()).find("Polygon") != std::string::npos);
      CHECK(f["properties"]["visited_30d"].GetInt64() == after.first);
      CHECK(f["properties"]["share_30d"].GetDouble() > 0);
    }
  CHECK(drawn);
  check_problem(s.as("admin", "GET", "/api/v1/stats/visits?level=worker&format=geojson"), 400);
  check_problem(s.as("planner", "GET", "/api/v1/stats/visits?level=worker"), 403);  // by person
  check_problem(s.as("worker", "GET", "/api/v1/stats/visits"), 403);

  // A community's office: its own grids only.
  std::string community = std::string(RoleServer::kFirstGrid).substr(0, 12);
  s.add_user("office", "community", {"--area", community});
  auto mine = json(s.as("office", "GET", "/api/v1/stats/visits?level=grid"));
  REQUIRE(mine["rows"].Size() > 0);
  for (const auto& r : mine["rows"].GetArray())
    CHECK(std::string(r["grid_code"].GetString()).rfind(community, 0) == 0);
}
