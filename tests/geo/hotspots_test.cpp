#include "geo/hotspots.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

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
      out.push_back(geos::polygon({{{X(i), Y(j)}, {X(i + 1), Y(j)}, {X(i + 1), Y(j + 1)}, {X(i), Y(j + 1)}, {X(i), Y(j)}}}));
  return out;
}

std::vector<const GEOSGeometry*> raw(const std::vector<geos::GeomPtr>& v) {
  std::vector<const GEOSGeometry*> out;
  for (auto& g : v) out.push_back(g.get());
  return out;
}

// The textbook formula, written out directly.
double reference_gi_star(const std::vector<double>& x, const std::vector<std::vector<uint32_t>>& nb, size_t i) {
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

}  // namespace

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
    CHECK(stats[i].z == Approx(reference_gi_star(x, nb, i)).margin(1e-9));
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
