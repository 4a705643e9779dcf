#include "geo/hotspots.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

using namespace gridmap;

namespace {

// A w x h lattice of unit squares (rook neighbours share a border; diagonal ones a corner).
std::vector<geos::GeomPtr> lattice(int w, int h) {
  std::vector<geos::GeomPtr> out;
  // Corners computed once per lattice line, so neighbours share them exactly.
  auto X = [](int i) { return 111.7 + i * 0.01; };
  auto Y = [](int j) { return 40.8 + j * 0.01; };
  for (int j = 0; j < h; ++j)
    for (int i = 0; i < w; ++i)
      out.push_back(geos::polygon({{{X(i), Y(j)},
                                    {X(i + 1), Y(j)},
                                    {X(i + 1), Y(j + 1)},
                                    {X(i), Y(j + 1)},
                                    {X(i), Y(j)}}}));
  return out;
}

std::vector<const GEOSGeometry*> raw(const std::vector<geos::GeomPtr>& v) {
  std::vector<const GEOSGeometry*> out;
  for (auto& g : v) out.push_back(g.get());
  return out;
}

// The textbook formula, written out directly.
double reference_gi_star(const std::vector<double>& x, const std::vector<std::vector<uint32_t>>& nb,
                         size_t i) {
  double n = static_cast<double>(x.size());
  double xbar = 0;
  for (double v : x) xbar += v;
  xbar /= n;
  double s2 = 0;
  for (double v : x) s2 += v * v;
  double S = std::sqrt(s2 / n - xbar * xbar);
  std::vector<double> w(x.size(), 0.0);
  w[i] = 1;
  for (uint32_t j : nb[i]) w[j] = 1;
  double sw = 0, swx = 0, sw2 = 0;
  for (size_t j = 0; j < x.size(); ++j) sw += w[j], swx += w[j] * x[j], sw2 += w[j] * w[j];
  return (swx - xbar * sw) / (S * std::sqrt((n * sw2 - sw * sw) / (n - 1)));
}

// A messy layout: rectangles cut recursively at random dyadic positions (exact in binary, so
// a vertex of one rectangle lies exactly on its neighbour's edge: T-junctions everywhere),
// drawn clockwise or not, from a random corner, with repeated points; some grids are two
// rectangles (MultiPolygon); one has a hole with an island grid in it; a slanted pair shares
// a border whose T-junction vertex lies exactly on the other's edge.
std::vector<geos::GeomPtr> messy_layout(uint64_t seed) {
  std::mt19937_64 rng(seed);
  struct Rect {
    double x0, y0, x1, y1;
  };
  std::vector<Rect> done, todo{{0, 0, 64, 64}};
  while (!todo.empty()) {
    Rect r = todo.back();
    todo.pop_back();
    double w = r.x1 - r.x0, h = r.y1 - r.y0;
    if ((w <= 2 && h <= 2) || (done.size() + todo.size() > 20 && rng() % 4 == 0)) {
      done.push_back(r);
      continue;
    }
    bool vertical = w > h || (w == h && rng() % 2);
    double len = vertical ? w : h;
    double cut =
        std::floor(static_cast<double>(rng() % 1000) / 1000.0 * (len - 1)) + 1;  // whole units
    if (rng() % 3 == 0) cut -= 0.5;                                              // still exact
    if (cut <= 0) cut = len / 2;
    if (vertical)
      todo.push_back({r.x0, r.y0, r.x0 + cut, r.y1}),
          todo.push_back({r.x0 + cut, r.y0, r.x1, r.y1});
    else
      todo.push_back({r.x0, r.y0, r.x1, r.y0 + cut}),
          todo.push_back({r.x0, r.y0 + cut, r.x1, r.y1});
  }
  auto ring_of = [&](const Rect& r) {
    std::vector<LonLat> ring{{r.x0, r.y0}, {r.x1, r.y0}, {r.x1, r.y1}, {r.x0, r.y1}};
    if (rng() % 2) std::reverse(ring.begin(), ring.end());
    std::rotate(ring.begin(), ring.begin() + static_cast<long>(rng() % 4), ring.end());
    if (rng() % 3 == 0) ring.insert(ring.begin() + 1, ring[1]);  // a repeated point
    ring.push_back(ring.front());
    return ring;
  };
  auto wkt_ring = [](const std::vector<LonLat>& ring) {
    std::string s = "(";
    for (size_t i = 0; i < ring.size(); ++i)
      s += (i ? "," : "") + std::to_string(ring[i].lon) + " " + std::to_string(ring[i].lat);
    return s + ")";
  };
  std::vector<geos::GeomPtr> out;
  for (size_t i = 0; i < done.size(); ++i) {
    if (i + 1 < done.size() && rng() % 5 == 0) {  // two rectangles, one grid
      out.push_back(geos::from_wkt("MULTIPOLYGON((" + wkt_ring(ring_of(done[i])) + "),(" +
                                   wkt_ring(ring_of(done[i + 1])) + "))"));
      ++i;
    } else {
      out.push_back(geos::polygon({ring_of(done[i])}));
    }
  }
  // Outside the square: a grid with a hole, an island in the hole touching the hole's ring
  // along a side, and a slanted pair.
  out.push_back(geos::from_wkt("POLYGON((70 0,80 0,80 10,70 10,70 0),(72 2,72 6,76 6,76 2,72 2))"));
  out.push_back(geos::from_wkt("POLYGON((72 2,74 2,74 4,72 4,72 2))"));
  out.push_back(geos::from_wkt("POLYGON((90 0,98 4,90 4,90 0))"));
  out.push_back(
      geos::from_wkt("POLYGON((90 0,94 0,96 3,94 2,90 0))"));       // (94 2) on the first's edge
  out.push_back(geos::from_wkt("POLYGON((98 4,99 5,98 5,98 4))"));  // a corner only
  return out;
}

}  // namespace

