#include "geo/grid_index.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <random>
#include <thread>

#include "geo/geodesic.hpp"

using namespace gridmap;

namespace {

// A messy tiling: a jittered lattice of quads sharing their vertices exactly, where
// - one quad is cut out of its neighbour as a hole (polygon with a hole + island),
// - one grid is a multipolygon of two separate quads,
// - one quad is split along a diagonal (a zero-width sliver pair meeting at a vertex),
// - a few quads carry extra collinear vertices on their edges.
struct Layout {
  std::vector<geos::GeomPtr> geoms;
  std::vector<std::vector<LonLat>> vertices;  // per grid, for placing points on vertices/edges
};

Layout make_layout(double lon0, double lat0, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  double step = 0.002;
  std::vector<LonLat> v((n + 1) * (n + 1));
  int hole_i = n / 2, hole_j = n / 2;
  for (int j = 0; j <= n; ++j)
    for (int i = 0; i <= n; ++i) {
      // The border stays straight and the holed quad square, so the hole fits inside it.
      bool border = i == 0 || j == 0 || i == n || j == n ||
                    ((i == hole_i || i == hole_i + 1) && (j == hole_j || j == hole_j + 1));
      v[j * (n + 1) + i] = {lon0 + (i + (border ? 0 : jitter(rng))) * step, lat0 + (j + (border ? 0 : jitter(rng))) * step};
    }
  auto at = [&](int i, int j) { return v[j * (n + 1) + i]; };
  Layout L;
  auto quad = [&](int i, int j) {
    std::vector<LonLat> ring{at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1), at(i, j)};
    return ring;
  };
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      if (i == hole_i + 1 && j == hole_j) continue;  // merged into the multipolygon below
      std::vector<LonLat> ring = quad(i, j);
      if ((i + j) % 7 == 3) {  // an extra vertex exactly halfway along the bottom edge
        LonLat a = ring[0], b = ring[1];
        ring.insert(ring.begin() + 1, LonLat{(a.lon + b.lon) / 2, (a.lat + b.lat) / 2});
      }
      L.vertices.push_back(ring);
      if (i == hole_i && j == hole_j) {
        // A hole in this quad, filled by its own island grid.
        LonLat c{(at(i, j).lon + at(i + 1, j + 1).lon) / 2, (at(i, j).lat + at(i + 1, j + 1).lat) / 2};
        double r = step * 0.15;
        std::vector<LonLat> hole{{c.lon - r, c.lat - r}, {c.lon - r, c.lat + r}, {c.lon + r, c.lat + r}, {c.lon + r, c.lat - r}, {c.lon - r, c.lat - r}};
        L.geoms.push_back(geos::polygon({ring, hole}));
        std::vector<LonLat> island(hole.rbegin(), hole.rend());
        L.geoms.push_back(geos::polygon({island}));
        L.vertices.push_back(island);
        // The multipolygon: the quad to the right plus a far corner quad.
        std::vector<GEOSGeometry*> parts{geos::polygon({quad(i + 1, j)}).release(), geos::polygon({quad(n - 1, n - 1)}).release()};
        L.geoms.push_back(geos::own(GEOSGeom_createCollection_r(geos::ctx(), GEOS_MULTIPOLYGON, parts.data(), 2), "mp"));
        L.vertices.push_back(quad(i + 1, j));
        continue;
      }
      if (i == n - 1 && j == n - 1) continue;  // part of the multipolygon
      if (i == 1 && j == 2) {                  // split along the diagonal into two triangles
        LonLat a = at(i, j), b = at(i + 1, j), c = at(i + 1, j + 1), d = at(i, j + 1);
        L.geoms.push_back(geos::polygon({{a, b, c, a}}));
        L.geoms.push_back(geos::polygon({{a, c, d, a}}));
        L.vertices.push_back({a, c});
        continue;
      }
      L.geoms.push_back(geos::polygon({ring}));
    }
  return L;
}

