// Case handling over HTTP on the tatabu demo: departments as handlers and their routing,
// escalation to the community's and subdistrict's queues where their users act, and
// duplicates kept on the case, merged and unmerged.
#include <catch2/catch.hpp>

#include <string>

#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using gridmap::test::check_problem;
using gridmap::test::HttpResult;
using gridmap::test::json;
using gridmap::test::RoleServer;

namespace {

std::string path_of(int64_t id) {
  return "/api/v1/petitions/" + std::to_string(id);
}

std::string prop(RoleServer& s, int64_t id, const char* name, const std::string& user = "admin") {
  HttpResult r = s.as(user, "GET", path_of(id));
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r);
  const auto& v = d["properties"][name];
  if (v.IsNull()) return "null";
  if (v.IsString()) return v.GetString();
  return std::to_string(v.GetInt64());
}

// The codes of the community and subdistrict a grid belongs to.
std::pair<std::string, std::string> parents_of(RoleServer& s, const std::string& grid) {
  auto g = json(s.get("/api/v1/grids/" + grid));
  std::string community = g["properties"]["community_code"].GetString();
  auto c = json(s.get("/api/v1/communities/" + community));
  return {community, c["properties"]["subdistrict_code"].GetString()};
}

// Every petition the stats count (level=all: one row), and how many are closed.
std::pair<int64_t, int64_t> counted(RoleServer& s) {
  HttpResult r = s.as("planner", "GET", "/api/v1/stats?level=all");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r);
  REQUIRE(d.Size() == 1);
  return {d[0]["total"].GetInt64(), d[0]["closed"].GetInt64()};
}

int list_count(RoleServer& s, const std::string& user, const std::string& query) {
  HttpResult r = s.as(user, "GET", "/api/v1/petitions?limit=1000&" + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return static_cast<int>(json(r)["features"].Size());
}

}  // namespace

TEST_CASE(
    "departments are defined by an admin, receive dispatched cases, and their users act only on "
    "those",
    "[engines]") {
  RoleServer s;
  // Bad input first: nothing is stored.
  check_problem(s.as("dispatcher", "PUT", "/api/v1/departments/city-mgmt", "{\"name\":\"城管局\"}"),
                403);
  check_problem(s.as("admin", "PUT", "/api/v1/departments/city-mgmt",
                     "{\"name\":\"城管局\",\"routes\":[{\"category\":\"ufo\"}]}"),
                400, "invalid_input");
  check_problem(s.as("admin", "PUT", "/api/v1/departments/city-mgmt", "{\"routes\":[]}"), 400);
  CHECK(json(s.as("dispatcher", "GET", "/api/v1/departments")).Size() == 5);  // the demo's

  HttpResult made = s.as("admin", "PUT", "/api/v1/departments/city-mgmt",
                         "{\"name\":\"城管局\",\"routes\":[{\"category\":\"noise\"}]}");
  INFO(made.body);
  REQUIRE(made.status == 201);
  CHECK(s.as("admin", "PUT", "/api/v1/departments/city-mgmt",
             "{\"name\":\"城市管理局\",\"routes\":[{\"category\":\"noise\"}]}")
            .status == 200);
  // One department per category and subdistrict.
  check_problem(s.as("admin", "PUT", "/api/v1/departments/env-bureau",
                     "{\"name\":\"环保局\",\"routes\":[{\"category\":\"noise\"}]}"),
                409, "conflict");
  auto list = json(s.as("dispatcher", "GET", "/api/v1/departments"));
  REQUIRE(list.Size() == 6);
  auto mine = json(s.as("dispatcher", "GET", "/api/v1/departments/city-mgmt"));
  CHECK(std::string(mine["name"].GetString()) == "城市管理局");
  CHECK(std::string(mine["routes"][0]["category"].GetString()) == "noise");

  s.add_user("cg1", "department", {"--department", "city-mgmt"});
  int64_t id = s.report(RoleServer::kFirstGrid);
  int64_t other = s.report(RoleServer::kFirstGrid, "environment");
  // Before dispatch the department sees neither case.
  check_problem(s.as("cg1", "GET", path_of(id)), 404);
  CHECK(list_count(s, "cg1", "") == 0);
  REQUIRE(s.move(id, "{\"to\":\"registered\"}", "dispatcher").status == 200);
  check_problem(s.move(id, "{\"to\":\"dispatched\",\"department\":\"nobody\"}", "dispatcher"), 400);
  // A worker does not dispatch to departments.
  REQUIRE(s.move(id, "{\"to\":\"dispatched\",\"department\":\"city-mgmt\"}", "dispatcher").status ==
          200);
  CHECK(prop(s, id, "handler_level") == "department");
  CHECK(prop(s, id, "department") == "city-mgmt");
  // Now it is theirs: they see it (and only it) and handle it, but do not verify it.
  CHECK(prop(s, id, "status", "cg1") == "dispatched");
  CHECK(list_count(s, "cg1", "") == 1);
  check_problem(s.as("cg1", "GET", path_of(other)), 404);
  CHECK(list_count(s, "dispatcher", "department=city-mgmt") == 1);
  REQUIRE(s.move(id, "{\"to\":\"in_progress\"}", "cg1").status == 200);
  // The grid's worker no longer handles it, and nobody reads residents through a department.
  check_problem(s.move(id, "{\"to\":\"pending_review\"}", "worker"), 403);
  check_problem(s.as("cg1", "GET", "/api/v1/households/1/residents"), 403);
  REQUIRE(s.move(id, "{\"to\":\"pending_review\",\"note\":\"已处理\"}", "cg1").status == 200);
  check_problem(s.move(id, "{\"to\":\"verified\"}", "cg1"), 403);
  REQUIRE(s.move(id, "{\"to\":\"verified\"}", "dispatcher").status == 200);
  REQUIRE(s.move(id, "{\"to\":\"closed\"}", "dispatcher").status == 200);
  check_problem(s.as("admin", "DELETE", "/api/v1/departments/nobody"), 404);
  auto events = json(s.get(path_of(id) + "/events"));
  bool noted = false;
  for (const auto& e : events.GetArray())
    noted |= std::string(e["note"].GetString()).rfind("department city-mgmt", 0) == 0;
  CHECK(noted);
  // It keeps its history: not removed. One that never handled a case is.
  check_problem(s.as("admin", "DELETE", "/api/v1/departments/city-mgmt"), 409, "conflict");
  REQUIRE(s.as("admin", "PUT", "/api/v1/departments/spare", "{\"name\":\"备用\"}").status == 201);
  CHECK(s.as("admin", "DELETE", "/api/v1/departments/spare").status == 204);
  check_problem(s.as("dispatcher", "GET", "/api/v1/departments/spare"), 404);
}

