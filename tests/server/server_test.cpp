// The real server on a loopback port, over HTTP, on the tatabu demo.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <atomic>
#include <filesystem>
#include <thread>

#include "data/db.hpp"
#include "data/households.hpp"
#include "data/workers.hpp"
#include "support/test_support.hpp"
#include "tiles/gzip.hpp"

using namespace gridmap;
using test::check_problem;
using test::http;
using test::HttpResult;
using test::json;

namespace {

struct Fixture {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  std::unique_ptr<test::ServerProcess> server;
  explicit Fixture(std::vector<std::string> extra = {}) {
    test::set_default_headers(
        {{"Authorization", "Bearer " + test::make_user(db, "admin", "admin")}});
    server = std::make_unique<test::ServerProcess>(db, city.serve_with(extra));
  }
  uint16_t port() const { return server->port(); }
  data::Household household(int64_t id) {
    data::Db d = data::Db::open(db, false);
    return *data::HouseholdRepo(d).get(id);
  }
};

std::string at(const data::Household& h) {
  return "lon=" + std::to_string(h.position.lon) + "&lat=" + std::to_string(h.position.lat);
}

int64_t create_petition(uint16_t port, double lon, double lat, std::string* etag = nullptr) {
  auto r =
      http(port, "POST", "/api/v1/petitions",
           "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
               ",\"kind\":\"appeal\",\"category\":\"noise\",\"description\":\"夜间施工噪声\"}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  if (etag) *etag = r.headers.at("etag");
  return json(r)["id"].GetInt64();
}

}  // namespace

TEST_CASE("locate answers grid, community, subdistrict and workers of a point", "[engines]") {
  Fixture f;
  data::Household h = f.household(500);
  auto r = http(f.port(), "GET", "/api/v1/locate?" + at(h));
  REQUIRE(r.status == 200);
  auto d = json(r);
  CHECK(std::string(d["grid"]["code"].GetString()) == *h.grid_code);
  CHECK(std::string(d["community"]["code"].GetString()) == *h.community_code);
  CHECK(std::string(d["subdistrict"]["name"].GetString()) == "塔塔埠街道");
  CHECK(d["workers"].Size() == 1);
  CHECK(d["on_edge"].GetBool() == false);
  CHECK(d["distance_to_edge_m"].GetDouble() > 0);
  // Outside the city: no grid, but the nearest one.
  auto out = json(http(f.port(), "GET",
                       "/api/v1/locate?lon=" + std::to_string(h.position.lon) +
                           "&lat=" + std::to_string(h.position.lat + 0.2)));
  CHECK(out["grid"].IsNull());
}

TEST_CASE("locate takes GCJ-02 and BD-09 coordinates", "[engines]") {
  Fixture f;
  data::Household h = f.household(42);
  std::string conv =
      test::run_gridmap({"convert", "--from", "wgs84", "--to", "bd09",
                         std::to_string(h.position.lon), std::to_string(h.position.lat)})
          .out;
  std::string lon = conv.substr(0, conv.find(',')), lat = conv.substr(conv.find(',') + 1);
  lat.pop_back();
  auto d = json(http(f.port(), "GET", "/api/v1/locate?lon=" + lon + "&lat=" + lat + "&crs=bd09"));
  CHECK(std::string(d["grid"]["code"].GetString()) == *h.grid_code);
}

TEST_CASE("locate refuses non-numeric, out-of-range and missing coordinates and bad CRSs",
          "[engines]") {
  Fixture f;
  check_problem(http(f.port(), "GET", "/api/v1/locate?lon=abc&lat=40"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/locate?lon=200&lat=40"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/locate?lon=111.7"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/locate?lon=111.7&lat=40&crs=mars"), 400,
                "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/locate?lon=nan&lat=40"), 400, "invalid_input");
}

TEST_CASE("batch locate answers in input order and refuses malformed or oversized batches",
          "[engines]") {
  Fixture f;
  data::Household a = f.household(10), b = f.household(9000);
  std::string body = "[[" + std::to_string(a.position.lon) + "," + std::to_string(a.position.lat) +
                     "],[0,0],[" + std::to_string(b.position.lon) + "," +
                     std::to_string(b.position.lat) + "]]";
  auto r = http(f.port(), "POST", "/api/v1/locate", body);
  REQUIRE(r.status == 200);
  CHECK(r.body == "[\"" + *a.grid_code + "\",null,\"" + *b.grid_code + "\"]");
  check_problem(http(f.port(), "POST", "/api/v1/locate", "[[1,2],"), 400, "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/locate", "[[1,\"x\"]]"), 400, "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/locate", "{\"lon\":1}"), 400, "invalid_input");
  std::string big = "[";
  for (int i = 0; i < 100001; ++i) big += (i ? ",[111.7,40.8]" : "[111.7,40.8]");
  big += "]";
  check_problem(http(f.port(), "POST", "/api/v1/locate", big), 413, "too_large");
}

