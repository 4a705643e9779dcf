// What the grid worker's phone app stands on, over HTTP on the tatabu demo: "my tasks"
// (petitions?mine=1), list filters with alternatives, a dispatch to a named worker, writes
// that land once however often a queue sends them (Idempotency-Key), and the offline package
// of the worker's patch with its tile archive.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "data/db.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"
#include "tiles/gzip.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_math.hpp"

using gridmap::test::check_problem;
using gridmap::test::http;
using gridmap::test::HttpResult;
using gridmap::test::json;
using gridmap::test::RoleServer;

namespace {

std::set<int64_t> ids(RoleServer& s, const std::string& user, const std::string& query) {
  std::set<int64_t> out;
  std::string cursor;
  do {
    HttpResult r = s.as(user, "GET",
                        "/api/v1/petitions?limit=1000" + (query.empty() ? "" : "&" + query) +
                            (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(query << ": " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    auto d = json(r);
    for (const auto& f : d["features"].GetArray()) out.insert(f["id"].GetInt64());
    cursor = d["next"].IsNull() ? "" : d["next"].GetString();
  } while (!cursor.empty());
  return out;
}

// Another worker than worker 1 and one of their grids.
std::pair<int64_t, std::string> other_worker(RoleServer& s) {
  auto d = json(s.get("/api/v1/workers/2"));
  REQUIRE(d["properties"]["grids"].Size() > 0);
  std::string grid = d["properties"]["grids"][0].GetString();
  REQUIRE(grid != RoleServer::kFirstGrid);
  return {2, grid};
}

std::string etag_of(RoleServer& s, int64_t id) {
  HttpResult r = s.get("/api/v1/petitions/" + std::to_string(id));
  REQUIRE(r.status == 200);
  return r.headers.at("etag");
}

}  // namespace

TEST_CASE(
    "a worker's own cases (mine=1) are those dispatched to them or reported by them, and a "
    "list filter takes alternatives",
    "[engines]") {
  RoleServer s;
  auto [w2, grid2] = other_worker(s);
  // In worker 1's grid: the grid's worker handles it.
  int64_t here = s.report(RoleServer::kFirstGrid);
  // Elsewhere, handed to worker 1 by name.
  int64_t handed = s.report(grid2);
  REQUIRE(s.move(handed, "{\"to\":\"registered\"}", "dispatcher").status == 200);
  HttpResult d = s.move(handed, "{\"to\":\"dispatched\",\"worker_id\":1}", "dispatcher");
  INFO(d.body);
  REQUIRE(d.status == 200);
  // Elsewhere, reported by the worker: theirs as its reporter.
  auto [lon, lat] = s.point_in(grid2);
  HttpResult own = s.as("worker", "POST", "/api/v1/petitions",
                        "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
                            ",\"category\":\"noise\",\"description\":\"夜间施工\"}");
  REQUIRE(own.status == 201);
  int64_t reported = json(own)["id"].GetInt64();
  // In worker 1's grid but given to worker 2: in the worker's reach, not theirs.
  int64_t given_away = s.report(RoleServer::kFirstGrid);
  REQUIRE(s.move(given_away, "{\"action\":\"reassign\",\"worker_id\":" + std::to_string(w2) + "}",
                 "dispatcher")
              .status == 200);
  // Elsewhere and someone else's: out of reach.
  int64_t theirs = s.report(grid2);

  std::set<int64_t> mine = ids(s, "worker", "mine=1");
  CHECK(mine.count(here));
  CHECK(mine.count(handed));
  CHECK(mine.count(reported));
  CHECK_FALSE(mine.count(given_away));
  CHECK_FALSE(mine.count(theirs));
  CHECK(ids(s, "worker", "").count(given_away));  // in reach, all the same
  // Exactly the cases handled by worker 1, plus the one they reported elsewhere.
  std::set<int64_t> expected = ids(s, "admin", "handler_worker_id=1");
  expected.insert(reported);
  CHECK(mine == expected);
  CHECK(ids(s, "worker", "mine=0") == ids(s, "worker", ""));

  // status=a,b is either; the same for every filter.
  std::set<int64_t> either = ids(s, "admin", "status=dispatched,registered");
  std::set<int64_t> one = ids(s, "admin", "status=dispatched"),
                    other = ids(s, "admin", "status=registered");
  CHECK_FALSE(one.empty());
  std::set<int64_t> both = one;
  both.insert(other.begin(), other.end());
  CHECK(either == both);
  CHECK(ids(s, "admin", "handler_worker_id=1," + std::to_string(w2)).count(given_away));
  CHECK(ids(s, "worker", "mine=1&status=dispatched").count(handed));
  CHECK_FALSE(ids(s, "worker", "mine=1&status=reported,closed").count(handed));

  // Bad input: a clear 400.
  check_problem(s.as("worker", "GET", "/api/v1/petitions?mine=yes"), 400, "invalid_input");
  check_problem(s.as("worker", "GET", "/api/v1/households?mine=1"), 400, "invalid_input");
  std::string many = "status=";
  for (int i = 0; i < 65; ++i) many += (i ? "," : "") + std::string("closed");
  check_problem(s.as("admin", "GET", "/api/v1/petitions?" + many), 400, "invalid_input");
  check_problem(s.as("admin", "GET", "/api/v1/petitions?status=closed&status=reported"), 400,
                "invalid_input");
  // A number filter takes numbers only, on either engine.
  check_problem(s.as("admin", "GET", "/api/v1/petitions?handler_worker_id=1,%22"), 400,
                "invalid_input");
  check_problem(s.as("admin", "GET", "/api/v1/workers?on_duty=yes"), 400, "invalid_input");
}

TEST_CASE("a dispatcher dispatches a case to a worker they name, and only as the lifecycle allows",
          "[engines]") {
  RoleServer s;
  auto [w2, grid2] = other_worker(s);
  int64_t id = s.report(RoleServer::kFirstGrid);
  REQUIRE(s.move(id, "{\"to\":\"registered\"}", "dispatcher").status == 200);
  // Refused, and nothing changes: an unknown worker, a worker with another move, a worker and
  // a department at once, a worker dispatching.
  check_problem(s.move(id, "{\"to\":\"dispatched\",\"worker_id\":999999}", "dispatcher"), 400,
                "invalid_input");
  check_problem(
      s.move(id, "{\"to\":\"suspended\",\"note\":\"待核实\",\"worker_id\":2}", "dispatcher"), 400,
      "invalid_input");
  check_problem(s.move(id, "{\"to\":\"dispatched\",\"worker_id\":2,\"department\":\"env-bureau\"}",
                       "dispatcher"),
                400, "invalid_input");
  CHECK(s.move(id, "{\"to\":\"dispatched\",\"worker_id\":2}", "worker").status >= 400);
  auto before = json(s.get("/api/v1/petitions/" + std::to_string(id)));
  CHECK(std::string(before["properties"]["status"].GetString()) == "registered");
  CHECK(before["properties"]["handler_worker_id"].GetInt64() == 1);

  HttpResult r = s.move(
      id, "{\"to\":\"dispatched\",\"worker_id\":" + std::to_string(w2) + ",\"note\":\"就近派遣\"}",
      "dispatcher");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto after = json(r);
  CHECK(std::string(after["properties"]["status"].GetString()) == "dispatched");
  CHECK(after["properties"]["handler_worker_id"].GetInt64() == w2);
  CHECK(std::string(after["properties"]["handler_level"].GetString()) == "grid");
  // The history says who got it.
  auto events = json(s.get("/api/v1/petitions/" + std::to_string(id) + "/events"));
  const auto& last = events[events.Size() - 1];
  CHECK(std::string(last["to"].GetString()) == "dispatched");
  CHECK(std::string(last["note"].GetString()).find("worker " + std::to_string(w2)) == 0);
  CHECK(ids(s, "worker", "mine=1").count(id) == 0);  // worker 1 no longer has it
}

TEST_CASE("a write sent again with its Idempotency-Key lands once and answers as the first time",
          "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  std::string body = "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
                     ",\"category\":\"noise\",\"description\":\"离线上报\"}";
  auto post = [&](const std::string& user, const std::string& key, const std::string& b) {
    return http(port, "POST", "/api/v1/petitions", b,
                {{"Authorization", "Bearer " + s.tokens.at(user)}, {"Idempotency-Key", key}});
  };
  size_t before = ids(s, "admin", "").size();
  HttpResult first = post("worker", "queue-0001", body);
  INFO(first.body);
  REQUIRE(first.status == 201);
  CHECK(first.headers.count("idempotent-replayed") == 0);
  HttpResult again = post("worker", "queue-0001", body);
  CHECK(again.status == 201);
  CHECK(again.body == first.body);
  CHECK(again.headers.at("idempotent-replayed") == "true");
  CHECK(ids(s, "admin", "").size() == before + 1);

  // The same key for another request: refused, nothing stored.
  HttpResult other = post("worker", "queue-0001", body + " ");
  check_problem(other, 422, "idempotency_key_reused");
  CHECK(ids(s, "admin", "").size() == before + 1);
  // Keys are each user's own: the dispatcher's queue-0001 is another request.
  REQUIRE(post("dispatcher", "queue-0001", body).status == 201);
  CHECK(ids(s, "admin", "").size() == before + 2);
  // Malformed keys.
  check_problem(post("worker", "has space", body), 400, "invalid_input");
  check_problem(post("worker", std::string(201, 'k'), body), 400, "invalid_input");
  CHECK(ids(s, "admin", "").size() == before + 2);

  // A refusal is an answer too: the same refusal again, without running it twice.
  HttpResult bad = post("worker", "queue-0002", "{\"lon\":1}");
  check_problem(bad, 400);
  HttpResult bad_again = post("worker", "queue-0002", "{\"lon\":1}");
  CHECK(bad_again.status == 400);
  CHECK(bad_again.body == bad.body);

  // A transition replayed after the case moved on: the first answer, not a 412.
  int64_t id = json(first)["id"].GetInt64();
  std::string tag = etag_of(s, id);
  auto move = [&](const std::string& key) {
    return http(port, "POST", "/api/v1/petitions/" + std::to_string(id) + "/transitions",
                "{\"to\":\"registered\"}",
                {{"Authorization", "Bearer " + s.tokens.at("dispatcher")},
                 {"Idempotency-Key", key},
                 {"If-Match", tag}});
  };
  HttpResult m1 = move("move-1");
  REQUIRE(m1.status == 200);
  HttpResult m2 = move("move-1");
  CHECK(m2.status == 200);
  CHECK(m2.body == m1.body);
  CHECK(move("move-2").status == 412);  // a new key runs it: the version moved on
  auto events = json(s.get("/api/v1/petitions/" + std::to_string(id) + "/events"));
  int registered = 0;
  for (const auto& e : events.GetArray())
    if (e["to"].IsString() && std::string(e["to"].GetString()) == "registered") ++registered;
  CHECK(registered == 1);

  // Kept in the database: a restarted server still knows the key. A key whose write was
  // claimed but never answered (the process killed in the middle) is free again after it
  // (one server per SQLite file). On PostgreSQL, where other servers may be running the
  // claims they made, only once no request can still be running it (claimed 10 min ago).
  s.server.reset();
  {
    gridmap::data::Db db = gridmap::data::Db::open(s.db, false);
    db.exec(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) SELECT user_id, "
        "'crashed-1', fingerprint, created_at FROM idempotency_keys WHERE key = "
        "'queue-0001' AND user_id = (SELECT user_id FROM idempotency_keys WHERE key = "
        "'queue-0002')");
    db.exec(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) SELECT user_id, "
        "'crashed-2', fingerprint, unixepoch() - 601 FROM idempotency_keys WHERE key = "
        "'queue-0001' AND user_id = (SELECT user_id FROM idempotency_keys WHERE key = "
        "'queue-0002')");
    db.exec(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) SELECT user_id, "
        "'running-1', fingerprint, unixepoch() FROM idempotency_keys WHERE key = "
        "'queue-0001' AND user_id = (SELECT user_id FROM idempotency_keys WHERE key = "
        "'queue-0002')");
  }
  s.server = std::make_unique<gridmap::test::ServerProcess>(s.db, s.serve_args);
  port = s.server->port();
  HttpResult after_restart = post("worker", "queue-0001", body);
  CHECK(after_restart.status == 201);
  CHECK(after_restart.body == first.body);
  CHECK(ids(s, "admin", "").size() == before + 2);
  HttpResult after_crash = post("worker", "crashed-1", body);
  INFO(after_crash.body);
  CHECK(after_crash.status == (gridmap::test::testing_postgresql() ? 409 : 201));
  HttpResult long_ago = post("worker", "crashed-2", body);
  INFO(long_ago.body);
  CHECK(long_ago.status == 201);
  // A claim just made stays another request's on PostgreSQL (another server runs it).
  HttpResult running = post("worker", "running-1", body);
  CHECK(running.status == (gridmap::test::testing_postgresql() ? 409 : 201));
  CHECK(ids(s, "admin", "").size() == before + (gridmap::test::testing_postgresql() ? 3 : 5));
}

