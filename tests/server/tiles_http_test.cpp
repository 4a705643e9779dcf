// Tiles over HTTP from the real server on the tatabu demo: compression, ETags and 304s,
// invalidation by changes, errors, TileJSON and the style, and who may see which layer.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "data/db.hpp"
#include "data/households.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using test::check_problem;
using test::http;
using test::HttpResult;
using test::json;

namespace {

struct Fixture : test::RoleServer {
  std::string first_grid = kFirstGrid;
  data::Household household(int64_t id) {
    data::Db d = data::Db::open(db, false);
    return *data::HouseholdRepo(d).get(id);
  }
};

std::string path(const std::string& layer, tiles::TileId t) {
  return "/tiles/" + layer + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
         std::to_string(t.y) + ".mvt";
}

}  // namespace

TEST_CASE(
    "tiles come gzip-compressed to clients that take it, with an ETag, 304 on a match and "
    "Cache-Control",
    "[engines]") {
  Fixture f;
  auto h = f.household(100);
  std::string target = path("grids", tiles::tile_at(h.position, 14));
  HttpResult plain = f.get(target);
  REQUIRE(plain.status == 200);
  CHECK(plain.headers["content-type"] == "application/vnd.mapbox-vector-tile");
  CHECK(plain.headers.count("content-encoding") == 0);
  CHECK(plain.headers["cache-control"].find("no-cache") != std::string::npos);
  CHECK(plain.headers["vary"].find("Accept-Encoding") != std::string::npos);
  std::string etag = plain.headers["etag"];
  REQUIRE(etag.size() > 2);
  CHECK(test::decode_layer(plain.body, "grids").size() > 0);
  HttpResult gz = f.get(target, "admin", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  REQUIRE(gz.status == 200);
  CHECK(gz.headers["content-encoding"] == "gzip");
  CHECK(gz.headers["etag"] == etag);
  CHECK(gz.body.size() < plain.body.size());
  CHECK(tiles::gunzip(gz.body, plain.body.size()) == plain.body);
  CHECK(
      f.get(target, "admin", {{"Accept-Encoding", "gzip;q=0"}}).headers.count("content-encoding") ==
      0);
  HttpResult again = f.get(target, "admin", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.headers["etag"] == etag);
  CHECK(f.get(target, "admin", {{"If-None-Match", "\"other\", " + etag}}).status == 304);
  CHECK(f.get(target, "admin", {{"If-None-Match", "\"other\""}}).status == 200);
  // HEAD answers the headers only.
  std::string head = test::raw_exchange(
      f.server->port(), "HEAD " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                            "Authorization: Bearer " + f.tokens["admin"] + "\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(head.find("ETag: " + etag) != std::string::npos);
  CHECK(head.substr(head.find("\r\n\r\n") + 4).empty());
}

TEST_CASE("a new petition changes the ETags of its tiles at once and leaves far tiles alone",
          "[engines]") {
  Fixture f;
  auto here = f.household(200), far = f.household(11000);
  REQUIRE(std::abs(here.position.lon - far.position.lon) +
              std::abs(here.position.lat - far.position.lat) >
          0.01);
  std::vector<std::string> near_tiles, far_tiles;
  for (int z : {8, 12, 14, 16}) {
    near_tiles.push_back(path("petitions", tiles::tile_at(here.position, z)));
    if (z >= 14) far_tiles.push_back(path("petitions", tiles::tile_at(far.position, z)));
  }
  far_tiles.push_back(path("petitions", tiles::tile_at(here.position, 14)) +
                      "?category=traffic");  // filtered out
  std::map<std::string, std::string> before;
  for (const auto& t : near_tiles) before[t] = f.get(t).headers["etag"];
  for (const auto& t : far_tiles) before[t] = f.get(t).headers["etag"];
  auto start = std::chrono::steady_clock::now();
  auto created =
      f.send("POST", "/api/v1/petitions",
             "{\"lon\":" + std::to_string(here.position.lon) +
                 ",\"lat\":" + std::to_string(here.position.lat) +
                 ",\"kind\":\"appeal\",\"category\":\"noise\",\"description\":\"楼上装修噪声\"}");
  REQUIRE(created.status == 201);
  int64_t id = json(created)["id"].GetInt64();
  for (const auto& t : near_tiles) {
    INFO(t);
    CHECK(f.get(t).headers["etag"] != before[t]);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  for (const auto& t : far_tiles) {
    INFO(t);
    CHECK(f.get(t).headers["etag"] == before[t]);
  }
  // The new petition is in its zoom 16 tile, as reported, without its description.
  auto features = test::decode_layer(f.get(near_tiles.back()).body, "petitions");
  auto it =
      std::find_if(features.begin(), features.end(), [&](const auto& p) { return p.id == id; });
  REQUIRE(it != features.end());
  CHECK(it->attrs.at("status") == "reported");
  CHECK(it->attrs.at("age_days") == "0");
  // Moving it on changes its tiles again.
  std::string etag = f.get(near_tiles.back()).headers["etag"];
  REQUIRE(f.move(id, "{\"to\":\"dispatched\"}").status == 200);
  features = test::decode_layer(f.get(near_tiles.back()).body, "petitions");
  it = std::find_if(features.begin(), features.end(), [&](const auto& p) { return p.id == id; });
  REQUIRE(it != features.end());
  CHECK(it->attrs.at("status") == "dispatched");
  CHECK(f.get(near_tiles.back()).headers["etag"] != etag);
}

TEST_CASE("edited grids and new households change the tiles over them and no others", "[engines]") {
  Fixture f;
  auto h = f.household(300), far = f.household(11500);
  std::string grid_tile = path("grids", tiles::tile_at(h.position, 15));
  std::string far_grid_tile = path("grids", tiles::tile_at(far.position, 15));
  std::string household_tile = path("households", tiles::tile_at(h.position, 16));
  std::string far_household_tile = path("households", tiles::tile_at(far.position, 16));
  std::map<std::string, std::string> before;
  for (const auto& t : {grid_tile, far_grid_tile, household_tile, far_household_tile})
    before[t] = f.get(t).headers["etag"];
  // A new household counts in its grid's attributes.
  auto post = f.send("POST", "/api/v1/households",
                     "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[" +
                         std::to_string(h.position.lon) + "," + std::to_string(h.position.lat) +
                         "]},\"properties\":{\"address\":\"新楼1单元\"}}");
  REQUIRE(post.status == 201);
  CHECK(f.get(grid_tile).headers["etag"] != before[grid_tile]);
  CHECK(f.get(household_tile).headers["etag"] != before[household_tile]);
  CHECK(f.get(far_grid_tile).headers["etag"] == before[far_grid_tile]);
  CHECK(f.get(far_household_tile).headers["etag"] == before[far_household_tile]);
  // Renaming a grid shows in the tiles over it.
  std::string etag = f.get(grid_tile).headers["etag"];
  REQUIRE(f.send("PATCH", "/api/v1/grids/" + *h.grid_code,
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"改名网格\"}}")
              .status == 200);
  auto body = f.get(grid_tile);
  CHECK(body.headers["etag"] != etag);
  auto grids = test::decode_layer(body.body, "grids");
  CHECK(std::any_of(grids.begin(), grids.end(),
                    [](const auto& g) { return g.attrs.at("name") == "改名网格"; }));
  CHECK(f.get(far_grid_tile).headers["etag"] == before[far_grid_tile]);
}

TEST_CASE("bad tile coordinates, unknown layers and bad filters get problem+json", "[engines]") {
  Fixture f;
  check_problem(f.get("/tiles/grids/23/0/0.mvt"), 400);
  check_problem(f.get("/tiles/grids/3/8/0.mvt"), 400);
  check_problem(f.get("/tiles/grids/3/0/-1.mvt"), 400);
  check_problem(f.get("/tiles/grids/a/0/0.mvt"), 400);
  check_problem(f.get("/tiles/grids/99999999999/0/0.mvt"), 400);
  check_problem(f.get("/tiles/rivers/1/0/0.mvt"), 404);
  check_problem(f.get("/tiles/grids/1/0/0.png"), 404);
  check_problem(f.get("/tiles/rivers.json"), 404);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?status=lost"), 400);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?category=ufo"), 400);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?kind=rumour"), 400);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?from=yesterday"), 400);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?from=2026-05-01&to=2026-04-01"), 400);
  check_problem(f.get("/tiles/petitions/14/13275/6153.mvt?colour=red"), 400);
  check_problem(f.get("/tiles/grids/14/13275/6153.mvt?status=closed"), 400);
  CHECK(f.get("/tiles/petitions/14/13275/"
              "6153.mvt?status=closed,reported&category=noise&from=2026-01-01")
            .status == 200);
  CHECK(f.get("/tiles/grids/0/0/0.mvt").status == 200);
  CHECK(f.get("/tiles/grids/22/4194303/4194303.mvt").status == 200);
}

