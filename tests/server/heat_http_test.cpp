// Heat map and density tiles from the real server on the tatabu demo: PNG size and
// content, filters, ETags, changes showing within a second, k-anonymity per role, errors.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <cmath>

#include "data/db.hpp"
#include "data/households.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"
#include "tiles/heat_render.hpp"
#include "tiles/png_decode.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using test::check_problem;
using test::http;
using test::HttpResult;

namespace {

struct Fixture : test::RoleServer {
  LonLat household(int64_t id) {
    data::Db d = data::Db::open(db, false);
    return data::HouseholdRepo(d).get(id)->position;
  }
  int64_t report(LonLat p, const std::string& category = "noise") {
    auto r = send("POST", "/api/v1/petitions",
                  "{\"lon\":" + std::to_string(p.lon) + ",\"lat\":" + std::to_string(p.lat) +
                      ",\"kind\":\"appeal\",\"category\":\"" + category +
                      "\",\"description\":\"噪声\"}");
    REQUIRE(r.status == 201);
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d["id"].GetInt64();
  }
};

std::string xyz(tiles::TileId t) {
  return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}
std::string heat(tiles::TileId t, const std::string& rest = ".png") {
  return "/heatmap/" + xyz(t) + rest;
}
std::string density(tiles::TileId t, const std::string& query = "") {
  return "/tiles/density/" + xyz(t) + ".mvt" + query;
}

// The density count of the bin holding p (0 when there is no square there).
int64_t density_at(Fixture& f, LonLat p, int z, const std::string& role) {
  tiles::TileId t = tiles::tile_at(p, z);
  tiles::WorldXY w = tiles::to_world(p);
  double n = std::ldexp(1.0, z + tiles::kHeatBinLevels);
  int64_t x = static_cast<int64_t>(std::floor(w.x * n)) - int64_t{t.x} * tiles::kHeatBins;
  int64_t y = static_cast<int64_t>(std::floor(w.y * n)) - int64_t{t.y} * tiles::kHeatBins;
  HttpResult r = f.get(density(t), role);
  REQUIRE(r.status == 200);
  for (const auto& c : test::decode_layer(r.body, "density"))
    if (c.id == y * tiles::kHeatBins + x) return std::stoll(c.attrs.at("count"));
  return 0;
}

}  // namespace

