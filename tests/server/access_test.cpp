// Access control and residents' privacy, checked over HTTP against the access table.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/departments.hpp"
#include "data/households.hpp"
#include "data/users.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::http;
using test::HttpResult;
using test::json;

namespace {

struct Sample {
  std::string method, target, body;
};

// One concrete request per route. A route added to the server without a sample here (or
// without an access rule) fails the first test below.
const std::map<std::string, Sample>& samples() {
  static const std::map<std::string, Sample> s = {
      {"healthz", {"GET", "/healthz", ""}},
      {"problems.list", {"GET", "/problems", ""}},
      {"problems.item", {"GET", "/problems/not_found", ""}},
      {"openapi", {"GET", "/api/v1/openapi.json", ""}},
      {"exports.layer", {"GET", "/api/v1/export/subdistricts?format=csv", ""}},
      {"open311.discovery", {"GET", "/open311/v2/discovery.json", ""}},
      {"open311.services", {"GET", "/open311/v2/services.json", ""}},
      {"open311.service", {"GET", "/open311/v2/services/noise.json", ""}},
      {"open311.requests", {"GET", "/open311/v2/requests.json?status=open", ""}},
      {"open311.request", {"GET", "/open311/v2/requests/1.json", ""}},
      {"open311.create", {"POST", "/open311/v2/requests.json", "service_code=noise"}},
      {"ogc.landing", {"GET", "/ogc", ""}},
      {"ogc.conformance", {"GET", "/ogc/conformance", ""}},
      {"ogc.collections", {"GET", "/ogc/collections", ""}},
      {"ogc.collection", {"GET", "/ogc/collections/grids", ""}},
      {"ogc.queryables", {"GET", "/ogc/collections/petitions/queryables", ""}},
      {"ogc.items", {"GET", "/ogc/collections/grids/items?limit=2", ""}},
      {"ogc.item", {"GET", "/ogc/collections/grids/items/150102001001001", ""}},
      {"ogc.create", {"POST", "/ogc/collections/households/items", "{}"}},
      {"ogc.replace", {"PUT", "/ogc/collections/households/items/1", "{}"}},
      {"ogc.update", {"PATCH", "/ogc/collections/households/items/1", "{}"}},
      {"ogc.delete", {"DELETE", "/ogc/collections/households/items/999999", ""}},
      {"metrics", {"GET", "/metrics", ""}},
      {"session.create",
       {"POST", "/api/v1/session", "{\"name\":\"nobody\",\"password\":\"wrong-password\"}"}},
      {"session.delete", {"DELETE", "/api/v1/session", ""}},
      {"session.me", {"GET", "/api/v1/session", ""}},
      {"locate", {"GET", "/api/v1/locate?lon=111.7&lat=40.8", ""}},
      {"locate.batch", {"POST", "/api/v1/locate", "[[111.7,40.8]]"}},
      {"workers.nearest", {"GET", "/api/v1/workers/nearest?lon=111.7&lat=40.8", ""}},
      {"workers.nearest.batch", {"POST", "/api/v1/workers/nearest", "[[111.7,40.8]]"}},
      {"workers.position", {"PUT", "/api/v1/workers/1/position", "{\"lon\":111.7,\"lat\":40.8}"}},
      {"workers.positions",
       {"POST", "/api/v1/workers/positions", "[{\"id\":1,\"lon\":111.7,\"lat\":40.8}]"}},
      {"subdistricts.list", {"GET", "/api/v1/subdistricts", ""}},
      {"subdistricts.item", {"GET", "/api/v1/subdistricts/150102001", ""}},
      {"subdistricts.create", {"POST", "/api/v1/subdistricts", "{}"}},
      {"subdistricts.update", {"PATCH", "/api/v1/subdistricts/150102001", "{}"}},
      {"communities.list", {"GET", "/api/v1/communities", ""}},
      {"communities.item", {"GET", "/api/v1/communities/150102001001", ""}},
      {"communities.create", {"POST", "/api/v1/communities", "{}"}},
      {"communities.update", {"PATCH", "/api/v1/communities/150102001001", "{}"}},
      {"grids.list", {"GET", "/api/v1/grids", ""}},
      {"grids.item", {"GET", "/api/v1/grids/150102001001001", ""}},
      {"grids.create", {"POST", "/api/v1/grids", "{}"}},
      {"grids.update", {"PATCH", "/api/v1/grids/150102001001001", "{}"}},
      {"workers.list", {"GET", "/api/v1/workers", ""}},
      {"workers.item", {"GET", "/api/v1/workers/1", ""}},
      {"workers.offline", {"GET", "/api/v1/workers/1/offline", ""}},
      {"workers.offline_tiles", {"GET", "/api/v1/workers/1/offline.pmtiles", ""}},
      {"workers.update", {"PATCH", "/api/v1/workers/1", "{}"}},
      {"households.list", {"GET", "/api/v1/households", ""}},
      {"households.item", {"GET", "/api/v1/households/1", ""}},
      {"households.create", {"POST", "/api/v1/households", "{}"}},
      {"residents.list", {"GET", "/api/v1/households/1/residents", ""}},
      {"residents.reveal", {"POST", "/api/v1/residents/1/reveal", "{\"reason\":\"核对\"}"}},
      {"residents.delete", {"DELETE", "/api/v1/residents/999999", ""}},
      {"residents.export", {"GET", "/api/v1/residents/999999/export", ""}},
      {"residents.erase", {"POST", "/api/v1/residents/999999/erase", "{\"reason\":\"test\"}"}},
      {"residents.create", {"POST", "/api/v1/households/999999/residents", "{}"}},
      {"residents.item", {"GET", "/api/v1/residents/999999", ""}},
      {"residents.update", {"PATCH", "/api/v1/residents/999999", "{}"}},
      {"residents.tag", {"PUT", "/api/v1/residents/999999/tags/low_income", ""}},
      {"residents.untag", {"DELETE", "/api/v1/residents/999999/tags/low_income", ""}},
      {"residents.tagged", {"GET", "/api/v1/residents?tag=low_income", ""}},
      {"units.list", {"GET", "/api/v1/units", ""}},
      {"units.item", {"GET", "/api/v1/units/999999", ""}},
      {"units.create", {"POST", "/api/v1/units", "{}"}},
      {"units.update", {"PUT", "/api/v1/units/999999", "{}"}},
      {"units.delete", {"DELETE", "/api/v1/units/999999", ""}},
      {"units.reveal", {"POST", "/api/v1/units/999999/reveal", "{}"}},
      {"register.import", {"POST", "/api/v1/register/import", ""}},
      {"register.export", {"GET", "/api/v1/register/export?format=csv", ""}},
      {"register.template", {"GET", "/api/v1/register/template?format=csv", ""}},
      {"petitions.list", {"GET", "/api/v1/petitions", ""}},
      {"petitions.item", {"GET", "/api/v1/petitions/1", ""}},
      {"petitions.create", {"POST", "/api/v1/petitions", "{}"}},
      {"petitions.transition", {"POST", "/api/v1/petitions/1/transitions", "{}"}},
      {"petitions.events", {"GET", "/api/v1/petitions/1/events", ""}},
      {"petitions.followup", {"POST", "/api/v1/petitions/1/follow-ups", "{}"}},
      {"petitions.followups", {"GET", "/api/v1/petitions/1/follow-ups", ""}},
      {"petitions.duplicates", {"GET", "/api/v1/petitions/1/duplicates", ""}},
      {"petitions.reveal", {"POST", "/api/v1/petitions/1/reveal", "{\"reason\":\"回访\"}"}},
      {"visits.create", {"POST", "/api/v1/workers/1/visits", "{}"}},
      {"visits.list", {"GET", "/api/v1/workers/1/visits", ""}},
      {"worklog.put", {"PUT", "/api/v1/workers/1/worklog/2026-11-01", "{}"}},
      {"worklog.get", {"GET", "/api/v1/workers/1/worklog/2026-11-01", ""}},
      {"visits.item", {"GET", "/api/v1/visits/999999", ""}},
      {"households.visits", {"GET", "/api/v1/households/1/visits", ""}},
      {"visitform.get", {"GET", "/api/v1/visit-form", ""}},
      {"visitform.put", {"PUT", "/api/v1/visit-form", "{}"}},
      {"worklog.create", {"POST", "/api/v1/workers/1/worklog", "{}"}},
      {"worklog.edit", {"PATCH", "/api/v1/worklog/999999", "{}"}},
      {"worklog.list", {"GET", "/api/v1/worklog", ""}},
      {"worklog.item", {"GET", "/api/v1/worklog/999999", ""}},
      {"worklog.versions", {"GET", "/api/v1/worklog/999999/versions", ""}},
      {"petitions.attachments.create", {"POST", "/api/v1/petitions/1/attachments", ""}},
      {"petitions.attachments.list", {"GET", "/api/v1/petitions/1/attachments", ""}},
      {"visits.attachments.create", {"POST", "/api/v1/visits/999999/attachments", ""}},
      {"visits.attachments.list", {"GET", "/api/v1/visits/999999/attachments", ""}},
      {"worklog.attachments.create", {"POST", "/api/v1/worklog/999999/attachments", ""}},
      {"worklog.attachments.list", {"GET", "/api/v1/worklog/999999/attachments", ""}},
      {"attachments.file", {"GET", "/api/v1/attachments/999999", ""}},
      {"attachments.thumbnail", {"GET", "/api/v1/attachments/999999/thumbnail", ""}},
      {"attachments.delete", {"DELETE", "/api/v1/attachments/999999", ""}},
      {"patrols.set", {"PUT", "/api/v1/workers/1/patrol", "{\"on\":false}"}},
      {"patrols.track", {"GET", "/api/v1/workers/1/track?day=2026-03-02", ""}},
      {"patrols.stats", {"GET", "/api/v1/stats/patrols?level=community", ""}},
      {"visits.coverage", {"GET", "/api/v1/stats/visits?level=grid", ""}},
      {"catalogue.list", {"GET", "/api/v1/catalogue", ""}},
      {"catalogue.item", {"GET", "/api/v1/catalogue/noise", ""}},
      {"catalogue.put", {"PUT", "/api/v1/catalogue/nothing_here", "{}"}},
      {"catalogue.delete", {"DELETE", "/api/v1/catalogue/nothing_here", ""}},
      {"departments.list", {"GET", "/api/v1/departments", ""}},
      {"departments.item", {"GET", "/api/v1/departments/nothing_here", ""}},
      {"departments.put", {"PUT", "/api/v1/departments/nothing_here", "{}"}},
      {"departments.delete", {"DELETE", "/api/v1/departments/nothing_here", ""}},
      {"stats", {"GET", "/api/v1/stats", ""}},
      {"coverage", {"GET", "/api/v1/coverage", ""}},
      {"hotspots", {"GET", "/api/v1/hotspots?from=2025-11-01&to=2026-11-01", ""}},
      {"tiles.subdistricts", {"GET", "/tiles/subdistricts/14/13275/6153.mvt", ""}},
      {"tiles.communities", {"GET", "/tiles/communities/14/13275/6153.mvt", ""}},
      {"tiles.grids", {"GET", "/tiles/grids/14/13275/6153.mvt", ""}},
      {"tiles.households", {"GET", "/tiles/households/14/13275/6153.mvt", ""}},
      {"tiles.petitions", {"GET", "/tiles/petitions/14/13275/6153.mvt?status=closed", ""}},
      {"tiles.workers", {"GET", "/tiles/workers/14/13275/6153.mvt", ""}},
      {"tilejson.subdistricts", {"GET", "/tiles/subdistricts.json", ""}},
      {"tilejson.communities", {"GET", "/tiles/communities.json", ""}},
      {"tilejson.grids", {"GET", "/tiles/grids.json", ""}},
      {"tilejson.households", {"GET", "/tiles/households.json", ""}},
      {"tilejson.petitions", {"GET", "/tiles/petitions.json", ""}},
      {"tilejson.workers", {"GET", "/tiles/workers.json", ""}},
      {"tiles.hotspots",
       {"GET", "/tiles/hotspots/14/13275/6153.mvt?from=2025-11-01&to=2026-11-01", ""}},
      {"tilejson.hotspots", {"GET", "/tiles/hotspots.json?value=per_household", ""}},
      {"style", {"GET", "/style.json", ""}},
      {"fonts", {"GET", "/fonts/WenQuanYi%20Micro%20Hei/20224-20479.pbf", ""}},
      {"basemap.tile", {"GET", "/basemap/14/13275/6153.png", ""}},
      {"basemap.tilejson", {"GET", "/basemap.json", ""}},
      {"heatmap", {"GET", "/heatmap/12/3319/1538.png", ""}},
      {"tiles.density", {"GET", "/tiles/density/12/3319/1538.mvt", ""}},
      // A bad Last-Event-ID: answered (400) rather than streamed, which would never end.
      {"events.stream", {"GET", "/api/v1/events/stream?last_event_id=x", ""}},
      {"webhooks.list", {"GET", "/api/v1/webhooks", ""}},
      {"webhooks.create", {"POST", "/api/v1/webhooks", "{}"}},
      {"webhooks.item", {"GET", "/api/v1/webhooks/999", ""}},
      {"webhooks.delete", {"DELETE", "/api/v1/webhooks/999", ""}},
  };
  return s;
}

struct Fixture {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  std::map<std::string, std::string> tokens;  // role -> token
  std::string first_grid, other_grid;
  std::unique_ptr<test::ServerProcess> server;
  Fixture() {
    first_grid = "150102001001001";
    other_grid = "150102001009001";
    tokens["admin"] = test::make_user(db, "admin", "admin");
    tokens["dispatcher"] = test::make_user(db, "dispatcher", "dispatcher");
    tokens["planner"] = test::make_user(db, "planner", "planner");
    // Worker 1 is the demo worker of the first grid.
    tokens["worker"] =
        test::make_user(db, "worker1", "worker", {"--grid", first_grid, "--worker", "1"});
    // The offices of the first grid's community and subdistrict, and of a department.
    tokens["community"] = test::make_user(db, "community", "community", {"--area", "150102001001"});
    tokens["subdistrict"] =
        test::make_user(db, "subdistrict", "subdistrict", {"--area", "150102001"});
    {
      data::Db d = data::Db::open(db, false);
      data::DepartmentRepo(d).put({0, "city-mgmt", "城管局", {}});
    }
    tokens["department"] =
        test::make_user(db, "department", "department", {"--department", "city-mgmt"});
    test::set_default_headers({});
    server = std::make_unique<test::ServerProcess>(db, city.serve_args);
  }
  std::string spare_token(const std::string& role) {
    data::Db d = data::Db::open(db, false);
    data::UserRepo users(d);
    return users.issue_token(users.find(role == "worker" ? "worker1" : role)->id, "api",
                             server::App::now(), 3600);
  }
  HttpResult as(const std::string& role, const std::string& method, const std::string& target,
                const std::string& body = "") {
    return http(server->port(), method, target, body,
                {{"Authorization", role.empty() ? "" : "Bearer " + tokens[role]}});
  }
};

}  // namespace