TEST_CASE("TileJSON and the style describe the layers, with no URL outside the server",
          "[engines]") {
  Fixture f;
  auto tj = json(f.get("/tiles/grids.json"));
  CHECK(std::string(tj["tilejson"].GetString()) == "3.0.0");
  // Relative to the server: never built from the request's Host header.
  CHECK(std::string(tj["tiles"][0].GetString()) == "/tiles/grids/{z}/{x}/{y}.mvt");
  REQUIRE(tj["bounds"].Size() == 4);
  double w = tj["bounds"][0].GetDouble(), s = tj["bounds"][1].GetDouble(),
         e = tj["bounds"][2].GetDouble(), n = tj["bounds"][3].GetDouble();
  CHECK(w < e);
  CHECK(s < n);
  CHECK(w > 111);
  CHECK(e < 112.5);
  CHECK(tj["center"][0].GetDouble() > w);
  CHECK(tj["center"][0].GetDouble() < e);
  CHECK(tj["minzoom"].GetInt() <= tj["maxzoom"].GetInt());
  std::set<std::string> ids;
  for (auto& v : tj["vector_layers"].GetArray()) {
    ids.insert(v["id"].GetString());
    CHECK(v["fields"].IsObject());
  }
  CHECK(ids == std::set<std::string>{"grids", "grids_label"});
  auto pj = json(f.get("/tiles/petitions.json?status=reported&category=noise"));
  CHECK(std::string(pj["tiles"][0].GetString()) ==
        "/tiles/petitions/{z}/{x}/{y}.mvt?category=noise&status=reported");
  for (const char* role : {"admin", "dispatcher", "planner", "worker"}) {
    INFO(role);
    HttpResult r = f.get("/style.json", role);
    REQUIRE(r.status == 200);
    auto style = json(r);
    CHECK(style["version"].GetInt() == 8);
    // Glyphs for area names from this server; no icons, so no sprite.
    REQUIRE(style.HasMember("glyphs"));
    CHECK(std::string(style["glyphs"].GetString()).rfind("/fonts/{fontstack}/{range}.pbf?v=", 0) ==
          0);
    CHECK_FALSE(style.HasMember("sprite"));
    std::set<std::string> sources;
    for (auto& m : style["sources"].GetObject()) {
      sources.insert(m.name.GetString());
      for (auto& url : m.value["tiles"].GetArray())
        CHECK(std::string(url.GetString()).rfind("/tiles/", 0) == 0);
    }
    for (auto& layer : style["layers"].GetArray()) {
      if (!layer.HasMember("source")) continue;
      CHECK(sources.count(layer["source"].GetString()) == 1);
      if (std::string(layer["type"].GetString()) == "symbol")  // names only, no icons
        CHECK_FALSE(layer["layout"].HasMember("icon-image"));
    }
    // Every URL in the style is this server's: no absolute URL at all.
    CHECK(r.body.find("http") == std::string::npos);
    CHECK(sources.count("grids") == 1);
    CHECK(sources.count("workers") ==
          (std::string(role) == "admin" || std::string(role) == "dispatcher"));
    CHECK(sources.count("petitions") == (std::string(role) != "planner"));
  }
}

TEST_CASE(
    "a worker's household tiles hold only their grids, and workers tiles are for dispatchers and "
    "admins",
    "[engines]") {
  Fixture f;
  size_t seen = 0;
  data::Db db = data::Db::open(f.db, false);
  for (tiles::TileId t : tiles::tiles_covering(tiles::data_bounds(db), 15)) {
    HttpResult r = f.get(path("households", t), "worker");
    REQUIRE(r.status == 200);
    for (const auto& h : test::decode_layer(r.body, "households")) {
      CHECK(h.attrs.at("grid_code") == f.first_grid);
      ++seen;
    }
  }
  CHECK(seen > 0);
  auto h = f.household(1);
  std::string w = path("workers", tiles::tile_at(h.position, 12));
  CHECK(f.get(w, "planner").status == 403);
  CHECK(f.get(w, "worker").status == 403);
  CHECK(f.get(w, "dispatcher").status == 200);
  CHECK(f.get(path("households", tiles::tile_at(h.position, 12)), "planner").status == 403);
  CHECK(f.get(path("petitions", tiles::tile_at(h.position, 12)), "planner").status == 403);
  CHECK(http(f.server->port(), "GET", w).status == 401);
}