TEST_CASE("a body over the limit is refused before it is read, a huge header with 431",
          "[engines]") {
  Fixture f({"--max-body-mb", "1"});
  // Announce 50 MB and send nothing: the answer must come at once.
  std::string raw = test::raw_exchange(
      f.port(), "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n",
      3000);
  CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(raw.find("application/problem+json") != std::string::npos);
  std::string header =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  std::string r431 = test::raw_exchange(f.port(), header, 3000);
  CHECK(r431.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(http(f.port(), "GET", "/healthz").status == 200);  // still serving
}

TEST_CASE("a slow-drip connection is closed after the request timeout", "[engines]") {
  Fixture f({"--request-timeout-ms", "500"});
  auto start = std::chrono::steady_clock::now();
  std::string raw = test::raw_exchange(f.port(), "GET /healthz HTTP/1.1\r\nHost:", 5000);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(raw.empty());
  CHECK(s < 3);
}

TEST_CASE("unknown routes get 404 and wrong methods 405 with Allow", "[engines]") {
  Fixture f;
  check_problem(http(f.port(), "GET", "/api/v1/nothing"), 404, "not_found");
  auto r = http(f.port(), "DELETE", "/api/v1/locate");
  check_problem(r, 405, "method_not_allowed");
  CHECK(r.headers["allow"].find("GET") != std::string::npos);
}

TEST_CASE("nearest workers follow position updates", "[engines]") {
  Fixture f;
  data::Household h = f.household(700);
  auto put = http(f.port(), "PUT", "/api/v1/workers/5/position",
                  "{\"lon\":" + std::to_string(h.position.lon) +
                      ",\"lat\":" + std::to_string(h.position.lat) + "}");
  CHECK(put.status == 202);  // accepted: on disk within the writer's half second
  auto d = json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(h) + "&k=3&on_duty=0"));
  REQUIRE(d.Size() == 3);
  CHECK(d[0]["id"].GetInt64() == 5);
  CHECK(d[0]["distance_m"].GetDouble() < 1);
  CHECK(d[1]["distance_m"].GetDouble() >= d[0]["distance_m"].GetDouble());
  check_problem(
      http(f.port(), "PUT", "/api/v1/workers/99999/position", "{\"lon\":111.7,\"lat\":40.8}"), 404,
      "not_found");
  check_problem(
      http(f.port(), "PUT", "/api/v1/workers/5/position", "{\"lon\":\"east\",\"lat\":40.8}"), 400,
      "invalid_input");
  check_problem(http(f.port(), "PUT", "/api/v1/workers/5/position", "{\"lon\":111.7,\"lat\":95}"),
                400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/workers/nearest?lon=111.7&lat=40.8&k=0"), 400,
                "invalid_input");
}