TEST_CASE("every route, for every role and for no credentials, answers as the access table says",
          "[engines]") {
  Fixture f;
  std::vector<std::string> routes;
  std::string route_lines;  // "METHOD PATTERN NAME", for the OpenAPI check below
  {
    server::AppOptions o;
    o.db_path = f.db;
    o.files_dir = f.city.files_dir;
    server::App app(o);
    for (auto& r : app.router().routes()) {
      routes.push_back(r.name);
      route_lines += r.method + " " + r.pattern + " " + r.name + "\n";
    }
  }
  std::string exchanges;  // every answer below, one JSON object per line
  auto record = [&](const std::string& route, const Sample& s, const std::string& role,
                    const HttpResult& r) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto type = r.headers.count("content-type") ? r.headers.at("content-type") : std::string();
    w.StartObject();
    w.Key("route");
    w.String(route.c_str());
    w.Key("method");
    w.String(s.method.c_str());
    w.Key("target");
    w.String(s.target.c_str());
    w.Key("role");
    w.String(role.c_str());
    w.Key("status");
    w.Int(r.status);
    w.Key("type");
    w.String(type.c_str());
    if (type.find("json") != std::string::npos) {
      w.Key("body");
      w.String(r.body.c_str(), static_cast<rapidjson::SizeType>(r.body.size()));
    }
    w.EndObject();
    exchanges += buf.GetString();
    exchanges += "\n";
  };
  for (const std::string& name : routes) {
    INFO("route " << name);
    const server::AccessRule* rule = server::rule_for(name);
    REQUIRE(rule);                        // a route without an access rule
    REQUIRE(samples().count(name) == 1);  // a route without a sample request in this test
    const Sample& s = samples().at(name);
    for (std::string role : {"", "admin", "dispatcher", "worker", "planner", "community",
                             "subdistrict", "department"}) {
      INFO("role '" << role << "'");
      // Signing out revokes the token it is sent with: sign out with a spare one.
      HttpResult r = name == "session.delete" && !role.empty()
                         ? http(f.server->port(), s.method, s.target, s.body,
                                {{"Authorization", "Bearer " + f.spare_token(role)}})
                         : f.as(role, s.method, s.target, s.body);
      REQUIRE(r.status != 0);
      record(name, s, role, r);
      if (rule->is_public) {
        CHECK(r.body.find("sign in first") == std::string::npos);
        CHECK(r.status != 403);
      } else if (role.empty()) {
        CHECK(r.status == 401);
      } else if (server::scope_of(*rule, role) == server::Scope::denied) {
        CHECK(r.status == 403);
      } else {
        CHECK(r.status != 401);
        // Own-scope routes may still refuse a record outside the patch, never the route.
        if (server::scope_of(*rule, role) == server::Scope::all) CHECK(r.status != 403);
      }
    }
  }
  CHECK(routes.size() == samples().size());
  // The OpenAPI document names every route, and every answer above is as it documents
  // (tests/server/openapi_check.mjs: an OpenAPI 3.1 validator and ajv, from npm).
  auto doc = f.as("", "GET", "/api/v1/openapi.json");
  REQUIRE(doc.status == 200);
  std::string doc_path = f.dir.file("openapi.json"), routes_path = f.dir.file("routes.txt"),
              exchanges_path = f.dir.file("exchanges.jsonl");
  std::ofstream(doc_path) << doc.body;
  std::ofstream(routes_path) << route_lines;
  std::ofstream(exchanges_path) << exchanges;
  std::string command = "node " GRIDMAP_TEST_DATA "/../server/openapi_check.mjs " + doc_path + " " +
                        routes_path + " " + exchanges_path + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  char chunk[4096];
  while (size_t n = fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
  int status = pclose(pipe);
  INFO(output);
  CHECK(output.find("openapi_check: ") != std::string::npos);
  CHECK(status == 0);
}

