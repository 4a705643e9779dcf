// The register over HTTP: residents created, edited, moved out, tagged, read masked with
// every read audited; units with a revealed contact; the import and its template.
#include <catch2/catch.hpp>

#include "data/db.hpp"
#include "support/city_support.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::count_rows;
using test::household_in;
using test::http;
using test::HttpResult;
using test::json;
using test::RoleServer;

TEST_CASE(
    "residents: a worker registers, edits, moves out and tags the people of their patch, read "
    "masked",
    "[engines]") {
  RoleServer s;
  int64_t mine = *household_in(s.db, RoleServer::kFirstGrid, true).id;
  int64_t theirs = *household_in(s.db, RoleServer::kFirstGrid, false).id;
  std::string body =
      "{\"name\":\"王小明\",\"id_number\":\"11010519491231002X\",\"phone\":\"13800001234\","
      "\"relation\":\"head\",\"gender\":\"male\",\"birth_date\":\"1949-12-31\"}";
  HttpResult made =
      s.as("worker", "POST", "/api/v1/households/" + std::to_string(mine) + "/residents", body);
  INFO(made.body);
  REQUIRE(made.status == 201);
  auto p = json(made);
  CHECK(std::string(p["name"].GetString()) == "王**");
  CHECK(std::string(p["id_number"].GetString()) == "110***********002X");
  CHECK(std::string(p["phone"].GetString()) == "138****1234");
  CHECK(std::string(p["birth_date"].GetString()) == "1949");
  CHECK(made.body.find("王小明") == std::string::npos);
  int64_t id = p["id"].GetInt64();
  std::string item = "/api/v1/residents/" + std::to_string(id);
  // Out of the patch: 404 as a missing household; bad details: 400 naming the field.
  check_problem(
      s.as("worker", "POST", "/api/v1/households/" + std::to_string(theirs) + "/residents", body),
      404);
  check_problem(s.as("worker", "POST", "/api/v1/households/" + std::to_string(mine) + "/residents",
                     "{\"name\":\"李\",\"id_number\":\"110105194912310021\"}"),
                400);
  check_problem(s.as("worker", "POST", "/api/v1/households/" + std::to_string(mine) + "/residents",
                     "{\"name\":\"李\",\"phone\":\"12345\"}"),
                400);
  // Every read is audited, masked or not.
  int64_t reads =
      count_rows(s.db, "SELECT count(*) FROM audit_log WHERE action = 'read_residents'");
  CHECK(s.as("worker", "GET", item).status == 200);
  CHECK(count_rows(s.db, "SELECT count(*) FROM audit_log WHERE action = 'read_residents'") ==
        reads + 1);
  auto revealed = json(s.as("worker", "POST", item + "/reveal", "{\"reason\":\"核对身份\"}"));
  CHECK(std::string(revealed["name"].GetString()) == "王小明");
  CHECK(count_rows(s.db,
                   "SELECT count(*) FROM audit_log WHERE action = 'reveal_resident' AND subject = "
                   "'resident:" +
                       std::to_string(id) + "'") == 1);
  // Moved out: the status and its time are kept.
  auto moved = json(
      s.as("worker", "PATCH", item, "{\"status\":\"moved_out\",\"status_at\":\"2026-12-01\"}"));
  CHECK(std::string(moved["status"].GetString()) == "moved_out");
  CHECK(std::string(moved["status_at"].GetString()) == "2026-11-30T16:00:00Z");
  check_problem(s.as("worker", "PATCH", item, "{\"status\":\"vanished\"}"), 400);
  // Tags: set (who and when kept), listed masked, cleared.
  CHECK(s.as("worker", "PUT", item + "/tags/lonely_elderly").status == 200);
  check_problem(s.as("worker", "PUT", item + "/tags/vip"), 400);
  auto tagged = json(s.as("worker", "GET", "/api/v1/residents?tag=lonely_elderly"));
  REQUIRE(tagged.Size() == 1);
  CHECK(std::string(tagged[0]["tags"][0]["set_by"].GetString()) == "worker1");
  CHECK(std::string(tagged[0]["tags"][0]["label"].GetString()) == "独居老人");
  CHECK(s.as("worker", "DELETE", item + "/tags/lonely_elderly").status == 204);
  CHECK(json(s.as("worker", "GET", "/api/v1/residents?tag=lonely_elderly")).Size() == 0);
  // The centre and planners never read residents.
  CHECK(s.as("dispatcher", "GET", item).status == 403);
  CHECK(s.as("planner", "GET", "/api/v1/residents").status == 403);
}