TEST_CASE(
    "escalation reaches the community's and then the subdistrict's queue, whose users act on it",
    "[engines]") {
  RoleServer s;
  auto [community, subdistrict] = parents_of(s, RoleServer::kFirstGrid);
  s.add_user("shequ", "community", {"--area", community});
  s.add_user("jiedao", "subdistrict", {"--area", subdistrict});
  // A community user of another community (any other one in the demo).
  auto comms = json(s.get("/api/v1/communities?limit=2"));
  std::string elsewhere = comms["features"][0]["properties"]["code"].GetString();
  if (elsewhere == community) elsewhere = comms["features"][1]["properties"]["code"].GetString();
  s.add_user("other-shequ", "community", {"--area", elsewhere});
  // Bad users: an area role without an area, or an unknown one.
  CHECK(gridmap::test::run_gridmap({"user", "add", "x", "--role", "community", "--db", s.db})
            .exit_code != 0);
  CHECK(gridmap::test::run_gridmap(
            {"user", "add", "y", "--role", "community", "--area", "nowhere", "--db", s.db})
            .exit_code != 0);

  int64_t id = s.report(RoleServer::kFirstGrid, "consultation");  // 其他: no department routed
  // In the grid's queue the community sees the case (its area) but may not act on it.
  CHECK(prop(s, id, "status", "shequ") == "reported");
  check_problem(s.as("other-shequ", "GET", path_of(id)), 404);
  check_problem(s.move(id, "{\"to\":\"registered\"}", "shequ"), 403);
  REQUIRE(s.move(id, "{\"to\":\"registered\"}", "dispatcher").status == 200);
  REQUIRE(s.move(id, "{\"action\":\"escalate\",\"note\":\"需社区协调\"}", "dispatcher").status ==
          200);
  CHECK(prop(s, id, "handler_level") == "community");
  // In the community's queue the grid's worker neither escalates it further nor handles it.
  check_problem(s.move(id, "{\"action\":\"escalate\"}", "worker"), 403);
  // The office reassigns only to a worker of its area (one elsewhere answers as a missing one).
  check_problem(s.move(id, "{\"action\":\"reassign\",\"worker_id\":999999}", "shequ"), 400);
  check_problem(s.move(id, "{\"action\":\"reassign\",\"worker_id\":41}", "shequ"), 400);
  // Residents' personal data is not an office's.
  check_problem(s.as("shequ", "GET", "/api/v1/households/1/residents"), 403);
  // Now in the community's queue: its office dispatches it; another community's cannot.
  check_problem(s.move(id, "{\"to\":\"dispatched\"}", "other-shequ"), 404);
  check_problem(s.move(id, "{\"to\":\"dispatched\"}", "jiedao"), 403);  // not at its level yet
  REQUIRE(s.move(id, "{\"to\":\"dispatched\"}", "shequ").status == 200);
  REQUIRE(s.move(id, "{\"action\":\"escalate\",\"note\":\"社区无法解决\"}", "shequ").status == 200);
  CHECK(prop(s, id, "handler_level") == "subdistrict");
  check_problem(s.move(id, "{\"to\":\"in_progress\"}", "shequ"), 403);
  CHECK(s.move(id, "{\"to\":\"suspended\",\"note\":\"等待产权方\"}", "jiedao").status == 200);
  CHECK(s.move(id, "{\"to\":\"dispatched\"}", "jiedao").status == 200);
  // Above the subdistrict: the department routed for the category, or 409 without one.
  check_problem(s.move(id, "{\"action\":\"escalate\"}", "jiedao"), 409, "conflict");
  REQUIRE(s.as("admin", "PUT", "/api/v1/departments/housing",
               "{\"name\":\"住建局\",\"routes\":[{\"category\":\"general\",\"subdistrict_"
               "code\":\"" +
                   subdistrict + "\"}]}")
              .status == 201);
  REQUIRE(s.move(id, "{\"action\":\"escalate\"}", "jiedao").status == 200);  // via the 大类's route
  CHECK(prop(s, id, "handler_level") == "department");
  CHECK(prop(s, id, "department") == "housing");
}