TEST_CASE("every route refuses a query parameter it does not take, naming the ones it does",
          "[engines]") {
  Fixture f;
  for (const auto& [name, s] : samples()) {
    INFO("route " << name);
    const server::AccessRule* rule = server::rule_for(name);
    REQUIRE(rule);
    // A role the route serves (the admin, unless the route is not theirs).
    std::string role;
    for (std::string r : {"admin", "dispatcher", "worker", "planner", "department"})
      if (server::scope_of(*rule, r) != server::Scope::denied) {
        role = r;
        break;
      }
    std::string target =
        s.target + (s.target.find('?') == std::string::npos ? "?" : "&") + "zz_unknown=1";
    HttpResult r = f.as(role, s.method, target, s.body);
    if (name.rfind("open311.", 0) == 0)  // Open311's own error list
      CHECK(r.status == 400);
    else
      test::check_problem(r, 400, "invalid_input");
    CHECK(r.body.find("zz_unknown") != std::string::npos);
  }
  // A parameter a route does take still works, and one given twice is refused.
  CHECK(f.as("planner", "GET", "/api/v1/stats?level=grid").status == 200);
  CHECK(f.as("planner", "GET", "/api/v1/stats?level=grid&category=noise").status == 200);
  test::check_problem(f.as("admin", "GET", "/api/v1/grids?limit=1&limit=2"), 400, "invalid_input");
}

