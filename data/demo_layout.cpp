#include "data/demo_layout.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <queue>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap::data::demo {
namespace {

constexpr double kPi = std::numbers::pi;
// Directions of boundary edges, counter-clockwise order: E, N, W, S.
constexpr int kDx[4] = {1, 0, -1, 0};
constexpr int kDy[4] = {0, 1, 0, -1};

struct Lattice {
  int nx, ny;
  bool inside(int i, int j) const { return i >= 0 && j >= 0 && i < nx && j < ny; }
};

// ---- the city outline ---------------------------------------------------------------------

std::vector<char> make_blob(int n, double target_cells, Rng& rng) {
  double a = rng.uniform(0, 2 * kPi), b = rng.uniform(0, 2 * kPi), c = rng.uniform(0, 2 * kPi);
  std::vector<double> radius_factor(static_cast<size_t>(n) * n), dist(radius_factor.size());
  double mid = n / 2.0;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      double du = i + 0.5 - mid, dv = j + 0.5 - mid;
      double th = std::atan2(dv, du);
      size_t k = static_cast<size_t>(j) * n + i;
      radius_factor[k] = 1 + 0.16 * std::sin(3 * th + a) + 0.09 * std::sin(5 * th + b) + 0.05 * std::sin(7 * th + c);
      dist[k] = std::hypot(du, dv);
    }
  auto count = [&](double r) {
    int64_t total = 0;
    for (size_t k = 0; k < dist.size(); ++k) total += dist[k] < r * radius_factor[k];
    return total;
  };
  double lo = 1, hi = mid / 1.32;
  for (int it = 0; it < 40; ++it) {
    double r = (lo + hi) / 2;
    (count(r) < target_cells ? lo : hi) = r;
  }
  std::vector<char> blob(dist.size());
  for (size_t k = 0; k < dist.size(); ++k) blob[k] = dist[k] < hi * radius_factor[k];
  // Fill enclosed holes: cells not reachable from the border through non-city cells.
  std::vector<char> outside(blob.size(), 0);
  std::vector<int> queue;
  for (int i = 0; i < n; ++i)
    for (int k : {i, (n - 1) * n + i, i * n, i * n + n - 1})
      if (!blob[k] && !outside[k]) outside[k] = 1, queue.push_back(k);
  for (size_t q = 0; q < queue.size(); ++q) {
    int i = queue[q] % n, j = queue[q] / n;
    for (int d = 0; d < 4; ++d) {
      int a2 = i + kDx[d], b2 = j + kDy[d];
      if (a2 < 0 || b2 < 0 || a2 >= n || b2 >= n) continue;
      int k = b2 * n + a2;
      if (!blob[k] && !outside[k]) outside[k] = 1, queue.push_back(k);
    }
  }
  for (size_t k = 0; k < blob.size(); ++k) blob[k] = !outside[k];
  // Keep the component holding the centre.
  std::vector<char> keep(blob.size(), 0);
  int start = static_cast<int>(mid) * n + static_cast<int>(mid);
  if (!blob[start]) throw_internal("demo layout: empty city");
  queue.assign(1, start);
  keep[start] = 1;
  for (size_t q = 0; q < queue.size(); ++q) {
    int i = queue[q] % n, j = queue[q] / n;
    for (int d = 0; d < 4; ++d) {
      int a2 = i + kDx[d], b2 = j + kDy[d];
      if (a2 < 0 || b2 < 0 || a2 >= n || b2 >= n) continue;
      int k = b2 * n + a2;
      if (blob[k] && !keep[k]) keep[k] = 1, queue.push_back(k);
    }
  }
  return keep;
}

// ---- partitioning a connected set of cells into k connected regions ------------------------

struct Partitioner {
  Lattice lat;
  std::vector<int> owner;  // -2 not in the current set, -1 unclaimed, else region

