// Heat images and density tiles from binned counts, without a server: PNG validity and
// size (decoded with libpng), transparency where there is nothing, the colour ramp, seams
// between neighbouring tiles, k-anonymity and the density layer's attributes.
#include <catch2/catch.hpp>

#include <png.h>

#include <random>

#include "tiles/decode.hpp"
#include "tiles/heat_render.hpp"
#include "tiles/heat_service.hpp"
#include "tiles/png_decode.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

// A snapshot with `n` points scattered around a world position, none elsewhere.
HeatSnapshot snapshot_around(WorldXY centre, double spread, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0, spread);
  std::vector<HeatPointInput> pts;
  for (size_t i = 0; i < n; ++i) {
    HeatAttrs a;
    a.kind = static_cast<uint8_t>(i % 2);
    a.status = static_cast<uint8_t>(i % 5);
    a.category = static_cast<uint8_t>(i % 3);
    a.day = 20000;
    pts.push_back(
        {heat_key({centre.x + d(rng), centre.y + d(rng)}), a.pack(), static_cast<uint32_t>(i + 1)});
  }
  HeatSnapshot s;
  s.base = HeatIndex::build(std::move(pts));
  s.categories = {"noise", "sanitation", "traffic"};
  return s;
}

}  // namespace

TEST_CASE(
    "a heat tile is a 256 x 256 RGBA PNG, 512 x 512 at @2x, transparent where there is "
    "nothing") {
  WorldXY centre{415.5 / 512, 194.5 / 512};
  HeatSnapshot s = snapshot_around(centre, 2e-4, 3000, 1);
  HeatRequest r;
  r.tile = tile_at(to_lonlat(centre), 9);  // the cluster is a tenth of the tile wide
  auto img = test::decode_png(heat_png(s, r));
  CHECK(img.width == 256);
  CHECK(img.height == 256);
  CHECK(img.rgba_source);
  CHECK(test::opaque_pixels(img) > 1000);
  // The cluster is in the middle: the corners, 7 of its sigmas away, are clear.
  CHECK(img.at(0, 0)[3] == 0);
  CHECK(img.at(255, 255)[3] == 0);
  r.scale = 2;
  auto big = test::decode_png(heat_png(s, r));
  CHECK(big.width == 512);
  CHECK(big.height == 512);
  // The same ground at twice the pixels: about four times the painted pixels.
  double ratio = double(test::opaque_pixels(big)) / double(test::opaque_pixels(img));
  CHECK(ratio > 3.5);
  CHECK(ratio < 4.5);
  // A tile on the other side of the world is fully transparent.
  r.tile = tile_at({-60, -30}, 12);
  r.scale = 1;
  auto empty = test::decode_png(heat_png(s, r));
  CHECK(empty.width == 256);
  CHECK(test::opaque_pixels(empty) == 0);
}

TEST_CASE("neighbouring heat tiles meet without a seam") {
  WorldXY centre{415.5 / 512, 194.5 / 512};
  HeatSnapshot s = snapshot_around(centre, 1e-4, 200000, 2);
  TileId t{12, 3324, 1556};  // the cluster's centre is on its west edge
  HeatRequest left, right;
  left.tile = {t.z, t.x - 1, t.y};
  right.tile = t;
  auto a = test::decode_png(heat_png(s, left)), b = test::decode_png(heat_png(s, right));
  int compared = 0;
  for (int y = 0; y < 256; ++y) {
    auto p = a.at(255, y), q = b.at(0, y);
    if (p[3] == 0 && q[3] == 0) continue;
    ++compared;
    for (int c = 0; c < 4; ++c) CHECK(std::abs(int(p[c]) - int(q[c])) <= 12);
  }
  CHECK(compared > 20);
}

TEST_CASE("the colour ramp gets lighter all the way and ends bright") {
  const auto& ramp = heat_ramp();
  auto luma = [](const std::array<uint8_t, 3>& c) {
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  for (size_t i = 8; i < 256; i += 8) CHECK(luma(ramp[i]) > luma(ramp[i - 8]));
  CHECK(luma(ramp[0]) < 40);
  CHECK(luma(ramp[255]) > 200);
}

TEST_CASE("filters change the heat, and bins under five petitions are left out for planners") {
  WorldXY centre{415.5 / 512, 194.5 / 512};
  HeatSnapshot s = snapshot_around(centre, 2e-4, 3000, 3);
  HeatRequest all, noise;
  all.tile = noise.tile = tile_at(to_lonlat(centre), 9);
  noise.filter.category = {"noise"};
  auto a = heat_bins(s, all, 0), n = heat_bins(s, noise, 0);
  uint64_t sum_a = 0, sum_n = 0;
  for (uint32_t c : a) sum_a += c;
  for (uint32_t c : n) sum_n += c;
  CHECK(sum_a > 2500);  // most of the cluster is in the tile
  CHECK(sum_n == Approx(sum_a / 3.0).margin(sum_a / 10.0));
  CHECK(heat_png(s, all) != heat_png(s, noise));
  // A sparse tile: most bins hold one or two petitions.
  HeatSnapshot sparse = snapshot_around(centre, 2e-3, 3000, 4);
  HeatRequest admin, planner;
  admin.tile = planner.tile = tile_at(to_lonlat(centre), 8);
  planner.suppress_small = true;
  auto open = heat_bins(sparse, admin, 0), closed = heat_bins(sparse, planner, 0);
  size_t small = 0;
  for (size_t i = 0; i < open.size(); ++i) {
    if (open[i] > 0 && open[i] < kHeatMinCount) ++small;
    CHECK(closed[i] == (open[i] >= kHeatMinCount ? open[i] : 0));
  }
  CHECK(small > 100);
  CHECK(test::opaque_pixels(test::decode_png(heat_png(sparse, planner))) <
        test::opaque_pixels(test::decode_png(heat_png(sparse, admin))));
}

TEST_CASE("density tiles hold one square per non-empty bin with count and households") {
  WorldXY centre{415.5 / 512, 194.5 / 512};
  HeatSnapshot petitions = snapshot_around(centre, 2e-4, 3000, 5);
  HeatSnapshot households = snapshot_around(centre, 2e-4, 6000, 6);
  HeatRequest r;
  r.tile = tile_at(to_lonlat(centre), 13);
  auto counts = heat_bins(petitions, r, 0);
  auto features = test::decode_layer(density_mvt(petitions, households, r), "density");
  size_t non_empty = 0;
  uint64_t total = 0;
  for (uint32_t c : counts) non_empty += c > 0, total += c;
  REQUIRE(features.size() == non_empty);
  uint64_t seen = 0;
  bool some_ratio = false;
  for (const auto& f : features) {
    int64_t c = std::stoll(f.attrs.at("count"));
    CHECK(c == counts[size_t(f.id)]);
    seen += uint64_t(c);
    if (f.attrs.count("per_100_households") && !f.attrs.at("per_100_households").empty())
      some_ratio = true;
  }
  CHECK(seen == total);
  CHECK(some_ratio);
  // Planners: no cell below five.
  r.suppress_small = true;
  for (const auto& f : test::decode_layer(density_mvt(petitions, households, r), "density"))
    CHECK(std::stoll(f.attrs.at("count")) >= kHeatMinCount);
}