TEST_CASE(
    "a worker reads no household, resident, visit or petition of another grid through any route",
    "[engines]") {
  Fixture f;
  auto households = json(f.as("worker", "GET", "/api/v1/households?limit=1000"));
  REQUIRE(households["features"].Size() > 0);
  for (auto& h : households["features"].GetArray())
    CHECK(std::string(h["properties"]["grid_code"].GetString()) == f.first_grid);
  // A bbox over the whole city still yields only the patch.
  auto boxed = json(f.as("worker", "GET", "/api/v1/households?bbox=100,30,130,50&limit=1000"));
  for (auto& h : boxed["features"].GetArray())
    CHECK(std::string(h["properties"]["grid_code"].GetString()) == f.first_grid);
  // Filters cannot widen it either.
  auto filtered = json(f.as("worker", "GET", "/api/v1/households?grid_code=" + f.other_grid));
  CHECK(filtered["features"].Size() == 0);
  // Items and residents of another grid do not exist for this worker.
  auto admin_other =
      json(f.as("admin", "GET", "/api/v1/households?grid_code=" + f.other_grid + "&limit=1"));
  std::string other_household = std::to_string(admin_other["features"][0]["id"].GetInt64());
  CHECK(f.as("worker", "GET", "/api/v1/households/" + other_household).status == 404);
  CHECK(f.as("worker", "GET", "/api/v1/households/" + other_household + "/residents").status ==
        404);
  // Petitions: only the patch's, or reported by or assigned to the worker.
  auto petitions = json(f.as("worker", "GET", "/api/v1/petitions?limit=1000"));
  for (auto& p : petitions["features"].GetArray()) {
    bool mine = std::string(p["properties"]["grid_code"].GetString()) == f.first_grid ||
                (p["properties"]["handler_worker_id"].IsInt64() &&
                 p["properties"]["handler_worker_id"].GetInt64() == 1);
    CHECK(mine);
  }
  auto admin_petitions =
      json(f.as("admin", "GET", "/api/v1/petitions?grid_code=" + f.other_grid + "&limit=1"));
  std::string other_petition = std::to_string(admin_petitions["features"][0]["id"].GetInt64());
  CHECK(f.as("worker", "GET", "/api/v1/petitions/" + other_petition).status == 404);
  CHECK(f.as("worker", "GET", "/api/v1/petitions/" + other_petition + "/events").status == 404);
  CHECK(f.as("worker", "POST", "/api/v1/petitions/" + other_petition + "/transitions",
             "{\"to\":\"closed\"}")
            .status == 404);
  // Visits, work logs and positions of other workers are out of reach.
  CHECK(f.as("worker", "GET", "/api/v1/workers/2/visits").status == 403);
  CHECK(
      f.as("worker", "PUT", "/api/v1/workers/2/position", "{\"lon\":111.7,\"lat\":40.8}").status ==
      403);
  CHECK(
      f.as("worker", "PUT", "/api/v1/workers/1/position", "{\"lon\":111.7,\"lat\":40.8}").status ==
      202);
  CHECK(f.as("worker", "POST", "/api/v1/workers/positions",
             "[{\"id\":1,\"lon\":111.7,\"lat\":40.8},{\"id\":2,\"lon\":111.7,\"lat\":40.8}]")
            .status == 403);
  CHECK(
      f.as("worker", "POST", "/api/v1/workers/positions", "[{\"id\":1,\"lon\":111.7,\"lat\":40.8}]")
          .status == 202);
  auto workers = json(f.as("worker", "GET", "/api/v1/workers?limit=1000"));
  CHECK(workers["features"].Size() == 1);
  // Planners get aggregates, never records.
  CHECK(f.as("planner", "GET", "/api/v1/households").status == 403);
  CHECK(f.as("planner", "GET", "/api/v1/petitions/1").status == 403);
  CHECK(f.as("planner", "GET", "/api/v1/stats?level=grid").status == 200);
}