TEST_CASE("units: recorded in a worker's grids, the contact masked until revealed with a reason",
          "[engines]") {
  RoleServer s;
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  std::string body =
      "{\"name\":\"便民超市\",\"kind\":\"shop\",\"contact_name\":\"刘店长\",\"contact_phone\":"
      "\"13912345678\","
      "\"credit_code\":\"91420102MA4K12345X\",\"lon\":" +
      std::to_string(lon) + ",\"lat\":" + std::to_string(lat) + "}";
  HttpResult made = s.as("worker", "POST", "/api/v1/units", body);
  INFO(made.body);
  REQUIRE(made.status == 201);
  auto u = json(made);
  CHECK(std::string(u["grid_code"].GetString()) == RoleServer::kFirstGrid);
  CHECK(std::string(u["contact_phone"].GetString()) == "139****5678");
  std::string item = "/api/v1/units/" + std::to_string(u["id"].GetInt64());
  check_problem(s.as("worker", "POST", item + "/reveal", "{}"), 400);
  auto shown = json(s.as("worker", "POST", item + "/reveal", "{\"reason\":\"联系整改\"}"));
  CHECK(std::string(shown["contact_phone"].GetString()) == "13912345678");
  CHECK(count_rows(s.db, "SELECT count(*) FROM audit_log WHERE action = 'reveal_unit_contact'") ==
        1);
  // Elsewhere: a worker cannot place a unit outside their grids.
  check_problem(s.as("worker", "POST", "/api/v1/units", "{\"name\":\"x\",\"lon\":0.5,\"lat\":0.5}"),
                403);
  CHECK(json(s.as("dispatcher", "GET", "/api/v1/units")).Size() == 1);
  CHECK(s.as("planner", "GET", "/api/v1/units").status == 403);
  CHECK(s.as("worker", "DELETE", item).status == 403);
  CHECK(s.as("admin", "DELETE", item).status == 204);
  check_problem(s.as("admin", "GET", item), 404);
}

TEST_CASE(
    "the register import over HTTP: all or nothing with each bad row, the template to fill in",
    "[engines]") {
  RoleServer s;
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  std::string where = "," + std::to_string(lon) + "," + std::to_string(lat);
  std::string csv =
      "地址,经度,纬度,姓名,身份证号,联系电话\n"
      "幸福小区5栋1单元101室" +
      where +
      ",陈一,,13800000001\n"
      "幸福小区5栋1单元102室" +
      where + ",陈二,123,\n";
  auto send = [&](const std::string& query, const std::string& body) {
    return http(
        s.server->port(), "POST", "/api/v1/register/import" + query, body,
        {{"Authorization", "Bearer " + s.tokens.at("admin")}, {"Content-Type", "text/csv"}});
  };
  int64_t residents = count_rows(s.db, "SELECT count(*) FROM residents");
  HttpResult refused = send("", csv);
  check_problem(refused, 422);
  auto r = json(refused);
  CHECK_FALSE(r["committed"].GetBool());
  REQUIRE(r["issues"].Size() == 1);
  CHECK(r["issues"][0]["row"].GetInt64() == 3);
  CHECK(count_rows(s.db, "SELECT count(*) FROM residents") == residents);
  HttpResult done = send("?skip_invalid=true", csv);
  REQUIRE(done.status == 200);
  CHECK(json(done)["residents_created"].GetInt64() == 1);
  CHECK(count_rows(s.db, "SELECT count(*) FROM residents") == residents + 1);
  // The new household is on the map at once (the tiles read the households again).
  auto homes = json(
      s.get("/api/v1/households?grid_code=" + std::string(RoleServer::kFirstGrid) + "&limit=1000"));
  bool found = false;
  for (auto& f : homes["features"].GetArray())
    found |=
        std::string(f["properties"]["address"].GetString()).find("幸福小区") != std::string::npos;
  CHECK(found);
  CHECK(
      http(s.server->port(), "POST", "/api/v1/register/import", csv,
           {{"Authorization", "Bearer " + s.tokens.at("dispatcher")}, {"Content-Type", "text/csv"}})
          .status == 403);
  check_problem(send("?skip_invalid=maybe", csv), 400);
  // The export: the register unmasked, for an admin, audited; no one else.
  HttpResult exported = s.get("/api/v1/register/export?format=csv");
  REQUIRE(exported.status == 200);
  CHECK(exported.body.find("陈一") != std::string::npos);
  CHECK(exported.body.find("13800000001") != std::string::npos);
  CHECK(count_rows(s.db, "SELECT count(*) FROM audit_log WHERE action = 'export_register'") == 1);
  CHECK(s.get("/api/v1/register/export", "dispatcher").status == 403);
  CHECK(s.get("/api/v1/register/export").body.rfind("PK", 0) == 0);
  // The template: a workbook (a zip) by default, CSV on request, headers in Chinese.
  HttpResult xlsx = s.get("/api/v1/register/template");
  REQUIRE(xlsx.status == 200);
  CHECK(xlsx.body.rfind("PK", 0) == 0);
  HttpResult tcsv = s.get("/api/v1/register/template?format=csv");
  REQUIRE(tcsv.status == 200);
  CHECK(tcsv.body.find("地址,经度,纬度,姓名,身份证号") != std::string::npos);
}
