// The exact validity check of tile polygons, against GEOS.
#include <catch2/catch.hpp>

#include <random>

#include "geo/geos.hpp"
#include "tiles/validity.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

std::string wkt_ring(const IRing& r) {
  std::string s = "(";
  for (const IPoint& p : r) s += std::to_string(p.x) + " " + std::to_string(p.y) + ",";
  return s + std::to_string(r[0].x) + " " + std::to_string(r[0].y) + ")";
}

geos::GeomPtr to_geos(const std::vector<IPolygon>& polys) {
  std::string s = "MULTIPOLYGON (";
  for (size_t i = 0; i < polys.size(); ++i) {
    s += i ? ",(" : "(";
    for (size_t k = 0; k < polys[i].rings.size(); ++k)
      s += (k ? "," : "") + wkt_ring(polys[i].rings[k]);
    s += ")";
  }
  return geos::from_wkt(s + ")");
}

bool geos_valid(const std::vector<IPolygon>& polys) {
  return geos::invalid_reason(to_geos(polys).get()).empty();
}

}  // namespace

TEST_CASE(
    "the strict check accepts simple polygons and refuses crossings, spikes and touching rings") {
  IPolygon square{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}};
  CHECK(is_strictly_valid(std::vector{square}));
  IPolygon with_hole{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{3, 3}, {3, 6}, {6, 6}, {6, 3}}}};
  CHECK(is_strictly_valid(std::vector{with_hole}));
  IPolygon bow_tie{{{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{bow_tie}));
  IPolygon spike{{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {5, 15}, {5, 10}, {0, 10}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{spike}));
  IPolygon hole_touching{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{0, 5}, {3, 6}, {3, 4}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{hole_touching}));
  IPolygon hole_outside{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{20, 20}, {20, 30}, {30, 30}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{hole_outside}));
  IPolygon inner{{{{2, 2}, {4, 2}, {4, 4}, {2, 4}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{square, inner}));  // overlapping parts
  IPolygon island{{{{4, 4}, {5, 4}, {5, 5}, {4, 5}}}};
  CHECK(is_strictly_valid(std::vector{with_hole, island}));  // a part inside the other's hole
  IPolygon flat{{{{0, 0}, {5, 0}, {10, 0}}}};
  CHECK_FALSE(is_strictly_valid(std::vector{flat}));
}

TEST_CASE("whatever the strict check accepts GEOS finds valid, on random small polygons") {
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> coord(0, 12), size(3, 7), parts(1, 2), holes(0, 1);
  int accepted = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<IPolygon> polys(static_cast<size_t>(parts(rng)));
    for (IPolygon& p : polys) {
      int rings = 1 + holes(rng);
      for (int r = 0; r < rings; ++r) {
        IRing ring(static_cast<size_t>(size(rng)));
        for (IPoint& q : ring) q = {coord(rng), coord(rng)};
        p.rings.push_back(ring);
      }
    }
    bool ok = false;
    try {
      if (!is_strictly_valid(polys)) continue;
      ok = true;
      ++accepted;
      INFO(geos::to_wkt(to_geos(polys).get()));
      CHECK(geos_valid(polys));
    } catch (const std::exception& e) {
      if (ok) FAIL(e.what());
    }
  }
  CHECK(accepted > 100);  // the property was exercised
}