  std::vector<std::vector<int>> split(const std::vector<int>& cells, int k, Rng& rng) {
    if (k < 1 || static_cast<size_t>(k) > cells.size()) throw_internal("demo layout: bad split");
    for (int c : cells) owner[c] = -1;
    std::vector<int> seeds = pick_seeds(cells, k, rng);
    using Item = std::pair<double, int>;
    std::vector<std::priority_queue<Item, std::vector<Item>, std::greater<Item>>> heaps(k);
    std::vector<std::vector<int>> regions(k);
    auto claim = [&](int r, int c) {
      owner[c] = r;
      regions[r].push_back(c);
      int i = c % lat.nx, j = c / lat.nx;
      int si = seeds[r] % lat.nx, sj = seeds[r] / lat.nx;
      for (int d = 0; d < 4; ++d) {
        int a = i + kDx[d], b = j + kDy[d];
        if (!lat.inside(a, b)) continue;
        int n = b * lat.nx + a;
        if (owner[n] != -1) continue;
        double d2 = (a - si) * (a - si) + (b - sj) * (b - sj);
        heaps[r].push({d2 * (1 + 0.8 * rng.uniform()), n});
      }
    };
    for (int r = 0; r < k; ++r) claim(r, seeds[r]);
    for (bool grew = true; grew;) {
      grew = false;
      for (int r = 0; r < k; ++r) {
        auto& h = heaps[r];
        while (!h.empty() && owner[h.top().second] != -1) h.pop();
        if (h.empty()) continue;
        int c = h.top().second;
        h.pop();
        claim(r, c);
        grew = true;
      }
    }
    for (int c : cells) {
      if (owner[c] < 0) throw_internal("demo layout: disconnected region");
      owner[c] = -2;
    }
    return regions;
  }

  std::vector<int> pick_seeds(const std::vector<int>& cells, int k, Rng& rng) {
    std::vector<int> seeds{cells[static_cast<size_t>(rng.below(static_cast<int64_t>(cells.size())))]};
    std::vector<double> best(cells.size(), 1e300);
    while (static_cast<int>(seeds.size()) < k) {
      int s = seeds.back(), si = s % lat.nx, sj = s / lat.nx;
      size_t arg = 0;
      double far = -1;
      for (size_t q = 0; q < cells.size(); ++q) {
        int i = cells[q] % lat.nx, j = cells[q] / lat.nx;
        double d2 = (i - si) * (i - si) + (j - sj) * (j - sj);
        best[q] = std::min(best[q], d2);
        if (best[q] > far) far = best[q], arg = q;
      }
      seeds.push_back(cells[arg]);
    }
    return seeds;
  }
};

// Splits `total` into parts proportional to `weights`, each in [1, cap[i]].
std::vector<int> allocate(int total, const std::vector<double>& weights, const std::vector<int>& cap) {
  size_t n = weights.size();
  if (static_cast<size_t>(total) < n) throw_internal("demo layout: fewer areas than parents");
  std::vector<int> out(n, 1);
  int left = total - static_cast<int>(n);
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<std::pair<double, size_t>> rest;
  for (size_t i = 0; i < n; ++i) {
    double share = left * weights[i] / sum;
    int whole = std::min(static_cast<int>(share), cap[i] - out[i]);
    out[i] += whole;
    rest.push_back({share - whole, i});
  }
  int given = 0;
  for (int v : out) given += v;
  std::sort(rest.begin(), rest.end(), std::greater<>());
  for (size_t pass = 0; given < total && pass < 1000; ++pass)
    for (auto& [frac, i] : rest) {
      if (given >= total) break;
      if (out[i] < cap[i]) ++out[i], ++given;
    }
  if (given != total) throw_internal("demo layout: not enough blocks for the areas asked for");
  return out;
}

void set_centroid(Region& r, int nx) {
  double su = 0, sv = 0;
  for (int c : r.cells) su += c % nx + 0.5, sv += c / nx + 0.5;
  r.cu = su / r.cells.size();
  r.cv = sv / r.cells.size();
}

