#include "tiles/validity.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace gridmap::tiles {
namespace {

int64_t cross(IPoint o, IPoint a, IPoint b) {
  return (int64_t{a.x} - o.x) * (int64_t{b.y} - o.y) - (int64_t{a.y} - o.y) * (int64_t{b.x} - o.x);
}

int sign(int64_t v) {
  return (v > 0) - (v < 0);
}

bool on_segment(IPoint p, IPoint a, IPoint b) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// Whether the closed segments ab and cd share any point.
bool meet(IPoint a, IPoint b, IPoint c, IPoint d) {
  int d1 = sign(cross(c, d, a)), d2 = sign(cross(c, d, b));
  int d3 = sign(cross(a, b, c)), d4 = sign(cross(a, b, d));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 == 0 && on_segment(a, c, d)) || (d2 == 0 && on_segment(b, c, d)) ||
         (d3 == 0 && on_segment(c, a, b)) || (d4 == 0 && on_segment(d, a, b));
}

struct Edge {
  IPoint a, b;
  uint32_t ring;
  uint32_t index, ring_size;
  int32_t min_x, max_x, min_y, max_y;
};

bool consecutive(const Edge& e, const Edge& f) {
  if (e.ring != f.ring) return false;
  uint32_t n = e.ring_size;
  return (e.index + 1) % n == f.index || (f.index + 1) % n == e.index;
}

// Consecutive edges p->q, q->r may only meet at q: a reversal (r on the line back over
// p->q) is a spike.
bool folds_back(const Edge& e, const Edge& f) {
  const Edge& first = (e.index + 1) % e.ring_size == f.index ? e : f;
  const Edge& second = &first == &e ? f : e;
  IPoint p = first.a, q = first.b, r = second.b;
  if (cross(p, q, r) != 0) return false;
  int64_t dot =
      (int64_t{q.x} - p.x) * (int64_t{r.x} - q.x) + (int64_t{q.y} - p.y) * (int64_t{r.y} - q.y);
  return dot < 0;
}

// Strictly inside (the caller knows the point is not on the ring).
bool inside(IPoint p, const IRing& r) {
  bool in = false;
  for (size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
    const IPoint &a = r[i], &b = r[j];
    if ((a.y > p.y) != (b.y > p.y)) {
      // p.x < intersection x, compared exactly: sign depends on the edge's direction.
      int64_t lhs = (int64_t{p.x} - a.x) * (int64_t{b.y} - a.y);
      int64_t rhs = (int64_t{b.x} - a.x) * (int64_t{p.y} - a.y);
      if (b.y > a.y ? lhs < rhs : lhs > rhs) in = !in;
    }
  }
  return in;
}

bool inside_polygon(IPoint p, const IPolygon& poly) {
  if (!inside(p, poly.rings[0])) return false;
  for (size_t h = 1; h < poly.rings.size(); ++h)
    if (inside(p, poly.rings[h])) return false;
  return true;
}

}  // namespace

bool is_strictly_valid(std::span<const IPolygon> polygons) {
  std::vector<Edge> edges;
  uint32_t ring_id = 0;
  for (const IPolygon& poly : polygons) {
    if (poly.rings.empty()) return false;
    for (const IRing& r : poly.rings) {
      if (r.size() < 3 || twice_area(r) == 0) return false;
      uint32_t n = static_cast<uint32_t>(r.size());
      for (uint32_t i = 0; i < n; ++i) {
        IPoint a = r[i], b = r[(i + 1) % n];
        if (a == b) return false;
        edges.push_back({a, b, ring_id, i, n, std::min(a.x, b.x), std::max(a.x, b.x),
                         std::min(a.y, b.y), std::max(a.y, b.y)});
      }
      ++ring_id;
    }
  }
  std::sort(edges.begin(), edges.end(),
            [](const Edge& l, const Edge& r) { return l.min_x < r.min_x; });
  for (size_t i = 0; i < edges.size(); ++i) {
    const Edge& e = edges[i];
    for (size_t j = i + 1; j < edges.size() && edges[j].min_x <= e.max_x; ++j) {
      const Edge& f = edges[j];
      if (f.max_y < e.min_y || f.min_y > e.max_y) continue;
      if (consecutive(e, f)) {
        // A triangle's edges are all consecutive; the area check above covers it.
        if (folds_back(e, f)) return false;
        continue;
      }
      if (meet(e.a, e.b, f.a, f.b)) return false;
    }
  }
  // No edges meet, so rings are nested or apart; one vertex tells which.
  for (size_t i = 0; i < polygons.size(); ++i) {
    const IPolygon& p = polygons[i];
    for (size_t h = 1; h < p.rings.size(); ++h) {
      if (!inside(p.rings[h][0], p.rings[0])) return false;
      for (size_t k = 1; k < p.rings.size(); ++k)
        if (k != h && inside(p.rings[h][0], p.rings[k])) return false;
    }
    for (size_t j = 0; j < polygons.size(); ++j)
      if (j != i && inside_polygon(p.rings[0][0], polygons[j])) return false;
  }
  return true;
}

}  // namespace gridmap::tiles
