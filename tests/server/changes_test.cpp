// Change notices: every write publishes exactly one notice once it has committed, and the
// point-in-grid index, the tile cache and the worker directory follow it (no handler calls
// an invalidation). The application driven as a function, without a socket.
#include <catch2/catch.hpp>

#include <map>

#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/households.hpp"
#include "data/worker_directory.hpp"
#include "server/app.hpp"
#include "server/locator_state.hpp"
#include "support/test_support.hpp"
#include "tiles/service.hpp"

using namespace gridmap;

namespace {

struct Fixture {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  std::string token;
  std::unique_ptr<server::App> app;
  std::map<std::string, int> notices;  // layer -> notices heard
  Fixture() {
    token = test::make_user(db, "admin", "admin");
    server::AppOptions o;
    o.db_path = db;
    o.files_dir = city.files_dir;
    app = std::make_unique<server::App>(o);
    app->changes().subscribe(
        [this](const data::ChangeNotice& c) { ++notices[std::string(data::to_string(c.layer))]; });
  }
  server::Response call(const std::string& method, const std::string& target,
                        const std::string& body = "", const std::string& if_match = "") {
    server::Request r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = server::parse_query(target.substr(q + 1));
    r.headers["authorization"] = "Bearer " + token;
    r.headers["content-type"] = "application/json";
    if (!if_match.empty()) r.headers["if-match"] = if_match;
    r.body = body;
    r.remote = "127.0.0.1";
    return app->handle(r);
  }
  uint64_t misses() { return app->tiles().cache().counters().misses; }
};

}  // namespace

TEST_CASE(
    "each write publishes one notice after commit, the locator, tiles and worker directory follow "
    "it",
    "[engines]") {
  Fixture f;
  LonLat inside{111.5005, 40.7005};
  REQUIRE(f.app->locator()->locator.locate(inside) == nullptr);
  // A grid tile over the place, cached before the edit.
  std::string tile = "/tiles/grids/14/13266/6160.mvt";
  REQUIRE(f.call("GET", tile).status == 200);
  REQUIRE(f.call("GET", tile).status == 200);
  uint64_t cached = f.misses();
  auto made = f.call(
      "POST", "/api/v1/grids",
      "{\"type\":\"Feature\",\"properties\":{\"code\":\"999999999999001\",\"name\":\"新网格\"},"
      "\"geometry\":" +
          test::square_polygon(111.5, 40.7, 0.001) + "}");
  INFO(made.body);
  REQUIRE(made.status == 201);
  CHECK(f.notices["grids"] == 1);
  const data::GridLineage* g = f.app->locator()->locator.locate(inside);
  REQUIRE(g != nullptr);
  CHECK(g->grid_code.value == "999999999999001");
  REQUIRE(f.call("GET", tile).status == 200);
  CHECK(f.misses() == cached + 1);  // rebuilt: the edit made the cached tile stale

  // A refused write (a stale version) publishes nothing.
  auto stale = f.call("PATCH", "/api/v1/grids/999999999999001",
                      "{\"type\":\"Feature\",\"properties\":{\"name\":\"x\"}}");
  REQUIRE(stale.status == 200);
  CHECK(f.notices["grids"] == 2);
  {
    server::Request r;
    r.method = "PATCH";
    r.path = "/api/v1/grids/999999999999001";
    r.headers = {{"authorization", "Bearer " + f.token}, {"if-match", "\"v1\""}};
    r.body = "{\"type\":\"Feature\",\"properties\":{\"name\":\"y\"}}";
    CHECK(f.app->handle(r).status == 412);
  }
  CHECK(f.notices["grids"] == 2);

  // A household: one notice, and the households tile over it is built again.
  std::string htile = "/tiles/households/14/13266/6160.mvt";
  REQUIRE(f.call("GET", htile).status == 200);
  uint64_t before_household = f.misses();
  auto h = f.call("POST", "/api/v1/households",
                  "{\"type\":\"Feature\",\"properties\":{\"address\":\"新楼1号\"},\"geometry\":{"
                  "\"type\":\"Point\","
                  "\"coordinates\":[111.5005,40.7005]}}");
  INFO(h.body);
  REQUIRE(h.status == 201);
  CHECK(f.notices["households"] == 1);
  REQUIRE(f.call("GET", htile).status == 200);
  CHECK(f.misses() == before_household + 1);

  // A petition and its move: one notice each.
  auto p = f.call("POST", "/api/v1/petitions",
                  "{\"lon\":111.5005,\"lat\":40.7005,\"kind\":\"appeal\",\"category\":\"noise\","
                  "\"description\":\"x\"}");
  REQUIRE(p.status == 201);
  CHECK(f.notices["petitions"] == 1);
  rapidjson::Document d;
  d.Parse(p.body.c_str());
  std::string id = std::to_string(d["id"].GetInt64());
  CHECK(f.call("POST", "/api/v1/petitions/" + id + "/transitions", "{\"to\":\"dispatched\"}",
               "\"v1\"")
            .status == 200);
  CHECK(f.notices["petitions"] == 2);
  CHECK(f.call("POST", "/api/v1/petitions/" + id + "/transitions", "{\"to\":\"closed\"}", "\"v2\"")
            .status == 409);
  CHECK(f.notices["petitions"] == 2);

  // A worker taken off duty leaves the nearest answers at once.
  data::Household home = [&] {
    data::Db db = data::Db::open(f.db, false);
    return *data::HouseholdRepo(db).get(100);
  }();
  auto nearest = [&] { return f.app->workers().nearest(home.position, 1, {}); };
  REQUIRE(nearest().size() == 1);
  WorkerId worker = nearest()[0].id;
  CHECK(f.call("PATCH", "/api/v1/workers/" + std::to_string(worker.value), "{\"on_duty\":false}")
            .status == 200);
  CHECK(f.notices["workers"] == 1);
  REQUIRE(nearest().size() == 1);
  CHECK(nearest()[0].id != worker);
}
