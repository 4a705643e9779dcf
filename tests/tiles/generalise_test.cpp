// Generalisation of area layers: shared borders stay shared, what is below a pixel goes,
// the buffer is kept, labels fall inside.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "geo/geos.hpp"
#include "tiles/generalise.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

geos::GeomPtr to_geos(const std::vector<IPolygon>& polys) {
  std::string s = "MULTIPOLYGON (";
  for (size_t i = 0; i < polys.size(); ++i) {
    s += i ? ",(" : "(";
    for (size_t k = 0; k < polys[i].rings.size(); ++k) {
      const IRing& r = polys[i].rings[k];
      s += k ? ",(" : "(";
      for (const IPoint& p : r) s += std::to_string(p.x) + " " + std::to_string(p.y) + ",";
      s += std::to_string(r[0].x) + " " + std::to_string(r[0].y) + ")";
    }
    s += ")";
  }
  return geos::from_wkt(s + ")");
}

double area(const GEOSGeometry* g) {
  double a = 0;
  GEOSArea_r(geos::ctx(), g, &a);
  return a;
}

geos::GeomPtr clip(const GEOSGeometry* g, double lo, double hi) {
  return geos::own(GEOSClipByRect_r(geos::ctx(), g, lo, lo, hi, hi), "clip");
}

// A lattice of cells over more than the tile; every edge is a wiggly line of many vertices,
// computed once, so neighbours share their border vertex for vertex (as the demo's grids do).
std::vector<DFeature> wiggly_lattice(std::mt19937& rng, int cells, double from, double to,
                                     int per_edge, double wiggle) {
  std::uniform_real_distribution<double> jitter(-0.3, 0.3), noise(-wiggle, wiggle);
  double step = (to - from) / cells;
  std::vector<std::vector<TileXY>> nodes(cells + 1, std::vector<TileXY>(cells + 1));
  for (int i = 0; i <= cells; ++i)
    for (int j = 0; j <= cells; ++j)
      nodes[i][j] = {from + (i + (i % cells ? jitter(rng) : 0)) * step,
                     from + (j + (j % cells ? jitter(rng) : 0)) * step};
  auto edge = [&](TileXY a, TileXY b) {
    std::vector<TileXY> e;
    for (int k = 1; k < per_edge; ++k) {
      double t = double(k) / per_edge;
      e.push_back({a.x + t * (b.x - a.x) + noise(rng), a.y + t * (b.y - a.y) + noise(rng)});
    }
    return e;
  };
  // Horizontal edges h[i][j]: nodes[i][j] -> nodes[i+1][j]; vertical v[i][j]: nodes[i][j] ->
  // nodes[i][j+1].
  std::vector<std::vector<std::vector<TileXY>>> h(cells,
                                                  std::vector<std::vector<TileXY>>(cells + 1)),
      v(cells + 1, std::vector<std::vector<TileXY>>(cells));
  for (int i = 0; i < cells; ++i)
    for (int j = 0; j <= cells; ++j) h[i][j] = edge(nodes[i][j], nodes[i + 1][j]);
  for (int i = 0; i <= cells; ++i)
    for (int j = 0; j < cells; ++j) v[i][j] = edge(nodes[i][j], nodes[i][j + 1]);
  std::vector<DFeature> out;
  for (int i = 0; i < cells; ++i)
    for (int j = 0; j < cells; ++j) {
      std::vector<TileXY> r{nodes[i][j]};
      r.insert(r.end(), h[i][j].begin(), h[i][j].end());
      r.push_back(nodes[i + 1][j]);
      r.insert(r.end(), v[i + 1][j].begin(), v[i + 1][j].end());
      r.push_back(nodes[i + 1][j + 1]);
      r.insert(r.end(), h[i][j + 1].rbegin(), h[i][j + 1].rend());
      r.push_back(nodes[i][j + 1]);
      r.insert(r.end(), v[i][j].rbegin(), v[i][j].rend());
      out.push_back({DPolygon{{r}}});
    }
  return out;
}

}  // namespace