TEST_CASE(
    "a batch of pings moves each worker to its last ping, checks all before any, survives a "
    "restart",
    "[engines]") {
  Fixture f;
  data::Household a = f.household(700), b = f.household(900), c = f.household(1200);
  auto ping = [](int64_t id, const data::Household& h) {
    return "{\"id\":" + std::to_string(id) + ",\"lon\":" + std::to_string(h.position.lon) +
           ",\"lat\":" + std::to_string(h.position.lat) + "}";
  };
  auto nearest_id = [&](const data::Household& h) {
    auto d = json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(h) + "&k=1&on_duty=0"));
    REQUIRE(d.Size() == 1);
    return std::pair(d[0]["id"].GetInt64(), d[0]["distance_m"].GetDouble());
  };
  std::string body = "[" + ping(5, a) + "," + ping(6, b) + "," + ping(99999, a) + "," + ping(6, c) +
                     "," + ping(99998, b) + "," + ping(99999, c) + "]";
  auto r = http(f.port(), "POST", "/api/v1/workers/positions", body);
  REQUIRE(r.status == 202);
  auto d = json(r);
  CHECK(d["applied"].GetUint64() == 3);
  REQUIRE(d["unknown"].Size() == 2);  // each unknown id once, ascending
  CHECK(d["unknown"][0].GetInt64() == 99998);
  CHECK(d["unknown"][1].GetInt64() == 99999);
  CHECK(nearest_id(a) == std::pair<int64_t, double>(5, nearest_id(a).second));
  CHECK(nearest_id(a).second < 1);
  CHECK(nearest_id(c).first == 6);  // the later of worker 6's pings
  CHECK(nearest_id(c).second < 1);
  // One bad ping refuses the whole batch, naming it; nobody moves.
  std::string bad = "[" + ping(5, c) + ",{\"id\":6,\"lon\":111.7,\"lat\":95}]";
  auto refused = http(f.port(), "POST", "/api/v1/workers/positions", bad);
  check_problem(refused, 400, "invalid_input");
  CHECK(refused.body.find("ping 1") != std::string::npos);
  CHECK(nearest_id(a).first == 5);
  CHECK(nearest_id(a).second < 1);
  check_problem(
      http(f.port(), "POST", "/api/v1/workers/positions", "[{\"lon\":111.7,\"lat\":40.8}]"), 400,
      "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/workers/positions", "{\"id\":5}"), 400,
                "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/workers/positions", "[" + ping(5, a) + ","), 400,
                "invalid_input");
  std::string future =
      "[{\"id\":5,\"lon\":111.7,\"lat\":40.8,\"ts\":" + std::to_string(time(nullptr) + 3600) + "}]";
  check_problem(http(f.port(), "POST", "/api/v1/workers/positions", future), 400, "invalid_input");
  CHECK(f.server->stop() == 0);
  data::Db db = data::Db::open(f.db, false);
  data::Statement st(db, "SELECT X(geom), Y(geom) FROM workers WHERE id = 6");
  REQUIRE(st.step());
  CHECK(st.real(0) == Approx(c.position.lon).margin(1e-6));
  CHECK(st.real(1) == Approx(c.position.lat).margin(1e-6));
}

TEST_CASE("a batch of nearest-worker queries answers each point as the single query does",
          "[engines]") {
  Fixture f;
  std::vector<data::Household> hs = {f.household(10), f.household(700), f.household(9000),
                                     f.household(700)};
  std::string body = "[";
  for (size_t i = 0; i < hs.size(); ++i)
    body += (i ? ",[" : "[") + std::to_string(hs[i].position.lon) + "," +
            std::to_string(hs[i].position.lat) + "]";
  body += "]";
  for (const std::string& query :
       std::vector<std::string>{"k=3", "k=7&on_duty=0", "k=2&grid=" + *hs[1].grid_code}) {
    INFO(query);
    auto batch = http(f.port(), "POST", "/api/v1/workers/nearest?" + query, body);
    REQUIRE(batch.status == 200);
    auto d = json(batch);
    REQUIRE(d.Size() == hs.size());
    for (size_t i = 0; i < hs.size(); ++i) {
      auto one = http(f.port(), "GET", "/api/v1/workers/nearest?" + at(hs[i]) + "&" + query);
      REQUIRE(one.status == 200);
      auto single = json(one);
      CHECK(d[static_cast<rapidjson::SizeType>(i)] == single);
    }
  }
  check_problem(http(f.port(), "POST", "/api/v1/workers/nearest?k=0", body), 400, "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/workers/nearest", "[[111.7,\"x\"]]"), 400,
                "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/workers/nearest", "[[111.7,95]]"), 400,
                "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/workers/nearest?community=nowhere", body), 404,
                "not_found");
  std::string big = "[";
  for (int i = 0; i < 100001; ++i) big += (i ? ",[111.7,40.8]" : "[111.7,40.8]");
  big += "]";
  check_problem(http(f.port(), "POST", "/api/v1/workers/nearest", big), 413, "too_large");
  CHECK(json(http(f.port(), "POST", "/api/v1/workers/nearest", "[]")).Size() == 0);
}