TEST_CASE(
    "duplicates are kept on the case, a dispatcher merges one into its master and an admin "
    "unmerges it",
    "[engines]") {
  RoleServer s;
  int64_t master = s.report(RoleServer::kFirstGrid);
  int64_t dup = s.report(RoleServer::kFirstGrid);
  // Kept on both: found when the second was reported.
  auto kept = json(s.as("dispatcher", "GET", path_of(master) + "/duplicates"));
  REQUIRE(kept.Size() >= 1);
  bool found = false;
  for (const auto& d : kept.GetArray()) found |= d["id"].GetInt64() == dup;
  CHECK(found);
  CHECK(json(s.as("dispatcher", "GET", path_of(dup) + "/duplicates"))[0]["distance_m"].GetDouble() <
        250);

  REQUIRE(s.move(dup, "{\"to\":\"registered\"}", "dispatcher").status == 200);
  int64_t unrelated = s.report("150102001009001", "consultation");
  auto before = counted(s);
  check_problem(
      s.move(dup, "{\"action\":\"merge\",\"master_id\":" + std::to_string(master) + "}", "worker"),
      403);
  check_problem(s.move(dup, "{\"action\":\"merge\"}", "dispatcher"), 400);
  check_problem(
      s.move(dup, "{\"action\":\"merge\",\"master_id\":" + std::to_string(dup) + "}", "dispatcher"),
      400);
  check_problem(s.move(dup, "{\"action\":\"merge\",\"master_id\":99999999}", "dispatcher"), 400);
  // Not into a case that is no duplicate of it (another category, far away).
  check_problem(
      s.move(dup, "{\"action\":\"merge\",\"master_id\":" + std::to_string(unrelated) + "}",
             "dispatcher"),
      409);
  HttpResult merged = s.move(
      dup,
      "{\"action\":\"merge\",\"master_id\":" + std::to_string(master) + ",\"note\":\"同一处\"}",
      "dispatcher");
  INFO(merged.body);
  REQUIRE(merged.status == 200);
  CHECK(prop(s, dup, "status") == "closed");
  CHECK(prop(s, dup, "merged_into") == std::to_string(master));
  // KPIs count the master only: the merged duplicate is neither a case nor a closed one.
  CHECK(counted(s) == std::make_pair(before.first - 1, before.second));
  // History on both; a merged case is merged no further, and its master cannot be merged into it.
  auto on_master = json(s.get(path_of(master) + "/events"));
  CHECK(std::string(on_master[on_master.Size() - 1]["action"].GetString()) == "merge");
  check_problem(s.move(dup, "{\"action\":\"merge\",\"master_id\":" + std::to_string(master) + "}",
                       "dispatcher"),
                409);
  check_problem(s.move(master, "{\"action\":\"merge\",\"master_id\":" + std::to_string(dup) + "}",
                       "dispatcher"),
                409);
  // Unmerge: an admin's only; the case goes back where it was.
  check_problem(s.move(dup, "{\"action\":\"unmerge\"}", "dispatcher"), 403);
  // A merged case is followed up through its master.
  HttpResult fu =
      gridmap::test::http(s.server->port(), "POST", path_of(dup) + "/follow-ups",
                          "{\"reached\":true,\"satisfaction\":\"unsatisfied\",\"reopen\":true}",
                          {{"Authorization", "Bearer " + s.tokens.at("dispatcher")},
                           {"If-Match", "\"v" + prop(s, dup, "version") + "\""}});
  check_problem(fu, 409);
  REQUIRE(s.move(dup, "{\"action\":\"unmerge\",\"note\":\"不是同一件事\"}", "admin").status == 200);
  CHECK(prop(s, dup, "status") == "registered");
  CHECK(prop(s, dup, "merged_into") == "null");
  CHECK(prop(s, dup, "closed_at") == "null");
  CHECK(counted(s) == before);
  check_problem(s.move(dup, "{\"action\":\"unmerge\"}", "admin"), 409);
}
