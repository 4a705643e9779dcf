// The hotspots tile layer over HTTP from the real server on the tatabu demo: the tiles
// decode (GDAL), carry the same classes as GET /api/v1/hotspots for the same parameters,
// go stale when petitions change, and are refused to workers and for bad parameters.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <map>
#include <set>

#include "support/pg_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using test::http;
using test::HttpResult;
using test::json;

namespace {

struct Fixture : test::RoleServer {
  HttpResult get(const std::string& target, const std::string& role = "planner") {
    return RoleServer::get(target, role);
  }
};

struct ApiGrid {
  std::string cls, trend;
  double z = 0;
  int64_t count = 0;
};

// The API's answer by grid code, and the box of all grids.
std::map<std::string, ApiGrid> api_hotspots(Fixture& f, const std::string& query, Box& box) {
  HttpResult r = f.get("/api/v1/hotspots?" + query);
  INFO(r.body.substr(0, 300));
  REQUIRE(r.status == 200);
  auto d = json(r);
  std::map<std::string, ApiGrid> out;
  box = {180, 90, -180, -90};
  for (auto& g : d["features"].GetArray()) {
    auto& p = g["properties"];
    out[p["code"].GetString()] = {p["class"].GetString(), p["trend"].GetString(),
                                  p["gi_z"].GetDouble(), p["count"].GetInt64()};
    auto& polys = g["geometry"]["coordinates"];
    auto visit_ring = [&](const rapidjson::Value& ring) {
      for (auto& c : ring.GetArray()) {
        box.min_lon = std::min(box.min_lon, c[0].GetDouble()),
        box.max_lon = std::max(box.max_lon, c[0].GetDouble());
        box.min_lat = std::min(box.min_lat, c[1].GetDouble()),
        box.max_lat = std::max(box.max_lat, c[1].GetDouble());
      }
    };
    if (std::string(g["geometry"]["type"].GetString()) == "Polygon")
      for (auto& ring : polys.GetArray()) visit_ring(ring);
    else
      for (auto& poly : polys.GetArray())
        for (auto& ring : poly.GetArray()) visit_ring(ring);
  }
  return out;
}

std::vector<tiles::TileId> tiles_over(Box b, int z) {
  tiles::TileId lo = tiles::tile_at({b.min_lon, b.max_lat}, z),
                hi = tiles::tile_at({b.max_lon, b.min_lat}, z);
  std::vector<tiles::TileId> out;
  for (uint32_t x = lo.x; x <= hi.x; ++x)
    for (uint32_t y = lo.y; y <= hi.y; ++y) out.push_back({z, x, y});
  return out;
}

std::string path(tiles::TileId t, const std::string& query) {
  return "/tiles/hotspots/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
         std::to_string(t.y) + ".mvt?" + query;
}

// Every grid's properties as the tiles over the box give them (the same in every tile).
std::map<std::string, std::map<std::string, std::string>> tile_hotspots(Fixture& f, Box box, int z,
                                                                        const std::string& query) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (tiles::TileId t : tiles_over(box, z)) {
    HttpResult r = f.get(path(t, query));
    INFO(path(t, query) << " " << r.body.substr(0, 200));
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"] == "application/vnd.mapbox-vector-tile");
    test::DecodedTile decoded = test::decode_with_gdal(r.body);
    CHECK(decoded.count("hotspots_label") == 0);
    for (auto& feature : decoded["hotspots"]) {
      REQUIRE(feature.geom);
      std::string code = feature.attrs.at("code");
      if (out.count(code)) CHECK(out[code] == feature.attrs);
      out[code] = feature.attrs;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("hotspot tiles decode and carry the API's classes for the same parameters", "[engines]") {
  Fixture f;
  for (std::string query :
       {"from=2025-11-01&to=2026-11-01&value=per_household", "from=2025-11-01&to=2026-11-01",
        "from=2026-05-01&to=2026-11-01&category=noise&kind=appeal"}) {
    INFO(query);
    Box box;
    auto api = api_hotspots(f, query, box);
    REQUIRE(api.size() == 41);
    auto tiles = tile_hotspots(f, box, 14, query);
    CHECK(tiles.size() == api.size());
    int hot = 0;
    for (auto& [code, a] : api) {
      INFO(code);
      REQUIRE(tiles.count(code));
      auto& t = tiles[code];
      CHECK(t.at("class") == a.cls);
      CHECK(t.at("trend") == a.trend);
      CHECK(std::stod(t.at("gi_z")) == Approx(a.z).margin(1e-6));
      CHECK(std::stoll(t.at("count")) == a.count);
      CHECK(t.count("p_value"));
      CHECK(t.count("name"));
      hot += a.cls.rfind("hot", 0) == 0;
    }
    if (query.find("per_household") != std::string::npos) CHECK(hot >= 1);  // the planted sites
  }
}

TEST_CASE("hotspot tiles go stale when a petition is reported", "[engines]") {
  Fixture f;
  std::string query = "value=count";  // the window ends with the current hour: new petitions count
  Box box;
  auto api = api_hotspots(f, query, box);
  auto t = tiles::tile_at({(box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2}, 14);
  HttpResult before = f.get(path(t, query));
  REQUIRE(before.status == 200);
  CHECK(f.get(path(t, query)).headers["etag"] == before.headers["etag"]);  // cached
  auto features = test::decode_layer(before.body, "hotspots");
  REQUIRE(!features.empty());
  std::string code = features[0].attrs.at("code");
  // A petition in that grid: at a point the locator puts there (the centre of its box).
  auto r = f.get("/api/v1/grids/" + code);
  REQUIRE(r.status == 200);
  auto g = json(r);
  Box gb{180, 90, -180, -90};
  auto& c = g["geometry"]["coordinates"];
  auto visit = [&](const rapidjson::Value& ring) {
    for (auto& p : ring.GetArray()) {
      gb.min_lon = std::min(gb.min_lon, p[0].GetDouble()),
      gb.max_lon = std::max(gb.max_lon, p[0].GetDouble());
      gb.min_lat = std::min(gb.min_lat, p[1].GetDouble()),
      gb.max_lat = std::max(gb.max_lat, p[1].GetDouble());
    }
  };
  if (std::string(g["geometry"]["type"].GetString()) == "Polygon")
    for (auto& ring : c.GetArray()) visit(ring);
  else
    for (auto& poly : c.GetArray())
      for (auto& ring : poly.GetArray()) visit(ring);
  double lon = (gb.min_lon + gb.max_lon) / 2, lat = (gb.min_lat + gb.max_lat) / 2;
  auto located =
      json(f.get("/api/v1/locate?lon=" + std::to_string(lon) + "&lat=" + std::to_string(lat)));
  REQUIRE(located.HasMember("grid"));
  REQUIRE(located["grid"].IsObject());
  std::string at = located["grid"]["code"].GetString();
  auto created =
      http(f.server->port(), "POST", "/api/v1/petitions",
           "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
               ",\"kind\":\"incident\",\"category\":\"noise\",\"description\":\"夜间施工\"}",
           {{"Authorization", "Bearer " + f.tokens["dispatcher"]}});
  REQUIRE(created.status == 201);
  HttpResult after = f.get(path(t, query));
  REQUIRE(after.status == 200);
  CHECK(after.headers["etag"] != before.headers["etag"]);
  Box unused;
  auto api_after = api_hotspots(f, query, unused);
  CHECK(api_after[at].count == api[at].count + 1);
  for (auto& feature : test::decode_layer(after.body, "hotspots"))
    if (feature.attrs.at("code") == at)
      CHECK(std::stoll(feature.attrs.at("count")) == api[at].count + 1);
}

TEST_CASE("hotspot tiles and their TileJSON: workers are refused, bad parameters get problem+json",
          "[engines]") {
  Fixture f;
  std::string tile = "/tiles/hotspots/14/13275/6153.mvt";
  CHECK(f.get(tile, "admin").status == 200);
  CHECK(f.get(tile, "dispatcher").status == 200);
  CHECK(f.get(tile, "worker").status == 403);
  CHECK(http(f.server->port(), "GET", tile).status == 401);
  CHECK(f.get("/tiles/hotspots.json", "worker").status == 403);
  for (const char* bad :
       {"?value=loud", "?category=ufo", "?kind=rumour", "?from=2026-11-01&to=2026-01-01",
        "?from=yesterday", "?colour=red", "?status=closed"}) {
    INFO(bad);
    HttpResult r = f.get(tile + bad);
    CHECK(r.status == 400);
    CHECK(r.headers["content-type"] == "application/problem+json");
  }
  CHECK(f.get("/tiles/hotspots/23/0/0.mvt").status == 400);
  auto tj =
      json(f.get("/tiles/hotspots.json?from=2026-01-01T08:00:00%2B08:00&value=per_household"));
  CHECK(std::string(tj["tilejson"].GetString()) == "3.0.0");
  std::string url = tj["tiles"][0].GetString();
  CHECK(url ==
        "/tiles/hotspots/{z}/{x}/"
        "{y}.mvt?from=2026-01-01T08:00:00%2B08:00&value=per_household");
  REQUIRE(tj["vector_layers"].Size() == 1);
  CHECK(std::string(tj["vector_layers"][0]["id"].GetString()) == "hotspots");
  for (const char* field : {"code", "name", "gi_z", "p_value", "class", "trend", "count"})
    CHECK(tj["vector_layers"][0]["fields"].HasMember(field));
}