TEST_CASE("a worker edited by an admin is answered with the new name, grids and duty at once",
          "[engines]") {
  Fixture f;
  data::Household h = f.household(700), elsewhere = f.household(9000);
  REQUIRE(http(f.port(), "PUT", "/api/v1/workers/5/position",
               "{\"lon\":" + std::to_string(h.position.lon) +
                   ",\"lat\":" + std::to_string(h.position.lat) + "}")
              .status == 202);
  std::string body =
      "{\"name\":\"王新\",\"on_duty\":false,\"grids\":[\"" + *elsewhere.grid_code + "\"]}";
  REQUIRE(http(f.port(), "PATCH", "/api/v1/workers/5", body).status == 200);
  auto d = json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(h) + "&k=1&on_duty=0"));
  REQUIRE(d.Size() == 1);
  CHECK(d[0]["id"].GetInt64() == 5);
  CHECK(std::string(d[0]["name"].GetString()) == "王新");
  CHECK(std::string(d[0]["grid_code"].GetString()) == *elsewhere.grid_code);
  CHECK(d[0]["on_duty"].GetBool() == false);
  CHECK(d[0]["distance_m"].GetDouble() < 1);  // the ping's position, not the stored one
  auto on_duty = json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(h) + "&k=1"));
  CHECK((on_duty.Size() == 0 || on_duty[0]["id"].GetInt64() != 5));
  auto by_grid = json(
      http(f.port(), "GET",
           "/api/v1/workers/nearest?" + at(h) + "&k=10&on_duty=0&grid=" + *elsewhere.grid_code));
  bool found = false;
  for (auto& w : by_grid.GetArray()) found = found || w["id"].GetInt64() == 5;
  CHECK(found);
}

TEST_CASE("a worker stored without a position joins the nearest answers with their first ping",
          "[engines]") {
  Fixture f;
  data::Household h = f.household(700);
  // Added to the store while the server runs (an import, another instance): no position yet.
  int64_t id = 0;
  {
    data::Db db = data::Db::open(f.db, false);
    data::Worker w;
    w.name = "新来的";
    w.on_duty = true;
    w.grids = {*h.grid_code};
    id = data::WorkerRepo(db).upsert(w);
  }
  std::string target = "/api/v1/workers/" + std::to_string(id) + "/position";
  std::string at_h = "{\"lon\":" + std::to_string(h.position.lon) +
                     ",\"lat\":" + std::to_string(h.position.lat) + "}";
  REQUIRE(http(f.port(), "PUT", target, at_h).status == 202);
  auto d =
      json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(h) + "&k=1&grid=" + *h.grid_code));
  REQUIRE(d.Size() == 1);  // on duty, in the grid: as stored
  CHECK(d[0]["id"].GetInt64() == id);
  CHECK(std::string(d[0]["name"].GetString()) == "新来的");
  CHECK(std::string(d[0]["grid_code"].GetString()) == *h.grid_code);
  CHECK(d[0]["distance_m"].GetDouble() < 1);
  // Another, first seen in a batch of pings: placed at its later ping.
  data::Household g = f.household(900), far = f.household(9000);
  int64_t other = 0;
  {
    data::Db db = data::Db::open(f.db, false);
    data::Worker w;
    w.name = "第二位";
    w.on_duty = true;
    w.grids = {*g.grid_code};
    other = data::WorkerRepo(db).upsert(w);
  }
  auto ping = [&](const data::Household& at_household) {
    return "{\"id\":" + std::to_string(other) +
           ",\"lon\":" + std::to_string(at_household.position.lon) +
           ",\"lat\":" + std::to_string(at_household.position.lat) + "}";
  };
  auto r = json(
      http(f.port(), "POST", "/api/v1/workers/positions", "[" + ping(far) + "," + ping(g) + "]"));
  CHECK(r["applied"].GetUint64() == 2);
  CHECK(r["unknown"].Size() == 0);
  auto e =
      json(http(f.port(), "GET", "/api/v1/workers/nearest?" + at(g) + "&k=1&grid=" + *g.grid_code));
  REQUIRE(e.Size() == 1);
  CHECK(e[0]["id"].GetInt64() == other);
  CHECK(std::string(e[0]["name"].GetString()) == "第二位");
  CHECK(e[0]["distance_m"].GetDouble() < 1);
}

TEST_CASE("worker positions survive a restart", "[engines]") {
  Fixture f;
  REQUIRE(
      http(f.port(), "PUT", "/api/v1/workers/3/position", "{\"lon\":111.6,\"lat\":40.7}").status ==
      202);
  CHECK(f.server->stop() == 0);
  data::Db d = data::Db::open(f.db, false);
  data::Statement st(d, "SELECT X(geom), Y(geom) FROM workers WHERE id = 3");
  REQUIRE(st.step());
  CHECK(st.real(0) == Approx(111.6));
  CHECK(st.real(1) == Approx(40.7));
}

