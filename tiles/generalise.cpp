#include "tiles/generalise.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "geo/error.hpp"
#include "geo/geos.hpp"
#include "tiles/validity.hpp"

namespace gridmap::tiles {
namespace {

struct DBox {
  double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
};

DBox box_of(const DFeature& f) {
  DBox b;
  for (const DPolygon& p : f) {
    if (p.rings.empty()) continue;
    for (const TileXY& q : p.rings[0]) {
      b.min_x = std::min(b.min_x, q.x), b.max_x = std::max(b.max_x, q.x);
      b.min_y = std::min(b.min_y, q.y), b.max_y = std::max(b.max_y, q.y);
    }
  }
  return b;
}

// ---- GEOS round trip, for the features that cross the buffer's edge and for repairs ----

geos::GeomPtr ring_to_geos(const std::vector<TileXY>& r) {
  std::vector<double> xy;
  xy.reserve(2 * r.size() + 2);
  for (const TileXY& p : r) xy.push_back(p.x), xy.push_back(p.y);
  xy.push_back(r[0].x), xy.push_back(r[0].y);
  GEOSContextHandle_t c = geos::ctx();
  GEOSCoordSequence* seq =
      GEOSCoordSeq_copyFromBuffer_r(c, xy.data(), static_cast<unsigned>(r.size() + 1), 0, 0);
  if (!seq) throw_internal("GEOS: cannot make a coordinate sequence");
  return geos::own(GEOSGeom_createLinearRing_r(c, seq), "linear ring");
}

geos::GeomPtr to_geos(const DFeature& f) {
  GEOSContextHandle_t c = geos::ctx();
  std::vector<geos::GeomPtr> parts;
  for (const DPolygon& p : f) {
    if (p.rings.empty() || p.rings[0].size() < 3) continue;
    geos::GeomPtr shell = ring_to_geos(p.rings[0]);
    std::vector<geos::GeomPtr> holes;
    for (size_t i = 1; i < p.rings.size(); ++i)
      if (p.rings[i].size() >= 3) holes.push_back(ring_to_geos(p.rings[i]));
    std::vector<GEOSGeometry*> raw;
    for (auto& h : holes) raw.push_back(h.get());
    GEOSGeometry* poly =
        GEOSGeom_createPolygon_r(c, shell.get(), raw.data(), static_cast<unsigned>(raw.size()));
    if (!poly) throw_internal("GEOS: cannot make a polygon");
    shell.release();
    for (auto& h : holes) h.release();
    parts.push_back(geos::GeomPtr(poly));
  }
  std::vector<GEOSGeometry*> raw;
  for (auto& p : parts) raw.push_back(p.get());
  GEOSGeometry* multi = GEOSGeom_createCollection_r(c, GEOS_MULTIPOLYGON, raw.data(),
                                                    static_cast<unsigned>(raw.size()));
  if (!multi) throw_internal("GEOS: cannot make a multipolygon");
  for (auto& p : parts) p.release();
  return geos::GeomPtr(multi);
}

std::vector<TileXY> ring_from_geos(const GEOSGeometry* ring) {
  thread_local std::vector<double> xy;
  geos::ring_xy(ring, xy);
  std::vector<TileXY> out(xy.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = {xy[2 * i], xy[2 * i + 1]};
  if (out.size() > 1 && out.front().x == out.back().x && out.front().y == out.back().y)
    out.pop_back();
  return out;
}

void collect(const GEOSGeometry* g, DFeature& out) {
  geos::for_each_polygon(g, [&](const GEOSGeometry* poly) {
    DPolygon p;
    geos::for_each_ring(poly, [&](const GEOSGeometry* ring, int) { p.rings.push_back(ring_from_geos(ring)); });
    out.push_back(std::move(p));
  });
}

DFeature clip(const DFeature& f, double lo, double hi) {
  geos::GeomPtr g = to_geos(f);
  GEOSContextHandle_t c = geos::ctx();
  GEOSGeometry* clipped = GEOSClipByRect_r(c, g.get(), lo, lo, hi, hi);
  if (!clipped) {
    // Only a broken input gets here; repair it and clip again.
    geos::GeomPtr valid = geos::make_valid_areal(g.get());
    clipped = GEOSClipByRect_r(c, valid.get(), lo, lo, hi, hi);
  }
  geos::GeomPtr owned = geos::own(clipped, "clip to tile");
  DFeature out;
  collect(owned.get(), out);
  return out;
}

// Snap-rounding to the integer grid, which GEOS guarantees to leave valid: vertices stay
// where they are, crossings become nodes.
std::vector<IPolygon> snap_round(const std::vector<IPolygon>& polys) {
  DFeature f;
  for (const IPolygon& p : polys) {
    DPolygon d;
    for (const IRing& r : p.rings) {
      std::vector<TileXY> ring;
      for (const IPoint& q : r) ring.push_back({double(q.x), double(q.y)});
      if (ring.size() >= 3) d.rings.push_back(std::move(ring));
    }
    if (!d.rings.empty()) f.push_back(std::move(d));
  }
  if (f.empty()) return {};
  geos::GeomPtr g = to_geos(f);
  GEOSGeometry* rounded = GEOSGeom_setPrecision_r(geos::ctx(), g.get(), 1.0, 0);
  if (!rounded)
    rounded = GEOSGeom_setPrecision_r(geos::ctx(), geos::make_valid_areal(g.get()).get(), 1.0, 0);
  geos::GeomPtr valid = geos::own(rounded, "snap rounding");
  DFeature parts;
  collect(valid.get(), parts);
  std::vector<IPolygon> out;
  for (const DPolygon& p : parts) {
    IPolygon q;
    for (const auto& r : p.rings) {
      IRing ir;
      for (const TileXY& t : r)
        ir.push_back(
            {static_cast<int32_t>(std::lround(t.x)), static_cast<int32_t>(std::lround(t.y))});
      q.rings.push_back(std::move(ir));
    }
    out.push_back(std::move(q));
  }
  return out;
}

// ---- snapping and the boundary network ----

IRing quantise(const std::vector<TileXY>& r) {
  IRing out;
  out.reserve(r.size());
  for (const TileXY& p : r) {
    IPoint q{static_cast<int32_t>(std::lround(p.x)), static_cast<int32_t>(std::lround(p.y))};
    if (out.empty() || out.back() != q) out.push_back(q);
  }
  while (out.size() > 1 && out.back() == out.front()) out.pop_back();
  return out;
}

uint64_t key_of(IPoint p) {
  return (uint64_t{static_cast<uint32_t>(p.x)} << 32) | static_cast<uint32_t>(p.y);
}

// For each vertex: the first neighbour pair it was seen with, and whether it is a junction.
class Network {
 public:
  explicit Network(size_t vertices, int32_t edge_lo, int32_t edge_hi) : lo_(edge_lo), hi_(edge_hi) {
    nodes_.reserve(vertices);
  }
  void add(const IRing& r) {
    size_t n = r.size();
    for (size_t i = 0; i < n; ++i) {
      IPoint a = r[(i + n - 1) % n], b = r[(i + 1) % n];
      if (b < a) std::swap(a, b);
      auto [it, fresh] = nodes_.try_emplace(key_of(r[i]), Node{a, b, 1, false});
      if (fresh) continue;
      Node& node = it->second;
      // Seen again: fine when with the same two neighbours (a border of two areas).
      if (++node.count > 2 || node.a != a || node.b != b) node.junction = true;
    }
  }
  bool is_junction(IPoint p) const {
    if (p.x <= lo_ || p.x >= hi_ || p.y <= lo_ || p.y >= hi_) return true;  // the clip edge
    auto it = nodes_.find(key_of(p));
    return it != nodes_.end() && it->second.junction;
  }

 private:
  struct Node {
    IPoint a, b;
    uint32_t count;
    bool junction;
  };
  std::unordered_map<uint64_t, Node> nodes_;
  int32_t lo_, hi_;
};

double segment_distance2(IPoint p, IPoint a, IPoint b) {
  double dx = double(b.x) - a.x, dy = double(b.y) - a.y;
  double px = double(p.x) - a.x, py = double(p.y) - a.y;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
  double ex = px - t * dx, ey = py - t * dy;
  return ex * ex + ey * ey;
}

// Douglas-Peucker over a chain whose ends are kept; marks kept vertices in `keep`.
void douglas_peucker(std::span<const IPoint> c, double tolerance2, std::vector<char>& keep) {
  keep.assign(c.size(), 0);
  keep.front() = keep.back() = 1;
  std::vector<std::pair<size_t, size_t>> stack{{0, c.size() - 1}};
  while (!stack.empty()) {
    auto [i, j] = stack.back();
    stack.pop_back();
    double best = tolerance2;
    size_t at = 0;
    for (size_t k = i + 1; k < j; ++k) {
      double d = segment_distance2(c[k], c[i], c[j]);
      if (d > best) best = d, at = k;
    }
    if (at) {
      keep[at] = 1;
      stack.push_back({i, at});
      stack.push_back({at, j});
    }
  }
}

// Simplifies a chain in its canonical direction, so that the same chain walked the other
// way (by the area on its other side) keeps the same vertices. Appends all but the last
// kept vertex to `out`.
void simplify_chain(std::vector<IPoint>& chain, double tolerance2, std::vector<char>& keep,
                    IRing& out) {
  size_t m = chain.size();
  bool reversed = chain.back() < chain.front() ||
                  (chain.front() == chain.back() && m > 2 && chain[m - 2] < chain[1]);
  if (reversed) std::reverse(chain.begin(), chain.end());
  douglas_peucker(chain, tolerance2, keep);
  if (reversed) {
    std::reverse(chain.begin(), chain.end());
    std::reverse(keep.begin(), keep.end());
  }
  for (size_t k = 0; k + 1 < m; ++k)
    if (keep[k]) out.push_back(chain[k]);
}

IRing simplify_ring(const IRing& r, const Network& net, double tolerance2) {
  size_t n = r.size();
  std::vector<size_t> junctions;
  for (size_t i = 0; i < n; ++i)
    if (net.is_junction(r[i])) junctions.push_back(i);
  IRing out;
  std::vector<IPoint> chain;
  std::vector<char> keep;
  if (junctions.empty()) {
    // A ring of its own (or one shared whole, as an enclave and the hole around it): start
    // at its smallest vertex.
    size_t start = static_cast<size_t>(std::min_element(r.begin(), r.end()) - r.begin());
    for (size_t k = 0; k <= n; ++k) chain.push_back(r[(start + k) % n]);
    simplify_chain(chain, tolerance2, keep, out);
    return out;
  }
  for (size_t j = 0; j < junctions.size(); ++j) {
    size_t from = junctions[j], to = junctions[(j + 1) % junctions.size()];
    size_t len = (to + n - from) % n;
    if (len == 0) len = n;  // one junction: the chain goes all the way round
    chain.clear();
    for (size_t k = 0; k <= len; ++k) chain.push_back(r[(from + k) % n]);
    simplify_chain(chain, tolerance2, keep, out);
  }
  return out;
}

// Whether b turns straight back on the line it came from (a zero-width spike), or repeats a.
bool backtracks(IPoint a, IPoint b, IPoint c) {
  if (a == b || b == c) return true;
  int64_t cross =
      (int64_t{b.x} - a.x) * (int64_t{c.y} - b.y) - (int64_t{b.y} - a.y) * (int64_t{c.x} - b.x);
  int64_t dot =
      (int64_t{b.x} - a.x) * (int64_t{c.x} - b.x) + (int64_t{b.y} - a.y) * (int64_t{c.y} - b.y);
  return cross == 0 && dot < 0;
}

// The ring without repeated points and spikes (snapping folds a vertex just inside the clip
// edge onto it, for one). Removing a spike leaves the area exactly as it was, so neighbours
// stay seamless whichever of them has it.
IRing without_spikes(const IRing& in) {
  IRing r;
  r.reserve(in.size());
  for (const IPoint& v : in) {
    r.push_back(v);
    while (r.size() >= 3 && backtracks(r[r.size() - 3], r[r.size() - 2], r.back()))
      r.erase(r.end() - 2);
    if (r.size() == 2 && r[0] == r[1]) r.pop_back();
  }
  // Across the closing point: drop from either end until both joints are clean.
  for (bool changed = true; changed && r.size() >= 3;) {
    changed = false;
    if (backtracks(r[r.size() - 2], r.back(), r[0]))
      r.pop_back(), changed = true;
    else if (r.size() >= 3 && backtracks(r.back(), r[0], r[1]))
      r.erase(r.begin()), changed = true;
  }
  return r;
}

// Rings without repeated points or spikes; polygons whose exterior (or holes whose area) is
// below min_area are dropped.
std::vector<IPolygon> tidy(std::vector<IPolygon> polys, double min_area) {
  std::vector<IPolygon> out;
  for (IPolygon& p : polys) {
    IPolygon q;
    for (size_t i = 0; i < p.rings.size(); ++i) {
      IRing r = without_spikes(p.rings[i]);
      if (r.size() < 3 || std::abs(double(twice_area(r))) < 2 * min_area) {
        if (i == 0) break;
        continue;
      }
      q.rings.push_back(std::move(r));
    }
    if (!q.rings.empty()) out.push_back(std::move(q));
  }
  return out;
}

// Sutherland-Hodgman: the ring clipped to one side of an axis-parallel line.
// axis 0: x, 1: y; keep points with coordinate >= c (upper = false) or <= c (upper = true).
void clip_ring_edge(const std::vector<TileXY>& in, int axis, double c, bool upper,
                    std::vector<TileXY>& out) {
  out.clear();
  size_t n = in.size();
  if (n == 0) return;
  auto coord = [axis](const TileXY& p) { return axis ? p.y : p.x; };
  auto inside = [&](const TileXY& p) { return upper ? coord(p) <= c : coord(p) >= c; };
  auto crossing = [&](TileXY a, TileXY b) {
    // The same point whichever way the segment is walked.
    if (b.x < a.x || (b.x == a.x && b.y < a.y)) std::swap(a, b);
    double t = (c - coord(a)) / (coord(b) - coord(a));
    return axis ? TileXY{a.x + t * (b.x - a.x), c} : TileXY{c, a.y + t * (b.y - a.y)};
  };
  TileXY prev = in[n - 1];
  bool prev_in = inside(prev);
  for (size_t i = 0; i < n; ++i) {
    const TileXY& cur = in[i];
    bool cur_in = inside(cur);
    if (cur_in != prev_in) out.push_back(crossing(prev, cur));
    if (cur_in) out.push_back(cur);
    prev = cur, prev_in = cur_in;
  }
}

}  // namespace

std::vector<IPolygon> clip_to_box(std::span<const IPolygon> polygons, int32_t lo, int32_t hi,
                                  double min_area, GeneraliseStats* stats) {
  if (stats) ++stats->clipped;
  std::vector<IPolygon> out;
  std::vector<TileXY> a, b;
  for (const IPolygon& p : polygons) {
    IPolygon q;
    for (const IRing& r : p.rings) {
      a.clear();
      for (const IPoint& v : r) a.push_back({double(v.x), double(v.y)});
      clip_ring_edge(a, 0, lo, false, b);
      clip_ring_edge(b, 0, hi, true, a);
      clip_ring_edge(a, 1, lo, false, b);
      clip_ring_edge(b, 1, hi, true, a);
      q.rings.push_back(quantise(a));
      if (q.rings.size() == 1 && q.rings[0].size() < 3) break;  // the exterior is gone
    }
    if (!q.rings.empty() && q.rings[0].size() >= 3) out.push_back(std::move(q));
  }
  out = tidy(std::move(out), min_area);
  if (out.empty() || is_strictly_valid(out)) return out;
  // A bridge along the edge (or a crossing made by rounding): GEOS clips, then snap-rounds.
  if (stats) ++stats->repaired;
  DFeature f;
  for (const IPolygon& p : polygons) {
    DPolygon d;
    for (const IRing& r : p.rings) {
      std::vector<TileXY> ring;
      for (const IPoint& v : r) ring.push_back({double(v.x), double(v.y)});
      if (ring.size() >= 3) d.rings.push_back(std::move(ring));
    }
    if (!d.rings.empty()) f.push_back(std::move(d));
  }
  std::vector<IPolygon> snapped;
  for (const DPolygon& p : clip(f, lo, hi)) {
    IPolygon q;
    for (const auto& r : p.rings) q.rings.push_back(quantise(r));
    snapped.push_back(std::move(q));
  }
  out = tidy(std::move(snapped), min_area);
  if (!out.empty() && !is_strictly_valid(out)) out = tidy(snap_round(out), min_area);
  return out;
}

double twice_area(const std::vector<TileXY>& r) {
  double sum = 0;
  for (size_t i = 0, n = r.size(); i < n; ++i) {
    const TileXY &a = r[i], &b = r[(i + 1) % n];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum;
}

std::vector<std::vector<IPolygon>> generalise_areas(std::span<const DFeature> features,
                                                    const GeneraliseOptions& o,
                                                    GeneraliseStats* stats) {
  std::vector<const DFeature*> pointers;
  pointers.reserve(features.size());
  for (const DFeature& f : features) pointers.push_back(&f);
  return generalise_areas(std::span<const DFeature* const>(pointers), o, stats);
}

std::vector<std::vector<IPolygon>> generalise_areas(std::span<const DFeature* const> features,
                                                    const GeneraliseOptions& o,
                                                    GeneraliseStats* stats) {
  GeneraliseStats local;
  GeneraliseStats& s = stats ? *stats : local;
  double lo = -o.buffer, hi = o.extent + o.buffer;
  // 1. Clip (only what crosses the buffer's edge goes through GEOS) and snap.
  std::vector<std::vector<IPolygon>> snapped(features.size());
  size_t vertices = 0;
  DFeature clipped;
  for (size_t f = 0; f < features.size(); ++f) {
    const DFeature& feature = *features[f];
    DBox b = box_of(feature);
    for (const DPolygon& p : feature)
      for (const auto& r : p.rings) s.vertices_in += r.size();
    if (b.max_x < lo || b.min_x > hi || b.max_y < lo || b.min_y > hi) continue;
    const DFeature* inside = &feature;
    if (!(b.min_x >= lo && b.max_x <= hi && b.min_y >= lo && b.max_y <= hi)) {
      clipped = clip(feature, lo, hi);
      inside = &clipped;
      ++s.clipped;
    }
    snapped[f].reserve(inside->size());
    for (const DPolygon& p : *inside) {
      IPolygon q;
      for (const auto& r : p.rings) {
        q.rings.push_back(quantise(r));
        vertices += q.rings.back().size();
      }
      snapped[f].push_back(std::move(q));
    }
  }
  // 2. The boundary network of everything in the tile.
  Network net(vertices, static_cast<int32_t>(std::lround(lo)),
              static_cast<int32_t>(std::lround(hi)));
  for (const auto& polys : snapped)
    for (const IPolygon& p : polys)
      for (const IRing& r : p.rings)
        if (r.size() >= 3) net.add(r);
  // 3. Simplify chain by chain, tidy, and check; repair what the simplification broke.
  double tolerance2 = o.tolerance * o.tolerance;
  std::vector<std::vector<IPolygon>> out(features.size());
  for (size_t f = 0; f < features.size(); ++f) {
    if (snapped[f].empty()) {
      ++s.dropped;
      continue;
    }
    std::vector<IPolygon> simplified;
    for (const IPolygon& p : snapped[f]) {
      IPolygon q;
      for (const IRing& r : p.rings)
        q.rings.push_back(r.size() >= 3 ? simplify_ring(r, net, tolerance2) : IRing{});
      simplified.push_back(std::move(q));
    }
    out[f] = tidy(std::move(simplified), o.min_area);
    if (!out[f].empty() && !is_strictly_valid(out[f])) {
      out[f] = tidy(snap_round(out[f]), o.min_area);
      ++s.repaired;
    }
    if (out[f].empty()) ++s.dropped;
    for (const IPolygon& p : out[f])
      for (const IRing& r : p.rings) s.vertices_out += r.size();
  }
  return out;
}

std::optional<TileXY> interior_point(const DFeature& feature) {
  // The largest part; then a horizontal line through the middle of its box that passes
  // through no vertex, and the middle of the widest stretch of that line inside the part.
  const DPolygon* best = nullptr;
  double best_area = 0;
  for (const DPolygon& p : feature) {
    if (p.rings.empty()) continue;
    double a = std::abs(twice_area(p.rings[0]));
    for (size_t i = 1; i < p.rings.size(); ++i) a -= std::abs(twice_area(p.rings[i]));
    if (a > best_area) best_area = a, best = &p;
  }
  if (!best) return std::nullopt;
  double min_y = INFINITY, max_y = -INFINITY;
  for (const TileXY& q : best->rings[0]) min_y = std::min(min_y, q.y), max_y = std::max(max_y, q.y);
  double mid = (min_y + max_y) / 2, below = min_y, above = max_y;
  for (const auto& r : best->rings)
    for (const TileXY& q : r) {
      if (q.y <= mid) below = std::max(below, q.y);
      if (q.y > mid) above = std::min(above, q.y);
    }
  double y = (below + above) / 2;
  std::vector<double> xs;
  for (const auto& r : best->rings)
    for (size_t i = 0, n = r.size(); i < n; ++i) {
      const TileXY &a = r[i], &b = r[(i + 1) % n];
      if ((a.y > y) != (b.y > y)) xs.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
    }
  std::sort(xs.begin(), xs.end());
  double widest = -1, x = 0;
  for (size_t i = 0; i + 1 < xs.size(); i += 2)
    if (xs[i + 1] - xs[i] > widest) widest = xs[i + 1] - xs[i], x = (xs[i] + xs[i + 1]) / 2;
  if (widest < 0) return std::nullopt;
  return TileXY{x, y};
}

}  // namespace gridmap::tiles