TEST_CASE("resident phone and ID numbers are masked, a reveal shows them and is audited",
          "[engines]") {
  Fixture f;
  auto households = json(f.as("worker", "GET", "/api/v1/households?limit=1"));
  std::string h = std::to_string(households["features"][0]["id"].GetInt64());
  auto residents = json(f.as("worker", "GET", "/api/v1/households/" + h + "/residents"));
  REQUIRE(residents.Size() > 0);
  std::string phone = residents[0]["phone"].GetString(),
              idn = residents[0]["id_number"].GetString();
  CHECK(phone.size() == 11);
  CHECK(phone.substr(3, 4) == "****");
  CHECK(idn.substr(3, 11) == "***********");
  CHECK(std::string(residents[0]["name"].GetString()).find("**") != std::string::npos);
  int64_t rid = residents[0]["id"].GetInt64();
  CHECK(
      f.as("worker", "POST", "/api/v1/residents/" + std::to_string(rid) + "/reveal", "{}").status ==
      400);  // no reason
  auto full = json(f.as("worker", "POST", "/api/v1/residents/" + std::to_string(rid) + "/reveal",
                        "{\"reason\":\"入户核对\"}"));
  std::string full_phone = full["phone"].GetString();
  CHECK(full_phone.find('*') == std::string::npos);
  CHECK(full_phone.substr(7) == phone.substr(7));
  CHECK(f.as("dispatcher", "GET", "/api/v1/households/" + h + "/residents").status == 403);
  f.server->stop();
  data::Db db = data::Db::open(f.db, false);
  data::Statement st(db, "SELECT actor, action, subject, detail FROM audit_log ORDER BY id");
  std::vector<std::string> actions;
  while (st.step()) {
    actions.push_back(st.text(1));
    CHECK(st.text(0) == "worker1");
    CHECK(st.text(3).find(full_phone) ==
          std::string::npos);  // the audit log holds no personal data
  }
  CHECK(actions == std::vector<std::string>{"read_residents", "reveal_resident"});
  CHECK(!data::verify_audit(db).first_bad);
}