// North to south in bands, west to east inside a band.
void order_children(std::vector<Region>& kids, int nx) {
  if (kids.empty()) return;
  double cells = 0;
  for (auto& k : kids) set_centroid(k, nx), cells += k.cells.size();
  double band = std::max(1.0, std::sqrt(cells / kids.size()));
  std::stable_sort(kids.begin(), kids.end(), [band](const Region& a, const Region& b) {
    double ba = std::floor(a.cv / band), bb = std::floor(b.cv / band);
    if (ba != bb) return ba > bb;
    return a.cu < b.cu;
  });
}

// Splits every parent region into children; counts[i] children for parent i.
std::vector<Region> split_level(const std::vector<Region>& parents, const std::vector<int>& counts,
                                Partitioner& part, Rng& rng, int nx) {
  std::vector<Region> out;
  for (size_t p = 0; p < parents.size(); ++p) {
    auto pieces = part.split(parents[p].cells, counts[p], rng);
    std::vector<Region> kids;
    for (auto& cells : pieces) {
      Region r;
      r.parent = static_cast<int>(p);
      r.cells = std::move(cells);
      kids.push_back(std::move(r));
    }
    order_children(kids, nx);
    for (auto& k : kids) out.push_back(std::move(k));
  }
  return out;
}

std::vector<int> counts_for(const std::vector<Region>& parents, int total) {
  std::vector<double> w;
  std::vector<int> cap;
  for (auto& p : parents) w.push_back(static_cast<double>(p.cells.size())), cap.push_back(static_cast<int>(p.cells.size()));
  return allocate(total, w, cap);
}

// ---- boundaries ------------------------------------------------------------------------------

struct Edge {
  int64_t start;  // vertex key j * (nx + 1) + i
  int x, y, dir;
};

double ring_area2(const std::vector<std::pair<int, int>>& v) {
  double a = 0;
  for (size_t i = 0, n = v.size(); i < n; ++i) {
    auto [x1, y1] = v[i];
    auto [x2, y2] = v[(i + 1) % n];
    a += static_cast<double>(x1) * y2 - static_cast<double>(x2) * y1;
  }
  return a;
}