TEST_CASE(
    "a petition reported at a point gets its grid, worker and deadline, and duplicates are "
    "listed",
    "[engines]") {
  Fixture f;
  data::Household h = f.household(1200);
  std::string etag;
  int64_t id = create_petition(f.port(), h.position.lon, h.position.lat, &etag);
  CHECK(etag == "\"v1\"");
  auto d = json(http(f.port(), "GET", "/api/v1/petitions/" + std::to_string(id)));
  CHECK(std::string(d["properties"]["grid_code"].GetString()) == *h.grid_code);
  CHECK(std::string(d["properties"]["status"].GetString()) == "reported");
  CHECK(d["properties"]["handler_worker_id"].IsInt64());
  CHECK(!d["properties"]["deadline_at"].IsNull());
  auto again = http(f.port(), "POST", "/api/v1/petitions",
                    "{\"lon\":" + std::to_string(h.position.lon + 0.0005) +
                        ",\"lat\":" + std::to_string(h.position.lat) + ",\"category\":\"noise\"}");
  REQUIRE(again.status == 201);
  auto again_json = json(again);  // the array below points into it
  auto dup = again_json["possible_duplicates"].GetArray();
  CHECK(std::any_of(dup.begin(), dup.end(), [&](auto& v) { return v.GetInt64() == id; }));
  check_problem(http(f.port(), "POST", "/api/v1/petitions",
                     "{\"lon\":111.7,\"lat\":40.8,\"category\":\"ufo\"}"),
                400, "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/petitions",
                     "{\"lon\":111.7,\"lat\":40.8,\"category\":\"noise\",\"kind\":\"rumour\"}"),
                400, "invalid_input");
  check_problem(http(f.port(), "POST", "/api/v1/petitions", "not json"), 400, "invalid_input");
}

TEST_CASE("transitions follow the lifecycle, illegal moves get 409 and stale versions 412",
          "[engines]") {
  Fixture f;
  int64_t id = create_petition(f.port(), 111.7, 40.8);
  std::string base = "/api/v1/petitions/" + std::to_string(id) + "/transitions";
  auto ok = http(f.port(), "POST", base, "{\"to\":\"dispatched\",\"note\":\"派遣\"}",
                 {{"If-Match", "\"v1\""}});
  REQUIRE(ok.status == 200);
  CHECK(ok.headers["etag"] == "\"v2\"");
  check_problem(test::move_petition(f.port(), id, "{\"to\":\"closed\"}"), 409, "conflict");
  check_problem(http(f.port(), "POST", base, "{\"to\":\"in_progress\"}", {{"If-Match", "\"v1\""}}),
                412, "precondition_failed");
  // Without If-Match: 428, the case unchanged.
  check_problem(http(f.port(), "POST", base, "{\"to\":\"in_progress\"}"), 428,
                "precondition_required");
  check_problem(test::move_petition(f.port(), id, "{\"to\":\"flying\"}"), 400, "invalid_input");
  check_problem(test::move_petition(f.port(), 999999, "{\"to\":\"closed\"}"), 404, "not_found");
  CHECK(
      test::move_petition(f.port(), id, "{\"action\":\"escalate\",\"note\":\"社区协调\"}").status ==
      200);
  // Submitted by this admin, the case is reviewed by another (separation of duties).
  std::map<std::string, std::string> other = {
      {"Authorization", "Bearer " + test::make_user(f.db, "admin2", "admin")}};
  for (const char* to : {"in_progress", "pending_review"})
    REQUIRE(test::move_petition(f.port(), id, std::string("{\"to\":\"") + to + "\"}").status ==
            200);
  check_problem(test::move_petition(f.port(), id, "{\"to\":\"verified\"}"), 403, "forbidden");
  REQUIRE(test::move_petition(f.port(), id, "{\"to\":\"in_progress\"}", other).status ==
          200);  // rework
  REQUIRE(test::move_petition(f.port(), id, "{\"to\":\"pending_review\"}").status == 200);
  REQUIRE(test::move_petition(f.port(), id, "{\"to\":\"verified\"}", other).status == 200);
  REQUIRE(test::move_petition(f.port(), id, "{\"to\":\"closed\"}", other).status == 200);
  auto p = json(http(f.port(), "GET", "/api/v1/petitions/" + std::to_string(id)));
  CHECK(std::string(p["properties"]["status"].GetString()) == "closed");
  CHECK(std::string(p["properties"]["handler_level"].GetString()) == "community");
  CHECK(p["properties"]["reopened"].GetInt() == 1);
  auto ev = json(http(f.port(), "GET", "/api/v1/petitions/" + std::to_string(id) + "/events"));
  CHECK(ev.Size() == 9);  // report, dispatch, escalate, 6 transitions
}