TEST_CASE("the audit chain verifies, and an edited row is detected", "[engines]") {
  test::TempDir dir;
  test::ScopedEnv anchor({{"GRIDMAP_AUDIT_DIR", dir.file("")}});
  std::string path = test::test_database(dir.path(), "a.sqlite");
  {
    data::Db db = data::Db::open(path);
    for (int i = 0; i < 5; ++i)
      data::audit(db, 1000 + i, "admin", "reveal_resident", "resident:" + std::to_string(i),
                  "核对");
  }
  auto ok = test::run_gridmap({"audit", "verify", "--db", path});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("5 entries") != std::string::npos);
  {
    data::Db db = data::Db::open(path);
    CHECK_THROWS(
        db.exec("UPDATE audit_log SET actor = 'nobody' WHERE id = 3"));  // refused by trigger
    // Someone with the file drops the guard and rewrites history.
    if (db.postgresql())  // its owner may (on every month of the log)
      db.exec_native("DROP TRIGGER audit_log_no_update ON audit_log");
    else
      db.exec("DROP TRIGGER audit_log_no_update");
    db.exec("UPDATE audit_log SET actor = 'nobody' WHERE id = 3");
  }
  auto bad = test::run_gridmap({"audit", "verify", "--db", path});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("entry 3") != std::string::npos);
}