TEST_CASE(
    "heat map tiles are 256 and 512 pixel PNGs, hot where the petitions are and clear "
    "elsewhere, with ETags",
    "[engines]") {
  Fixture f;
  tiles::TileId t = tiles::tile_at(f.household(200), 12);
  HttpResult r = f.get(heat(t));
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "image/png");
  CHECK(r.headers["cache-control"] == "private, no-cache");
  auto img = test::decode_png(r.body);
  CHECK(img.width == 256);
  CHECK(img.height == 256);
  CHECK(img.rgba_source);
  CHECK(test::opaque_pixels(img) > 500);
  auto big = test::decode_png(f.get(heat(t, "@2x.png")).body);
  CHECK(big.width == 512);
  CHECK(big.height == 512);
  CHECK(test::opaque_pixels(big) > 3 * test::opaque_pixels(img));
  // Far from the city: a valid, fully transparent tile.
  auto far = test::decode_png(f.get(heat(tiles::tile_at({-60, -30}, 12))).body);
  CHECK(far.width == 256);
  CHECK(test::opaque_pixels(far) == 0);
  // Revalidation.
  HttpResult again = f.get(heat(t), "admin", {{"If-None-Match", r.headers["etag"]}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
}

TEST_CASE("heat map filters change the image, and bad tiles and filters get problem+json",
          "[engines]") {
  Fixture f;
  tiles::TileId t = tiles::tile_at(f.household(200), 13);
  std::string all = f.get(heat(t)).body;
  for (const char* q :
       {"?category=noise", "?status=closed", "?kind=incident", "?from=2025-01-01&to=2025-03-01"}) {
    INFO(q);
    HttpResult r = f.get(heat(t, std::string(".png") + q));
    REQUIRE(r.status == 200);
    CHECK(r.body != all);
    CHECK(test::decode_png(r.body).width == 256);
  }
  check_problem(f.get("/heatmap/23/0/0.png"), 400);
  check_problem(f.get("/heatmap/2/4/0.png"), 400);
  check_problem(f.get("/heatmap/x/0/0.png"), 400);
  check_problem(f.get("/heatmap/2/1/1@3x.png"), 400);
  check_problem(f.get(heat(t, ".png?status=lost")), 400);
  check_problem(f.get(heat(t, ".png?category=ufo")), 400);
  check_problem(f.get(heat(t, ".png?from=yesterday")), 400);
  check_problem(f.get(heat(t, ".png?from=2026-05-01&to=2026-04-01")), 400);
  check_problem(f.get(heat(t, ".png?colour=red")), 400);
  check_problem(f.get(density(t, "?kind=rumour")), 400);
  check_problem(f.get("/tiles/density/23/0/0.mvt"), 400);
  check_problem(f.get("/tiles/density/2/1/1@2x.mvt"), 400);
  check_problem(f.get("/heatmap/2/1.png"), 404);
  check_problem(f.get("/heatmap/2/1/1.jpg"), 404);
}

TEST_CASE("a new petition and a status change show in heat and density tiles within a second",
          "[engines]") {
  Fixture f;
  LonLat p = f.household(200);
  tiles::TileId t = tiles::tile_at(p, 15);
  std::string before = f.get(heat(t)).body, reported = f.get(heat(t, ".png?status=reported")).body;
  int64_t count = density_at(f, p, 15, "admin");
  auto start = std::chrono::steady_clock::now();
  int64_t id = f.report(p);
  std::string after = f.get(heat(t)).body;
  CHECK(after != before);
  CHECK(density_at(f, p, 15, "admin") == count + 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  // More heat: no pixel loses opacity and some gain it.
  auto a = test::decode_png(before), b = test::decode_png(after);
  size_t gained = 0;
  for (size_t i = 3; i < a.rgba.size(); i += 4) {
    CHECK(b.rgba[i] >= a.rgba[i]);
    gained += b.rgba[i] > a.rgba[i];
  }
  CHECK(gained > 0);
  // Dispatched: it leaves the heat of reported petitions again.
  std::string reported_now = f.get(heat(t, ".png?status=reported")).body;
  CHECK(reported_now != reported);
  REQUIRE(f.move(id, "{\"to\":\"dispatched\"}").status == 200);
  CHECK(f.get(heat(t, ".png?status=reported")).body == reported);
  CHECK(f.get(heat(t, ".png?status=dispatched")).status == 200);
}

TEST_CASE(
    "planners see no bin of fewer than five petitions, admins and dispatchers every "
    "count, workers neither heat nor density",
    "[engines]") {
  Fixture f;
  LonLat h = f.household(200);
  LonLat q{h.lon + 0.00031, h.lat + 0.00023};  // a spot of its own, near houses
  constexpr int z = 20;                        // bins of about half a metre
  REQUIRE(density_at(f, q, z, "admin") == 0);
  tiles::TileId t = tiles::tile_at(q, z);
  std::string planner_before = f.get(heat(t), "planner").body;
  for (int i = 0; i < 4; ++i) f.report(q);
  CHECK(density_at(f, q, z, "admin") == 4);
  CHECK(density_at(f, q, z, "dispatcher") == 4);
  CHECK(density_at(f, q, z, "planner") == 0);
  CHECK(f.get(heat(t), "planner").body == planner_before);
  CHECK(f.get(heat(t), "admin").body != f.get(heat(t), "planner").body);
  f.report(q);
  CHECK(density_at(f, q, z, "planner") == 5);
  CHECK(f.get(heat(t), "planner").body != planner_before);
  // Planners' density tiles hold no cell under five anywhere.
  tiles::TileId town = tiles::tile_at(h, 14);
  for (const auto& c : test::decode_layer(f.get(density(town), "planner").body, "density"))
    CHECK(std::stoll(c.attrs.at("count")) >= 5);
  CHECK(f.get(heat(t), "worker").status == 403);
  CHECK(f.get(density(t), "worker").status == 403);
  CHECK(http(f.server->port(), "GET", heat(t)).status == 401);
}