struct Reference {
  std::vector<geos::PreparedPtr> prepared;
  std::vector<Box> boxes;
  explicit Reference(const Layout& L) {
    for (auto& g : L.geoms) {
      prepared.emplace_back(GEOSPrepare_r(geos::ctx(), g.get()));
      boxes.push_back(geos::envelope(g.get()));
    }
  }
  // Brute force over every grid with GEOS.
  LocateHit locate(LonLat p) const {
    geos::GeomPtr pt = geos::point(p);
    LocateHit hit;
    for (uint32_t i = 0; i < prepared.size(); ++i) {
      const Box& b = boxes[i];
      if (p.lon < b.min_lon || p.lon > b.max_lon || p.lat < b.min_lat || p.lat > b.max_lat) continue;
      if (GEOSPreparedCovers_r(geos::ctx(), prepared[i].get(), pt.get()) != 1) continue;
      bool interior = GEOSPreparedContainsProperly_r(geos::ctx(), prepared[i].get(), pt.get()) == 1;
      if (!hit.grid) hit.grid = i;
      else hit.neighbours.push_back(i);
      hit.on_edge |= !interior;
    }
    return hit;
  }
};

std::vector<const GEOSGeometry*> raw(const Layout& L) {
  std::vector<const GEOSGeometry*> out;
  for (auto& g : L.geoms) out.push_back(g.get());
  return out;
}

std::vector<LonLat> test_points(const Layout& L, size_t n, std::mt19937_64& rng, Box extent) {
  std::vector<LonLat> pts;
  std::uniform_real_distribution<double> u(0, 1);
  double w = extent.max_lon - extent.min_lon, h = extent.max_lat - extent.min_lat;
  while (pts.size() < n) {
    double kind = u(rng);
    const auto& verts = L.vertices[rng() % L.vertices.size()];
    size_t k = rng() % (verts.size() - 1);
    if (kind < 0.1) {
      pts.push_back(verts[k]);  // exactly on a vertex
    } else if (kind < 0.25) {   // on (or within rounding of) an edge
      double t = u(rng);
      LonLat a = verts[k], b = verts[k + 1];
      pts.push_back({a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat)});
    } else if (kind < 0.3) {  // exact midpoint of an edge
      LonLat a = verts[k], b = verts[k + 1];
      pts.push_back({(a.lon + b.lon) / 2, (a.lat + b.lat) / 2});
    } else if (kind < 0.35) {  // on a vertex's horizontal or vertical line
      LonLat a = verts[k];
      pts.push_back(u(rng) < 0.5 ? LonLat{extent.min_lon + u(rng) * w, a.lat} : LonLat{a.lon, extent.min_lat + u(rng) * h});
    } else {  // anywhere, including outside every grid
      pts.push_back({extent.min_lon - 0.1 * w + 1.2 * w * u(rng), extent.min_lat - 0.1 * h + 1.2 * h * u(rng)});
    }
  }
  return pts;
}

Box extent_of(const Layout& L) {
  Box b = geos::envelope(L.geoms[0].get());
  for (auto& g : L.geoms) {
    Box e = geos::envelope(g.get());
    b = {std::min(b.min_lon, e.min_lon), std::min(b.min_lat, e.min_lat), std::max(b.max_lon, e.max_lon), std::max(b.max_lat, e.max_lat)};
  }
  return b;
}

void compare_with_geos(double lon0, double lat0, size_t points, double cells_per_edge) {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed << " at " << lon0 << "," << lat0);
  Layout L = make_layout(lon0, lat0, 24, seed);
  for (auto& g : L.geoms) {
    INFO(geos::invalid_reason(g.get()) << " in " << geos::to_wkt(g.get()));
    REQUIRE(geos::invalid_reason(g.get()).empty());
  }
  Reference ref(L);
  GridIndex index(raw(L), cells_per_edge);
  std::mt19937_64 rng(seed);
  std::vector<LonLat> pts = test_points(L, points, rng, extent_of(L));
  std::vector<uint32_t> fast(pts.size());
  index.locate_many(pts.data(), pts.size(), fast.data());
  size_t mismatches = 0, on_edges = 0, located = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    LocateHit want = ref.locate(pts[i]);
    LocateHit got = index.locate_detail(pts[i]);
    uint32_t want_fast = want.grid ? *want.grid : GridIndex::kNone;
    bool same = got.grid == want.grid && got.on_edge == want.on_edge && got.neighbours == want.neighbours &&
                fast[i] == want_fast;
    if (!same && mismatches++ < 5)
      UNSCOPED_INFO(std::setprecision(17) << "point " << pts[i].lon << " " << pts[i].lat << " want " << want_fast
                                          << " edge " << want.on_edge << " got " << fast[i] << "/" << (got.grid ? *got.grid : -1)
                                          << " edge " << got.on_edge);
    on_edges += want.on_edge;
    located += want.grid.has_value();
  }
  CHECK(mismatches == 0);
  CHECK(on_edges > points / 20);  // the test really exercised boundaries
  CHECK(located > points / 2);
}

}  // namespace