TEST_CASE("the fast neighbour search agrees with GEOS on a messy layout") {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    INFO("seed " << seed);
    auto g = messy_layout(seed);
    auto fast = shared_border_neighbours(raw(g)), slow = shared_border_neighbours_geos(raw(g));
    REQUIRE(fast.size() == slow.size());
    size_t links = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
      INFO("area " << i << " " << geos::to_wkt(g[i].get(), 3));
      CHECK(fast[i] == slow[i]);
      links += fast[i].size();
    }
    CHECK(links > g.size());  // not trivially empty
    size_t n = g.size();
    // The hole's island, and the slanted pair through a T-junction; the corner does not count.
    CHECK(fast[n - 5] == std::vector<uint32_t>{static_cast<uint32_t>(n - 4)});
    CHECK(fast[n - 3] == std::vector<uint32_t>{static_cast<uint32_t>(n - 2)});
    CHECK(fast[n - 1].empty());
  }
}

TEST_CASE("Gi* on an irregular layout equals the reference computation to 1e-9") {
  auto g = messy_layout(7);
  auto nb = shared_border_neighbours(raw(g));
  std::mt19937_64 rng(7);
  std::vector<double> x;
  for (size_t i = 0; i < g.size(); ++i) x.push_back(static_cast<double>(rng() % 50) / 7.0);
  auto stats = getis_ord_gi_star(x, nb);
  for (size_t i = 0; i < x.size(); ++i) {
    INFO("area " << i);
    CHECK(std::fabs(stats[i].z - reference_gi_star(x, nb, i)) <= 1e-9);
  }
}

TEST_CASE("neighbours are the areas sharing a border, not a corner") {
  auto g = lattice(3, 3);
  auto nb = shared_border_neighbours(raw(g));
  CHECK(nb[4] == std::vector<uint32_t>{1, 3, 5, 7});  // the centre: rook, not queen
  CHECK(nb[0] == std::vector<uint32_t>{1, 3});
}

TEST_CASE("Gi* equals a straightforward reference computation to 1e-9") {
  auto g = lattice(6, 5);
  auto nb = shared_border_neighbours(raw(g));
  std::mt19937_64 rng(11);
  std::vector<double> x;
  for (size_t i = 0; i < g.size(); ++i) x.push_back(static_cast<double>(rng() % 20));
  auto stats = getis_ord_gi_star(x, nb);
  for (size_t i = 0; i < x.size(); ++i) {
    INFO("area " << i);
    CHECK(std::fabs(stats[i].z - reference_gi_star(x, nb, i)) <= 1e-9);
    CHECK(stats[i].p == Approx(std::erfc(std::fabs(stats[i].z) / std::sqrt(2.0))).margin(1e-12));
  }
}

TEST_CASE("the FDR correction classifies by rank: Benjamini-Hochberg at 90, 95 and 99 percent") {
  std::vector<GiStar> s(10);
  double p[10] = {0.0001, 0.004, 0.012, 0.03, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9};
  for (int i = 0; i < 10; ++i) s[i].p = p[i], s[i].z = i % 2 ? 3.0 : -3.0;
  classify_fdr(s);
  // alpha 0.01: 0.0001 <= 0.001 yes, 0.004 <= 0.002 no -> only rank 1.
  // alpha 0.05: ranks 1..3 (0.012 <= 0.015), 0.03 > 0.02 -> 3.
  // alpha 0.10: rank 4: 0.03 <= 0.04 -> 4.
  CHECK(s[0].cls == HotClass::cold_99);
  CHECK(s[1].cls == HotClass::hot_95);
  CHECK(s[2].cls == HotClass::cold_95);
  CHECK(s[3].cls == HotClass::hot_90);
  for (int i = 4; i < 10; ++i) CHECK(s[i].cls == HotClass::none);
}

TEST_CASE("a planted cluster comes out hot, uniform noise gives (almost) none") {
  auto g = lattice(20, 20);
  auto nb = shared_border_neighbours(raw(g));
  std::mt19937_64 rng(3);
  std::poisson_distribution<int> base(10.0), hot(40.0);
  std::vector<double> planted, uniform;
  for (int j = 0; j < 20; ++j)
    for (int i = 0; i < 20; ++i) {
      bool in = i >= 8 && i <= 10 && j >= 8 && j <= 10;
      planted.push_back(in ? hot(rng) : base(rng));
      uniform.push_back(base(rng));
    }
  auto ps = getis_ord_gi_star(planted, nb);
  CHECK(is_hot(ps[9 * 20 + 9].cls));
  CHECK(ps[9 * 20 + 9].cls == HotClass::hot_99);
  int hot_uniform = 0;
  for (auto& s : getis_ord_gi_star(uniform, nb)) hot_uniform += is_hot(s.cls);
  CHECK(hot_uniform <= 2);
}

TEST_CASE("emerging hotspots compare two windows") {
  CHECK(trend(HotClass::none, HotClass::hot_95) == Trend::new_hot);
  CHECK(trend(HotClass::hot_90, HotClass::hot_99) == Trend::persistent_hot);
  CHECK(trend(HotClass::hot_99, HotClass::none) == Trend::no_longer_hot);
  CHECK(trend(HotClass::cold_99, HotClass::none) == Trend::none);
}