bool ring_contains(const std::vector<std::pair<int, int>>& ring, double px, double py) {
  bool in = false;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    double xi = ring[i].first, yi = ring[i].second, xj = ring[j].first, yj = ring[j].second;
    if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

void trace(Region& region, const std::vector<int>& label, int me, const Layout& layout) {
  int nx = layout.nx, ny = layout.ny;
  auto key = [nx](int i, int j) { return static_cast<int64_t>(j) * (nx + 1) + i; };
  std::vector<Edge> edges;
  for (int c : region.cells) {
    int i = c % nx, j = c / nx;
    const int nb[4][2] = {{i, j - 1}, {i + 1, j}, {i, j + 1}, {i - 1, j}};
    const int start[4][2] = {{i, j}, {i + 1, j}, {i + 1, j + 1}, {i, j + 1}};
    for (int d = 0; d < 4; ++d) {
      int a = nb[d][0], b = nb[d][1];
      bool same = a >= 0 && b >= 0 && a < nx && b < ny && label[b * nx + a] == me;
      if (!same) edges.push_back({key(start[d][0], start[d][1]), start[d][0], start[d][1], d});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    return a.start != b.start ? a.start < b.start : a.dir < b.dir;
  });
  std::vector<char> used(edges.size(), 0);
  auto find = [&](int64_t k, int dir) -> int {
    auto it = std::lower_bound(edges.begin(), edges.end(), k,
                               [](const Edge& e, int64_t v) { return e.start < v; });
    for (; it != edges.end() && it->start == k; ++it)
      if (it->dir == dir) return static_cast<int>(it - edges.begin());
    return -1;
  };
  std::vector<std::vector<std::pair<int, int>>> rings;
  for (size_t e0 = 0; e0 < edges.size(); ++e0) {
    if (used[e0]) continue;
    std::vector<std::pair<int, int>> ring;
    int e = static_cast<int>(e0);
    for (size_t guard = 0; guard <= edges.size(); ++guard) {
      used[e] = 1;
      const Edge& cur = edges[e];
      ring.push_back({cur.x, cur.y});
      int ex = cur.x + kDx[cur.dir], ey = cur.y + kDy[cur.dir];
      int next = -1;
      for (int turn : {1, 0, 3}) {  // left first: rings split where a region touches itself
        int cand = find(key(ex, ey), (cur.dir + turn) % 4);
        if (cand >= 0 && (!used[cand] || cand == static_cast<int>(e0))) {
          next = cand;
          break;
        }
      }
      if (next < 0) throw_internal("demo layout: open boundary");
      if (next == static_cast<int>(e0)) break;
      e = next;
    }
    rings.push_back(std::move(ring));
  }
  // Shells run counter-clockwise, holes clockwise; each hole goes to the shell around it.
  std::vector<size_t> shells, holes;
  for (size_t r = 0; r < rings.size(); ++r) (ring_area2(rings[r]) > 0 ? shells : holes).push_back(r);
  std::vector<std::vector<size_t>> holes_of(shells.size());
  for (size_t h : holes) {
    auto [x1, y1] = rings[h][0];
    auto [x2, y2] = rings[h][1];
    double px = (x1 + x2) / 2.0, py = (y1 + y2) / 2.0;
    size_t owner = 0;
    for (size_t s = 0; s < shells.size(); ++s)
      if (ring_contains(rings[shells[s]], px, py)) owner = s;
    holes_of[owner].push_back(h);
  }
  auto to_lonlat = [&](const std::vector<std::pair<int, int>>& ring) {
    std::vector<LonLat> out;
    for (size_t k = 0; k < ring.size(); ++k) {
      auto [x1, y1] = ring[k];
      auto [x2, y2] = ring[(k + 1) % ring.size()];
      out.push_back(layout.at(x1, y1));
      out.push_back(layout.at((x1 + x2) / 2.0, (y1 + y2) / 2.0));  // streets bend between corners
    }
    out.push_back(out.front());
    return out;
  };
  for (size_t s = 0; s < shells.size(); ++s) {
    std::vector<std::vector<LonLat>> poly{to_lonlat(rings[shells[s]])};
    for (size_t h : holes_of[s]) poly.push_back(to_lonlat(rings[h]));
    region.polygons.push_back(std::move(poly));
  }
}

std::vector<int> labels_of(const std::vector<Region>& level, size_t cells) {
  std::vector<int> label(cells, -1);
  for (size_t r = 0; r < level.size(); ++r)
    for (int c : level[r].cells) label[c] = static_cast<int>(r);
  return label;
}

}  // namespace

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

double Rng::lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

LonLat Layout::at(double u, double v) const {
  int i = std::clamp(static_cast<int>(std::floor(u)), 0, nx - 1);
  int j = std::clamp(static_cast<int>(std::floor(v)), 0, ny - 1);
  double x = col_x[i] + (u - i) * (col_x[i + 1] - col_x[i]);
  double y = row_y[j] + (v - j) * (row_y[j + 1] - row_y[j]);
  double dx = warp[0] * std::sin(y / warp[1] + warp[2]) + warp[3] * std::sin((x + y) / warp[4] + warp[5]);
  double dy = warp[6] * std::sin(x / warp[7] + warp[8]) + warp[9] * std::sin((x - y) / warp[10] + warp[11]);
  x += dx - col_x.back() / 2;
  y += dy - row_y.back() / 2;
  MetresPerDegree m = metres_per_degree(centre.lat);
  return {centre.lon + x / m.lon, centre.lat + y / m.lat};
}