TEST_CASE(
    "a worker's offline package holds their patch, their open cases and every tile to draw it",
    "[engines]") {
  RoleServer s;
  // Worker 1 has an open case dispatched to them and a closed one.
  int64_t open = s.report(RoleServer::kFirstGrid);
  int64_t done = s.report(RoleServer::kFirstGrid);
  REQUIRE(s.move(done, "{\"to\":\"rejected\",\"note\":\"重复\"}", "dispatcher").status == 200);

  HttpResult r = s.as("worker", "GET", "/api/v1/workers/1/offline");
  INFO(r.body.substr(0, 500));
  REQUIRE(r.status == 200);
  auto pkg = json(r);
  CHECK(pkg["worker"]["id"].GetInt64() == 1);
  REQUIRE(pkg["worker"]["grids"].Size() == 1);
  CHECK(std::string(pkg["worker"]["grids"][0].GetString()) == RoleServer::kFirstGrid);
  REQUIRE(pkg["grids"]["features"].Size() == 1);
  CHECK(std::string(pkg["grids"]["features"][0]["id"].GetString()) == RoleServer::kFirstGrid);
  // Every household of the grid, and nothing about the people in them.
  auto hh =
      json(s.get(std::string("/api/v1/households?limit=1000&grid_code=") + RoleServer::kFirstGrid));
  CHECK(pkg["households"]["features"].Size() == hh["features"].Size());
  CHECK(pkg["households"]["features"].Size() > 10);
  CHECK(r.body.find("\"phone\"") == std::string::npos);
  CHECK(r.body.find("id_number") == std::string::npos);
  // Their open cases, the same as "my tasks".
  std::set<int64_t> cases;
  for (const auto& f : pkg["cases"]["features"].GetArray()) cases.insert(f["id"].GetInt64());
  CHECK(cases.count(open));
  CHECK_FALSE(cases.count(done));
  CHECK(cases == ids(s, "worker",
                     "mine=1&status=reported,registered,dispatched,in_progress,pending_review,"
                     "verified,suspended"));
  // Each URL to keep answers.
  REQUIRE(pkg["precache"].Size() >= 3);
  for (const auto& u : pkg["precache"].GetArray()) {
    HttpResult got = s.as("worker", "GET", u.GetString());
    INFO(u.GetString());
    CHECK(got.status == 200);
  }

  // The archive: every tile from z12 to z18 over the grid, each the worker's tiles of every
  // layer of the style laid end to end.
  HttpResult a = s.as("worker", "GET", pkg["tiles"]["url"].GetString());
  REQUIRE(a.status == 200);
  CHECK(a.headers.at("content-type") == "application/vnd.pmtiles");
  gridmap::test::TempDir dir;
  std::string path = dir.file("offline.pmtiles");
  gridmap::test::write_file(path, a.body);
  gridmap::tiles::pmtiles::Archive archive(path);
  CHECK(archive.header().min_zoom == 12);
  CHECK(archive.header().max_zoom == 18);
  const auto& b = pkg["tiles"]["bounds"];
  gridmap::Box box{b[0].GetDouble(), b[1].GetDouble(), b[2].GetDouble(), b[3].GetDouble()};
  std::vector<std::string> layers;
  for (const auto& l : pkg["tiles"]["layers"].GetArray()) layers.emplace_back(l.GetString());
  CHECK(std::find(layers.begin(), layers.end(), "households") != layers.end());
  size_t compared = 0;
  for (int z : {12, 16, 18})
    for (const auto& t : gridmap::tiles::tiles_covering(box, z)) {
      std::string expected;
      for (const auto& l : layers) {
        HttpResult tile = s.as("worker", "GET",
                               "/tiles/" + l + "/" + std::to_string(t.z) + "/" +
                                   std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt");
        REQUIRE((tile.status == 200 || tile.status == 204));
        expected += tile.body;
      }
      auto stored = archive.tile(t);
      if (expected.empty()) {
        CHECK_FALSE(stored);
        continue;
      }
      REQUIRE(stored);
      CHECK(gridmap::tiles::gunzip(*stored, expected.size()) == expected);
      ++compared;
    }
  CHECK(compared > 3);

  // Only the worker themself, or an admin; a clear refusal otherwise.
  check_problem(s.as("worker", "GET", "/api/v1/workers/2/offline"), 403, "forbidden");
  check_problem(s.as("worker", "GET", "/api/v1/workers/2/offline.pmtiles"), 403, "forbidden");
  // Another worker's and no worker's look alike.
  HttpResult other = s.as("worker", "GET", "/api/v1/workers/2/offline");
  HttpResult none = s.as("worker", "GET", "/api/v1/workers/999999/offline");
  CHECK(none.status == other.status);
  CHECK(json(none)["detail"] == json(other)["detail"]);
  check_problem(s.as("dispatcher", "GET", "/api/v1/workers/1/offline"), 403, "forbidden");
  CHECK(s.as("admin", "GET", "/api/v1/workers/1/offline").status == 200);
  check_problem(s.as("admin", "GET", "/api/v1/workers/999999/offline"), 404, "not_found");
  check_problem(s.as("admin", "GET", "/api/v1/workers/x/offline"), 404, "not_found");
}

TEST_CASE("a handler's progress notes go into the case's history without moving it", "[engines]") {
  RoleServer s;
  auto [w2, grid2] = other_worker(s);
  int64_t id = s.report(RoleServer::kFirstGrid);
  REQUIRE(s.move(id, "{\"to\":\"dispatched\"}", "dispatcher").status == 200);
  REQUIRE(s.move(id, "{\"to\":\"in_progress\"}", "worker").status == 200);
  HttpResult r = s.move(id, "{\"action\":\"progress\",\"note\":\"已联系物业清理楼道\"}", "worker");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(std::string(json(r)["properties"]["status"].GetString()) == "in_progress");
  auto events = json(s.get("/api/v1/petitions/" + std::to_string(id) + "/events"));
  const auto& last = events[events.Size() - 1];
  CHECK(std::string(last["action"].GetString()) == "progress");
  CHECK(std::string(last["note"].GetString()) == "已联系物业清理楼道");
  CHECK(std::string(last["to"].GetString()) == "in_progress");
  // Refused: no note, another worker's case, a planner, a closed case; nothing recorded.
  check_problem(s.move(id, "{\"action\":\"progress\",\"note\":\"\"}", "worker"), 400,
                "invalid_input");
  check_problem(s.move(id, "{\"action\":\"progress\",\"note\":\"x\"}", "planner"), 403);
  s.add_user("worker2", "worker", {"--worker", std::to_string(w2), "--grid", grid2});
  int64_t mine_closed = s.report(RoleServer::kFirstGrid);
  REQUIRE(s.move(mine_closed, "{\"to\":\"rejected\",\"note\":\"重复\"}", "dispatcher").status ==
          200);
  check_problem(s.move(mine_closed, "{\"action\":\"progress\",\"note\":\"x\"}", "dispatcher"), 409,
                "conflict");
  // Another grid's worker: not theirs (out of reach, or refused).
  HttpResult other = s.move(id, "{\"action\":\"progress\",\"note\":\"x\"}", "worker2");
  CHECK((other.status == 403 || other.status == 404));
  auto after = json(s.get("/api/v1/petitions/" + std::to_string(id) + "/events"));
  CHECK(after.Size() == events.Size());
  // A note holds whatever happened meanwhile: If-Match: * will do (not for other moves).
  auto star = [&](const std::string& body) {
    return http(s.server->port(), "POST",
                "/api/v1/petitions/" + std::to_string(id) + "/transitions", body,
                {{"Authorization", "Bearer " + s.tokens.at("worker")}, {"If-Match", "*"}});
  };
  CHECK(star("{\"action\":\"progress\",\"note\":\"第二次进展\"}").status == 200);
  check_problem(star("{\"to\":\"pending_review\"}"), 428, "precondition_required");
  CHECK(json(s.get("/api/v1/petitions/" + std::to_string(id) + "/events")).Size() ==
        events.Size() + 1);
}