TEST_CASE("tokens expire, sign-out revokes a session, disabling a user revokes its tokens",
          "[engines]") {
  Fixture f;
  std::string short_token;
  {
    data::Db db = data::Db::open(f.db, false);
    data::UserRepo users(db);
    auto u = users.find("dispatcher");
    // Three seconds: long enough that the first call never races the expiry on a busy machine.
    short_token = users.issue_token(u->id, "api", server::App::now(), 3);
  }
  auto call = [&](const std::string& token) {
    return http(f.server->port(), "GET", "/api/v1/stats", "",
                {{"Authorization", "Bearer " + token}})
        .status;
  };
  CHECK(call(short_token) == 200);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(4200));  // past the expiry and the one-second trust
  CHECK(call(short_token) == 401);
  // Session: sign in with a password, use the cookie, sign out.
  REQUIRE(test::run_gridmap(
              {"user", "add", "zhang", "--role", "dispatcher", "--db", f.db, "--password-stdin"},
              "correct horse battery\n")
              .exit_code == 0);
  auto login = http(f.server->port(), "POST", "/api/v1/session",
                    "{\"name\":\"zhang\",\"password\":\"correct horse battery\"}");
  REQUIRE(login.status == 200);
  std::string set_cookie = login.headers["set-cookie"];
  CHECK(set_cookie.find("HttpOnly") != std::string::npos);
  CHECK(set_cookie.find("SameSite=Strict") != std::string::npos);
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  CHECK(http(f.server->port(), "GET", "/api/v1/session", "", {{"Cookie", cookie}}).status == 200);
  // The web map's fetch says where it comes from (Origin); the test client's Host is
  // 127.0.0.1.
  CHECK(http(f.server->port(), "DELETE", "/api/v1/session", "",
             {{"Cookie", cookie}, {"Origin", "http://127.0.0.1"}})
            .status == 204);
  CHECK(http(f.server->port(), "GET", "/api/v1/session", "", {{"Cookie", cookie}}).body ==
        "{\"signed_in\":false}");
  CHECK(http(f.server->port(), "GET", "/api/v1/stats", "", {{"Cookie", cookie}}).status == 401);
  // Disable: the API token stops working at once.
  CHECK(call(f.tokens["planner"]) == 200);
  REQUIRE(test::run_gridmap({"user", "disable", "planner", "--db", f.db}).exit_code == 0);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1100));  // the server trusts a checked token for a second
  CHECK(call(f.tokens["planner"]) == 401);
  CHECK(call("gm_not-a-token") == 401);
}