int Layout::grid_at(double u, double v) const {
  if (u < 0 || v < 0 || u >= nx || v >= ny) return -1;
  return grid_of_cell[cell(static_cast<int>(u), static_cast<int>(v))];
}

Layout make_layout(const LayoutSpec& spec, Rng& rng) {
  Layout L;
  L.centre = spec.centre;
  double target = spec.grids * spec.cells_per_grid;
  int n = static_cast<int>(std::ceil(2 * std::sqrt(target / kPi) * 1.45)) + 6;
  L.nx = L.ny = n;
  L.col_x.push_back(0);
  L.row_y.push_back(0);
  for (int i = 0; i < n; ++i) L.col_x.push_back(L.col_x.back() + rng.uniform(spec.block_min_m, spec.block_max_m));
  for (int j = 0; j < n; ++j) L.row_y.push_back(L.row_y.back() + rng.uniform(spec.block_min_m, spec.block_max_m));
  // Two waves per axis; slopes stay well below 1 so the warp never folds a block.
  for (int w = 0; w < 2; ++w) {
    double* p = L.warp + 6 * w;
    p[0] = rng.uniform(20, 45), p[1] = rng.uniform(300, 700), p[2] = rng.uniform(0, 2 * kPi);
    p[3] = rng.uniform(10, 30), p[4] = rng.uniform(500, 1200), p[5] = rng.uniform(0, 2 * kPi);
  }
  std::vector<char> blob = make_blob(n, target, rng);
  Region city;
  for (int c = 0; c < n * n; ++c)
    if (blob[c]) city.cells.push_back(c);

  Partitioner part{{n, n}, std::vector<int>(static_cast<size_t>(n) * n, -2)};
  std::vector<Region> top{city};
  L.counties = split_level(top, {spec.counties}, part, rng, n);
  L.subdistricts = split_level(L.counties, counts_for(L.counties, spec.subdistricts), part, rng, n);

  std::vector<int> comm_counts, grid_counts;
  if (spec.special_subdistrict >= 0) {
    // One subdistrict with fixed counts, the others share the rest by area.
    std::vector<Region> others;
    for (size_t s = 0; s < L.subdistricts.size(); ++s)
      if (static_cast<int>(s) != spec.special_subdistrict) others.push_back(L.subdistricts[s]);
    std::vector<int> rest = counts_for(others, spec.communities - spec.special_communities);
    for (size_t s = 0, o = 0; s < L.subdistricts.size(); ++s)
      comm_counts.push_back(static_cast<int>(s) == spec.special_subdistrict ? spec.special_communities : rest[o++]);
  } else {
    comm_counts = counts_for(L.subdistricts, spec.communities);
  }
  L.communities = split_level(L.subdistricts, comm_counts, part, rng, n);
  if (spec.special_subdistrict >= 0) {
    std::vector<Region> special, others;
    std::vector<size_t> is_special;
    for (auto& c : L.communities) (c.parent == spec.special_subdistrict ? special : others).push_back(c);
    std::vector<int> a = counts_for(special, spec.special_grids);
    std::vector<int> b = counts_for(others, spec.grids - spec.special_grids);
    size_t ia = 0, ib = 0;
    for (auto& c : L.communities) grid_counts.push_back(c.parent == spec.special_subdistrict ? a[ia++] : b[ib++]);
  } else {
    grid_counts = counts_for(L.communities, spec.grids);
  }
  L.grids = split_level(L.communities, grid_counts, part, rng, n);

  size_t cells = static_cast<size_t>(n) * n;
  L.grid_of_cell = labels_of(L.grids, cells);
  for (auto* level : {&L.subdistricts, &L.communities, &L.grids}) {
    std::vector<int> label = labels_of(*level, cells);
    for (size_t r = 0; r < level->size(); ++r) trace((*level)[r], label, static_cast<int>(r), L);
  }
  return L;
}

}  // namespace gridmap::data::demo