TEST_CASE("neighbouring areas keep identical borders after simplification: no gap, no overlap") {
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (double tolerance : {1.0, 4.0, 16.0}) {
    INFO("tolerance " << tolerance);
    auto features = wiggly_lattice(rng, 12, -700, 4800, 40, 3.0);
    GeneraliseOptions o;
    o.tolerance = tolerance;
    GeneraliseStats stats;
    auto out = generalise_areas(features, o, &stats);
    CHECK(stats.vertices_out < stats.vertices_in / 2);  // it did simplify
    CHECK(stats.repaired == 0);
    double sum = 0;
    std::vector<geos::GeomPtr> parts;
    for (const auto& polys : out) {
      if (polys.empty()) continue;
      auto g = to_geos(polys);
      REQUIRE(geos::invalid_reason(g.get()).empty());
      auto inside = clip(g.get(), 0, 4096);
      sum += area(inside.get());
      parts.push_back(std::move(inside));
    }
    std::vector<GEOSGeometry*> raw;
    for (auto& p : parts) raw.push_back(p.get());
    auto all = geos::own(GEOSGeom_createCollection_r(geos::ctx(), GEOS_GEOMETRYCOLLECTION,
                                                     raw.data(), static_cast<unsigned>(raw.size())),
                         "collection");
    for (auto& p : parts) p.release();
    auto u = geos::own(GEOSUnaryUnion_r(geos::ctx(), all.get()), "union");
    CHECK(area(u.get()) == Approx(4096.0 * 4096.0).epsilon(1e-12));  // no gap anywhere in the tile
    CHECK(sum == Approx(4096.0 * 4096.0).epsilon(1e-12));            // no overlap either
  }
}

TEST_CASE("simplifying each area on its own would open gaps, which is why chains are shared") {
  // The same lattice simplified one feature at a time: borders are decided twice, differently.
  std::mt19937 rng(7);
  auto features = wiggly_lattice(rng, 6, 0, 4096, 40, 3.0);
  GeneraliseOptions o;
  o.tolerance = 8;
  double sum = 0;
  for (const DFeature& f : features) {
    auto out = generalise_areas(std::span<const DFeature>(&f, 1), o);
    if (!out[0].empty()) sum += area(clip(to_geos(out[0]).get(), 0, 4096).get());
  }
  CHECK(sum != Approx(4096.0 * 4096.0).epsilon(1e-9));
}

TEST_CASE("areas below a pixel are dropped, holes below a pixel filled, and the buffer kept") {
  DFeature tiny{DPolygon{{{{100, 100}, {105, 100}, {105, 105}, {100, 105}}}}};
  DFeature holed{DPolygon{{{{1000, 1000}, {2000, 1000}, {2000, 2000}, {1000, 2000}},
                           {{1500, 1500}, {1503, 1500}, {1503, 1503}}}}};
  DFeature big{DPolygon{{{{-1000, -1000}, {5000, -1000}, {5000, 5000}, {-1000, 5000}}}}};
  DFeature outside{DPolygon{{{{5000, 5000}, {6000, 5000}, {6000, 6000}}}}};
  std::vector<DFeature> in{tiny, holed, big, outside};
  GeneraliseStats stats;
  auto out = generalise_areas(in, {}, &stats);
  CHECK(out[0].empty());
  REQUIRE(out[1].size() == 1);
  CHECK(out[1][0].rings.size() == 1);
  REQUIRE(out[2].size() == 1);
  auto g = to_geos(out[2]);
  Box b = geos::envelope(g.get());
  CHECK(b.min_lon == -64);
  CHECK(b.max_lon == 4160);
  CHECK(b.min_lat == -64);
  CHECK(b.max_lat == 4160);
  CHECK(out[3].empty());
  CHECK(stats.clipped == 1);
  CHECK(stats.dropped == 2);
}

TEST_CASE("the label point lies inside its area, concave or holed") {
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> radius(0.2, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    // A star-shaped ring (deeply concave), sometimes with a hole around the centre.
    std::vector<TileXY> ring;
    int n = 5 + trial % 20;
    for (int k = 0; k < n; ++k) {
      double a = 2 * M_PI * k / n, r = 1000 * radius(rng);
      ring.push_back({2000 + r * std::cos(a), 2000 + r * std::sin(a)});
    }
    DPolygon p{{ring}};
    if (trial % 2) p.rings.push_back({{1950, 1950}, {2050, 1950}, {2050, 2050}, {1950, 2050}});
    auto at = interior_point(DFeature{p});
    REQUIRE(at);
    std::string wkt = "POLYGON ((";
    for (const TileXY& q : ring) wkt += std::to_string(q.x) + " " + std::to_string(q.y) + ",";
    wkt += std::to_string(ring[0].x) + " " + std::to_string(ring[0].y) + ")";
    if (trial % 2) wkt += ",(1950 1950,2050 1950,2050 2050,1950 2050,1950 1950)";
    wkt += ")";
    auto poly = geos::from_wkt(wkt);
    auto pt = geos::point({at->x, at->y});
    INFO(wkt << " -> " << at->x << " " << at->y);
    CHECK(GEOSContains_r(geos::ctx(), poly.get(), pt.get()) == 1);
  }
}
