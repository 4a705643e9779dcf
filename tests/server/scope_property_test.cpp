// The scope property: as a worker, no combination of documented parameters (repeated,
// empty, unknown, hostile values) on any list or tile route returns a record outside the
// worker's reach. Random combinations with a printed seed; the reach is computed from the
// database, not from the server.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <cmath>
#include <random>
#include <set>

#include "data/db.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"

using namespace gridmap;
using test::RoleServer;

namespace {

std::set<int64_t> ids(data::Db& db, const std::string& sql) {
  std::set<int64_t> out;
  data::Statement st(db, sql);
  while (st.step()) out.insert(st.int64(0));
  return out;
}

struct Reach {
  std::set<int64_t> households, petitions, all_households, all_petitions;
};

Reach reach_of_worker1(const std::string& db_path) {
  data::Db db = data::Db::open(db_path, false);
  std::string grid = RoleServer::kFirstGrid;
  Reach r;
  r.households = ids(db, "SELECT id FROM households WHERE grid_code = '" + grid + "'");
  r.petitions = ids(db, "SELECT id FROM petitions WHERE grid_code = '" + grid +
                            "' OR reported_by = 'worker1' OR handler_worker_id = 1");
  r.all_households = ids(db, "SELECT id FROM households");
  r.all_petitions = ids(db, "SELECT id FROM petitions");
  return r;
}

// Values an attacker would try: other grids, other workers, SQL and JSON fragments, empty.
const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> v = {"",
                                             "5",
                                             "1",
                                             "-1",
                                             "0",
                                             "150102001009001",
                                             "150102001001001",
                                             "150102001",
                                             "150102001009",
                                             "appeal",
                                             "incident",
                                             "closed",
                                             "reported",
                                             "noise",
                                             "grid",
                                             "department",
                                             "1%20OR%201=1",
                                             "%27)%20OR%20(1=1",
                                             "%5B%22150102001009001%22%5D",
                                             "%22",
                                             "null",
                                             "9223372036854775807",
                                             "2026-01-01",
                                             "abc"};
  return v;
}

std::string random_query(std::mt19937& rng, const std::vector<std::string>& names) {
  std::uniform_int_distribution<size_t> count(0, 6), pick_name(0, names.size() - 1),
      pick_value(0, hostile_values().size() - 1);
  std::string q;
  size_t n = count(rng);
  for (size_t i = 0; i < n; ++i) {
    std::string name = names[pick_name(rng)];
    std::string value = hostile_values()[pick_value(rng)];
    int repeat = std::uniform_int_distribution<int>(0, 5)(rng) == 0 ? 3 : 1;
    for (int k = 0; k < repeat; ++k) q += (q.empty() ? "?" : "&") + name + "=" + value;
  }
  return q;
}

}  // namespace

TEST_CASE("no combination of list parameters shows a worker a record outside their patch",
          "[engines]") {
  RoleServer s;
  Reach reach = reach_of_worker1(s.db);
  REQUIRE(!reach.households.empty());
  REQUIRE(reach.all_households.size() > reach.households.size());
  unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> common = {"bbox", "limit", "cursor", "crs",
                                           "from", "to",    "unknown"};
  struct Route {
    std::string path;
    std::vector<std::string> params;
    const std::set<int64_t>* reach;
  };
  std::vector<Route> routes = {
      {"/api/v1/households",
       {"grid_code", "community_code", "subdistrict_code"},
       &reach.households},
      {"/api/v1/petitions",
       {"status", "category", "kind", "grid_code", "community_code", "subdistrict_code",
        "handler_level", "handler_worker_id"},
       &reach.petitions},
  };
  int answered = 0;
  for (auto& route : routes) {
    std::vector<std::string> names = route.params;
    names.insert(names.end(), common.begin(), common.end());
    for (int i = 0; i < 150; ++i) {
      std::string target = route.path + random_query(rng, names);
      INFO(target);
      auto r = s.get(target, "worker");
      REQUIRE((r.status == 200 || r.status == 400));
      if (r.status != 200) continue;
      ++answered;
      auto d = test::json(r);
      for (auto& f : d["features"].GetArray()) CHECK(route.reach->count(f["id"].GetInt64()) == 1);
    }
  }
  CHECK(answered > 20);  // enough combinations got through to the query
  // Workers: only themself.
  for (int i = 0; i < 50; ++i) {
    std::string target =
        "/api/v1/workers" + random_query(rng, {"on_duty", "grid_code", "bbox", "limit", "cursor"});
    INFO(target);
    auto r = s.get(target, "worker");
    REQUIRE((r.status == 200 || r.status == 400));
    if (r.status != 200) continue;
    auto page = test::json(r);  // alive through the loop (a temporary's array is not)
    for (auto& f : page["features"].GetArray()) CHECK(f["id"].GetInt64() == 1);
  }
}

TEST_CASE("no combination of tile filters puts a record outside a worker's patch in their tiles",
          "[engines]") {
  RoleServer s;
  Reach reach = reach_of_worker1(s.db);
  unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  // Tiles at zoom 14 over the whole subdistrict: every feature is one record, its id the key.
  data::Db db = data::Db::open(s.db, false);
  data::Statement b(
      db, "SELECT min(X(geom)), min(Y(geom)), max(X(geom)), max(Y(geom)) FROM households");
  REQUIRE(b.step());
  auto tile_of = [](double lon, double lat, int z) {
    double n = std::pow(2.0, z);
    int x = static_cast<int>((lon + 180) / 360 * n);
    double r = lat * M_PI / 180;
    int y = static_cast<int>((1 - std::log(std::tan(r) + 1 / std::cos(r)) / M_PI) / 2 * n);
    return std::pair(x, y);
  };
  auto [x0, y0] = tile_of(b.real(0), b.real(3), 14);
  auto [x1, y1] = tile_of(b.real(2), b.real(1), 14);
  size_t seen_households = 0, seen_petitions = 0;
  for (const char* layer : {"households", "petitions"}) {
    const std::set<int64_t>& allowed =
        std::string(layer) == "households" ? reach.households : reach.petitions;
    for (int x = x0; x <= x1; ++x)
      for (int y = y0; y <= y1; ++y) {
        // Each tile without filters, then with random ones (petitions take filters).
        for (int round = 0; round < (std::string(layer) == "petitions" ? 4 : 1); ++round) {
          std::string query =
              round ? random_query(rng, {"status", "category", "kind", "from", "to"}) : "";
          std::string target = "/tiles/" + std::string(layer) + "/14/" + std::to_string(x) + "/" +
                               std::to_string(y) + ".mvt" + query;
          INFO(target);
          auto r = s.get(target, "worker");
          REQUIRE((r.status == 200 || r.status == 400));
          if (r.status != 200 || r.body.empty()) continue;  // refused, or an empty tile
          for (auto& [name, features] : test::decode_with_gdal(r.body))
            for (auto& f : features) {
              if (name.find("cluster") != std::string::npos) continue;
              CHECK(allowed.count(f.id) == 1);
              (std::string(layer) == "households" ? seen_households : seen_petitions) += 1;
            }
        }
      }
  }
  CHECK(seen_households > 0);
  CHECK(seen_petitions > 0);
}