TEST_CASE("resolving on site goes straight from reported to closed with a note", "[engines]") {
  Fixture f;
  int64_t id = create_petition(f.port(), 111.7, 40.8);
  check_problem(test::move_petition(f.port(), id, "{\"to\":\"closed\"}"), 400, "invalid_input");
  CHECK(test::move_petition(f.port(), id, "{\"to\":\"closed\",\"note\":\"当场处理\"}").status ==
        200);
}

TEST_CASE("many dispatchers moving the same petition at once: exactly one wins", "[engines]") {
  Fixture f;
  int64_t id = create_petition(f.port(), 111.7, 40.8);
  std::atomic<int> won{0}, lost{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      auto r = http(f.port(), "POST", "/api/v1/petitions/" + std::to_string(id) + "/transitions",
                    "{\"to\":\"dispatched\"}", {{"If-Match", "\"v1\""}});
      if (r.status == 200)
        ++won;
      else if (r.status == 409 || r.status == 412)
        ++lost;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(lost == 15);
  CHECK(other == 0);
  auto ev = json(http(f.port(), "GET", "/api/v1/petitions/" + std::to_string(id) + "/events"));
  CHECK(ev.Size() == 2);
}

TEST_CASE("layers page with limit and cursor, filter by attributes and bbox, and serve ETags",
          "[engines]") {
  Fixture f;
  auto p1 = json(http(f.port(), "GET", "/api/v1/grids?limit=30"));
  REQUIRE(p1["features"].Size() == 30);
  std::string next = p1["next"].GetString();
  auto p2 = json(http(f.port(), "GET", "/api/v1/grids?limit=30&cursor=" + next));
  CHECK(p2["features"].Size() == 11);
  CHECK(p2["next"].IsNull());
  auto in_comm = json(http(f.port(), "GET", "/api/v1/grids?community_code=150102001001&limit=100"));
  CHECK(in_comm["features"].Size() >= 1);
  for (auto& g : in_comm["features"].GetArray())
    CHECK(std::string(g["properties"]["community_code"].GetString()) == "150102001001");
  data::Household h = f.household(77);
  std::string box =
      std::to_string(h.position.lon - 0.0005) + "," + std::to_string(h.position.lat - 0.0005) +
      "," + std::to_string(h.position.lon + 0.0005) + "," + std::to_string(h.position.lat + 0.0005);
  auto near = json(http(f.port(), "GET", "/api/v1/households?bbox=" + box + "&limit=1000"));
  CHECK(near["features"].Size() >= 1);
  CHECK(near["features"].Size() < 1000);
  check_problem(http(f.port(), "GET", "/api/v1/grids?colour=red"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/grids?bbox=1,2,3"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/grids?limit=100000"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/grids/nope"), 404, "not_found");
  auto item = http(f.port(), "GET", "/api/v1/petitions/1");
  REQUIRE(item.status == 200);
  CHECK(http(f.port(), "GET", "/api/v1/petitions/1", "", {{"If-None-Match", item.headers["etag"]}})
            .status == 304);
  CHECK(item.body.find("reporter_contact") == std::string::npos);  // personal data stays out
}

TEST_CASE("editing a grid's boundary updates point-in-grid and the coverage report", "[engines]") {
  Fixture f;
  auto clean = json(http(f.port(), "GET", "/api/v1/coverage"));
  CHECK(clean["clean"].GetBool());
  data::Household h = f.household(300);
  // Shrink the household's grid to a tiny square elsewhere: its point now falls in no grid.
  std::string square =
      "{\"type\":\"Polygon\",\"coordinates\":[[[111.0,40.0],[111.001,40.0],[111.001,40.001],[111.0,"
      "40.001],[111.0,40.0]]]}";
  auto item = http(f.port(), "GET", "/api/v1/grids/" + *h.grid_code);
  auto patch = http(f.port(), "PATCH", "/api/v1/grids/" + *h.grid_code,
                    "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" + square + "}",
                    {{"If-Match", item.headers["etag"]}});
  INFO(patch.body);
  REQUIRE(patch.status == 200);
  auto d = json(http(f.port(), "GET", "/api/v1/locate?" + at(h)));
  CHECK(d["grid"].IsNull());
  auto report = json(http(f.port(), "GET", "/api/v1/coverage"));
  CHECK(!report["clean"].GetBool());
  check_problem(http(f.port(), "PATCH", "/api/v1/grids/" + *h.grid_code,
                     "{\"type\":\"Feature\",\"properties\":{\"name\":\"x\"}}",
                     {{"If-Match", item.headers["etag"]}}),
                412, "precondition_failed");
}

TEST_CASE("stats on tatabu: 1,623 petitions, completion rate 0.9969", "[engines]") {
  Fixture f;
  auto d = json(http(f.port(), "GET", "/api/v1/stats?level=subdistrict"));
  REQUIRE(d.Size() == 1);
  CHECK(d[0]["total"].GetInt() == 1623);
  CHECK(d[0]["by_status"]["closed"].GetInt() == 1618);
  CHECK(d[0]["completion_rate"].GetDouble() == Approx(0.9969));
  auto grids = json(http(f.port(), "GET", "/api/v1/stats?level=grid"));
  CHECK(grids.Size() == 41);
  auto workers = json(http(f.port(), "GET", "/api/v1/stats?level=worker&from=2026-01-01"));
  CHECK(workers.Size() > 0);
  check_problem(http(f.port(), "GET", "/api/v1/stats?level=galaxy"), 400, "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/stats?from=yesterday"), 400, "invalid_input");
}

TEST_CASE("health and metrics answer, and metrics count requests by route", "[engines]") {
  Fixture f;
  CHECK(http(f.port(), "GET", "/healthz").status == 200);
  http(f.port(), "GET", "/api/v1/locate?lon=111.7&lat=40.8");
  auto m = http(f.port(), "GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("gridmap_requests_total{route=\"locate\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("gridmap_grid_index_grids 41") != std::string::npos);
  CHECK(m.body.find("gridmap_request_seconds_bucket") != std::string::npos);
}

TEST_CASE("the server runs without GDAL, which only import and export load", "[engines]") {
  Fixture f;
  REQUIRE(http(f.port(), "GET", "/healthz").status == 200);
  std::string maps = test::read_file("/proc/" + std::to_string(f.server->pid()) + "/maps");
  REQUIRE(maps.find("libsqlite3") != std::string::npos);  // the file lists libraries
  CHECK(maps.find("libgdal") == std::string::npos);
  CHECK(maps.find("libgridmap_gdal") == std::string::npos);
}

TEST_CASE("SIGTERM under load: in-flight requests finish, the server exits 0", "[engines]") {
  Fixture f;
  std::atomic<bool> go{true};
  std::atomic<int> ok{0}, refused{0}, broken{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&] {
      while (go) {
        auto r = http(f.port(), "GET", "/api/v1/stats?level=grid");
        if (r.status == 200)
          ++ok;
        else if (r.status == 0 && r.body.empty())
          ++refused;  // not accepted any more
        else
          ++broken;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  int code = f.server->stop();
  go = false;
  for (auto& c : clients) c.join();
  CHECK(code == 0);
  CHECK(ok > 0);
  CHECK(broken == 0);
}

TEST_CASE("the access log holds method, path and status but never the query string") {
  test::TempDir dir;
  std::string db = dir.file("t.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  test::set_default_headers({{"Authorization", "Bearer " + test::make_user(db, "admin", "admin")}});
  test::ServerProcess s(db);
  http(s.port(), "GET", "/api/v1/locate?lon=111.7&lat=40.8&token=secret13800138000");
  s.stop();
  std::string log = s.log();
  // (locate takes no 'token': the request is refused, and still logged without its query)
  CHECK(log.find("GET \"/api/v1/locate\" 400") != std::string::npos);
  CHECK(log.find("secret") == std::string::npos);
  CHECK(log.find("13800138000") == std::string::npos);
}

TEST_CASE(
    "hotspots answer per grid with Gi*, p-value, class and trend, and bad windows are refused",
    "[engines]") {
  Fixture f;
  auto r =
      http(f.port(), "GET", "/api/v1/hotspots?from=2025-11-01&to=2026-11-01&value=per_household");
  REQUIRE(r.status == 200);
  auto d = json(r);
  REQUIRE(d["features"].Size() == 41);
  int hot = 0;
  for (auto& g : d["features"].GetArray()) {
    CHECK(g["properties"].HasMember("gi_z"));
    CHECK(g["properties"].HasMember("p_value"));
    CHECK(g["properties"].HasMember("trend"));
    hot += std::string(g["properties"]["class"].GetString()).rfind("hot", 0) == 0;
  }
  CHECK(hot >= 1);
  check_problem(http(f.port(), "GET", "/api/v1/hotspots?from=2026-11-01&to=2025-11-01"), 400,
                "invalid_input");
  check_problem(http(f.port(), "GET", "/api/v1/hotspots?value=loud"), 400, "invalid_input");
}

TEST_CASE("the web map's files come from memory, gzip-compressed and revalidated with ETags",
          "[engines]") {
  test::TempDir web;
  std::filesystem::create_directories(web.file("js"));
  std::string script;
  for (int i = 0; i < 400; ++i) script += "console.log('网格 " + std::to_string(i) + "');\n";
  test::write_file(web.file("index.html"), "<!doctype html><title>gridmap</title>");
  test::write_file(web.file("js/app.js"), script);
  test::write_file(web.file("secret.txt"), "not served");
  Fixture f({"--web", web.path().string()});

  auto plain = http(f.port(), "GET", "/web/js/app.js");
  REQUIRE(plain.status == 200);
  CHECK(plain.body == script);
  CHECK(plain.headers.count("content-encoding") == 0);
  CHECK(plain.headers["content-type"] == "text/javascript; charset=utf-8");
  std::string etag = plain.headers["etag"];
  REQUIRE(etag.size() > 2);

  auto zipped = http(f.port(), "GET", "/web/js/app.js", "", {{"Accept-Encoding", "gzip, deflate"}});
  REQUIRE(zipped.status == 200);
  CHECK(zipped.headers["content-encoding"] == "gzip");
  CHECK(zipped.body.size() < script.size() / 4);
  CHECK(tiles::gunzip(zipped.body, script.size()) == script);
  CHECK(zipped.headers["etag"] == etag);

  auto again = http(f.port(), "GET", "/web/js/app.js", "", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());

  // A changed file is read again: new bytes, new ETag, and the old ETag no longer matches.
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1100));  // mtime has 1-s steps on some file systems
  test::write_file(web.file("js/app.js"), script + "console.log('changed');\n");
  auto changed = http(f.port(), "GET", "/web/js/app.js", "", {{"If-None-Match", etag}});
  CHECK(changed.status == 200);
  CHECK(changed.body.find("changed") != std::string::npos);
  CHECK(changed.headers["etag"] != etag);

  CHECK(http(f.port(), "GET", "/").body.find("gridmap") != std::string::npos);
  check_problem(http(f.port(), "GET", "/web/../secret.txt"), 404, "not_found");
  check_problem(http(f.port(), "GET", "/web/secret.txt"), 404, "not_found");  // not a web file type
  check_problem(http(f.port(), "GET", "/web/js/none.js"), 404, "not_found");
}

TEST_CASE("the service worker may control the whole app and is checked for updates on each load",
          "[engines]") {
  test::TempDir web;
  test::write_file(web.file("index.html"), "<!doctype html><title>gridmap</title>");
  test::write_file(web.file("sw.js"), "self.addEventListener('fetch', () => {});\n");
  test::write_file(web.file("app.js"), "export {};\n");
  test::write_file(web.file("manifest.webmanifest"), "{\"name\":\"gridmap\"}");
  Fixture f({"--web", web.path().string()});
  auto sw = http(f.port(), "GET", "/web/sw.js");
  REQUIRE(sw.status == 200);
  CHECK(sw.headers["service-worker-allowed"] == "/");
  CHECK(sw.headers["cache-control"] == "no-cache");
  CHECK(sw.headers["content-security-policy"].find("worker-src 'self'") != std::string::npos);
  auto other = http(f.port(), "GET", "/web/app.js");
  CHECK(other.headers.count("service-worker-allowed") == 0);
  CHECK(other.headers["cache-control"] != "no-cache");
  auto manifest = http(f.port(), "GET", "/web/manifest.webmanifest");
  REQUIRE(manifest.status == 200);
  CHECK(manifest.headers["content-type"] == "application/manifest+json");
}