TEST_CASE("failed sign-ins are slowed down per user and address", "[engines]") {
  Fixture f;
  REQUIRE(test::run_gridmap(
              {"user", "add", "li", "--role", "planner", "--db", f.db, "--password-stdin"},
              "a good long password\n")
              .exit_code == 0);
  for (int i = 0; i < 3; ++i)
    CHECK(http(f.server->port(), "POST", "/api/v1/session",
               "{\"name\":\"li\",\"password\":\"wrong guess\"}")
              .status == 401);
  // From the same address further tries wait, 1 s, 2 s, 4 s, ... after each failure
  // (security_test checks that the real user at another address is not locked out). A slow
  // machine may take a second over a hash, so the first wait may have passed: try again.
  HttpResult blocked;
  for (int i = 0; i < 3 && blocked.status != 429; ++i)
    blocked = http(f.server->port(), "POST", "/api/v1/session",
                   "{\"name\":\"li\",\"password\":\"another guess\"}");
  CHECK(blocked.status == 429);
  CHECK(blocked.headers.count("retry-after") == 1);
}

TEST_CASE("deleting a resident removes the data from the database file") {
  Fixture f;
  std::string idn;
  int64_t rid = 0;
  {
    data::Db db = data::Db::open(f.db, false);
    data::Statement st(db, "SELECT id, id_number FROM residents ORDER BY id LIMIT 1");
    REQUIRE(st.step());
    rid = st.int64(0);
    idn = st.text(1);
  }
  auto contains = [&](const std::string& path) {
    std::string bytes = test::read_file(path);
    return bytes.find(idn) != std::string::npos;
  };
  REQUIRE(contains(f.db));
  CHECK(f.as("worker", "DELETE", "/api/v1/residents/" + std::to_string(rid)).status == 403);
  CHECK(f.as("admin", "DELETE", "/api/v1/residents/" + std::to_string(rid)).status == 204);
  CHECK(f.as("admin", "DELETE", "/api/v1/residents/" + std::to_string(rid)).status == 404);
  f.server->stop();
  CHECK(!contains(f.db));
  CHECK(!contains(f.db + "-wal"));
}

TEST_CASE("personal data stays out of logs, errors and aggregates", "[engines]") {
  Fixture f;
  std::string phone;
  {
    data::Db db = data::Db::open(f.db, false);
    data::Statement st(
        db, "SELECT reporter_contact FROM petitions WHERE reporter_contact IS NOT NULL LIMIT 1");
    REQUIRE(st.step());
    phone = st.text(0);
  }
  for (const char* target :
       {"/api/v1/stats?level=grid", "/api/v1/petitions?limit=1000", "/api/v1/coverage", "/metrics"})
    CHECK(f.as("admin", "GET", target).body.find(phone) == std::string::npos);
  f.server->stop();
  CHECK(f.server->log().find(phone) == std::string::npos);
}