TEST_CASE("point-in-grid agrees with brute-force GEOS on a million points, edges and vertices included") {
  compare_with_geos(111.7, 40.8, 1000000, 1.0);
}

TEST_CASE("point-in-grid stays exact far from the equator and with coarse or fine cells") {
  compare_with_geos(126.5, 52.9, 100000, 0.1);  // Mohe, the far north of China
  compare_with_geos(-70.0, -75.0, 100000, 4.0);  // Antarctica, southern and western
  compare_with_geos(179.9, 0.0, 100000, 1.0);    // on the equator near the antimeridian
}

TEST_CASE("a point on a shared edge belongs to exactly one grid, the first in order") {
  std::vector<geos::GeomPtr> g;
  g.push_back(geos::polygon({{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}));
  g.push_back(geos::polygon({{{1, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 0}}}));
  GridIndex index({g[0].get(), g[1].get()});
  LocateHit h = index.locate_detail({1, 0.5});
  REQUIRE(h.grid);
  CHECK(*h.grid == 0);
  CHECK(h.on_edge);
  CHECK(h.neighbours == std::vector<uint32_t>{1});
  CHECK(*index.locate({1, 0.5}) == 0);
  CHECK(*index.locate({1.5, 0.5}) == 1);
  CHECK(!index.locate_detail({1.5, 0.5}).on_edge);
  CHECK(!index.locate({3, 0.5}));
  CHECK(index.locate_detail({2, 1}).on_edge);  // the outer corner
}

TEST_CASE("a point outside every grid gets the nearest grid and its distance in metres") {
  std::vector<geos::GeomPtr> g;
  // Two 0.01-degree squares at 40.8N, 0.01 degree apart.
  g.push_back(geos::polygon({{{111.70, 40.80}, {111.71, 40.80}, {111.71, 40.81}, {111.70, 40.81}, {111.70, 40.80}}}));
  g.push_back(geos::polygon({{{111.72, 40.80}, {111.73, 40.80}, {111.73, 40.81}, {111.72, 40.81}, {111.72, 40.80}}}));
  GridIndex index({g[0].get(), g[1].get()});
  LonLat p{111.7185, 40.805};  // between them, nearer the second
  REQUIRE(!index.locate(p));
  auto n = index.nearest(p, 5000);
  REQUIRE(n);
  CHECK(n->grid == 1);
  CHECK(n->distance_m == Approx(geodesic_distance_m(p, {111.72, 40.805})).margin(0.5));
  CHECK(!index.nearest({111.8, 40.805}, 1000));  // farther than the limit
  auto far = index.nearest({111.8, 40.805}, 100000);
  REQUIRE(far);
  CHECK(far->grid == 1);
  CHECK(index.distance_to_boundary_m({111.705, 40.801}, 0) == Approx(geodesic_distance_m({111.705, 40.801}, {111.705, 40.80})).margin(0.5));
}

TEST_CASE("nearest grid matches brute force over every grid") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  Layout L = make_layout(111.7, 40.8, 12, seed);
  GridIndex index(raw(L));
  std::mt19937_64 rng(seed);
  Box e = extent_of(L);
  std::uniform_real_distribution<double> u(-0.5, 1.5);
  MetresPerDegree m = metres_per_degree(40.8);
  for (int i = 0; i < 2000; ++i) {
    LonLat p{e.min_lon + u(rng) * (e.max_lon - e.min_lon), e.min_lat + u(rng) * (e.max_lat - e.min_lat)};
    if (index.locate(p)) continue;
    auto got = index.nearest(p, 1e6);
    REQUIRE(got);
    double best = 1e300;
    for (uint32_t g = 0; g < index.size(); ++g) best = std::min(best, index.distance_to_boundary_m(p, g));
    CHECK(got->distance_m == Approx(best).margin(1e-6));
    (void)m;
  }
}

TEST_CASE("many threads can query one index at once") {
  Layout L = make_layout(111.7, 40.8, 16, 7);
  GridIndex index(raw(L));
  std::mt19937_64 rng(7);
  std::vector<LonLat> pts = test_points(L, 200000, rng, extent_of(L));
  std::vector<uint32_t> want(pts.size());
  index.locate_many(pts.data(), pts.size(), want.data());
  std::vector<std::vector<uint32_t>> got(4, std::vector<uint32_t>(pts.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { index.locate_many(pts.data(), pts.size(), got[t].data()); });
  for (auto& t : threads) t.join();
  for (auto& g : got) CHECK(g == want);
}
