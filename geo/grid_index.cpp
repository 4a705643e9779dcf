#include "geo/grid_index.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/orient.hpp"

namespace gridmap {
namespace {

enum class Pip { out, in, boundary };

constexpr uint32_t kBoundaryBit = 0x80000000u;
constexpr uint32_t kMovedRefBit = 0x40000000u;  // the boundary cell's reference is not its centre
constexpr uint32_t kCellIndexMask = 0x3fffffffu;
constexpr uint32_t kInsideBit = 0x80000000u;  // in Entry::bits: the reference point is inside

struct XY {
  double x = 0, y = 0;
};

struct Ring {
  uint32_t first = 0;  // index of the first vertex; the ring is closed (last == first)
  uint32_t count = 0;  // vertices including the closing one
};

// A uniform grid of cells over the data extent. A cell is either wholly inside one grid
// (or none), or a boundary cell holding the ring edges that touch it plus the status of a
// reference point inside it; a query inside a boundary cell counts the edges crossed on
// the way from the reference point to the query point.
//
// Boundary cell b owns entries [cell_entries[b], cell_entries[b + 1]), one per grid that
// has edges in the cell or holds all of it, in ascending grid order; entry e owns the edge
// references [entries[e].first_ref, entries[e + 1].first_ref) (a sentinel entry ends the
// array). Everything is flat arrays of 4-byte indices, so a query touches few cache lines.
struct Entry {
  uint32_t bits = 0;  // grid | kInsideBit when the cell's reference point is inside it
  uint32_t first_ref = 0;
};

// A boundary cell whose reference point had to move off its centre (an edge ran through it).
struct MovedRef {
  uint32_t cell = 0;  // boundary cell index
  double x = 0, y = 0;
};

// Results of crossing(): the edge does not cross the path from the reference point R to
// the query point P, crosses it, holds P, or meets the path in a vertex or along a line
// (then the caller decides with the exact test).
enum Crossing : int { kNoCrossing = 0, kCrosses = 1, kOnEdge = 2, kAmbiguous = 3 };

}  // namespace

struct GridIndex::Impl {
  std::vector<XY> v;  // ring vertices
  std::vector<Ring> rings;
  std::vector<uint32_t> poly_rings;  // rings of poly p: [poly_rings[p], poly_rings[p + 1])
  std::vector<Box> boxes;
  Box extent{};
  int nx = 1, ny = 1;
  double cw = 1, ch = 1, inv_cw = 1, inv_ch = 1;
  // 0 none, p + 1 interior of p, kBoundaryBit [| kMovedRefBit] | boundary cell index
  std::vector<uint32_t> cell_value;
  std::vector<uint32_t> cell_entries;
  std::vector<Entry> entries;
  std::vector<uint32_t> refs;  // first vertex of an edge (edge = refs[k], refs[k] + 1)
  std::vector<MovedRef> moved_refs;  // sorted by cell

  size_t polys() const { return poly_rings.size() - 1; }

  // ---- exact point in polygon ---------------------------------------------------------

  Pip pip(uint32_t p, double x, double y) const {
    const Box& b = boxes[p];
    if (x < b.min_lon || x > b.max_lon || y < b.min_lat || y > b.max_lat) return Pip::out;
    bool inside = false;
    for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r) {
      const Ring& ring = rings[r];
      for (uint32_t k = ring.first; k + 1 < ring.first + ring.count; ++k) {
        double ax = v[k].x, ay = v[k].y, bx = v[k + 1].x, by = v[k + 1].y;
        if ((ay > y) != (by > y)) {
          int o = orientation(ax, ay, bx, by, x, y);
          if (o == 0) return Pip::boundary;
          if ((by > ay) == (o > 0)) inside = !inside;
        } else if (x >= std::min(ax, bx) && x <= std::max(ax, bx) && y >= std::min(ay, by) &&
                   y <= std::max(ay, by) && orientation(ax, ay, bx, by, x, y) == 0) {
          return Pip::boundary;
        }
      }
    }
    return inside ? Pip::in : Pip::out;
  }

  // ---- the query path -------------------------------------------------------------------

  Crossing crossing(double rx, double ry, double px, double py, uint32_t k) const {
    double ax = v[k].x, ay = v[k].y, bx = v[k + 1].x, by = v[k + 1].y;
    if (std::max(ax, bx) < std::min(rx, px) || std::min(ax, bx) > std::max(rx, px) ||
        std::max(ay, by) < std::min(ry, py) || std::min(ay, by) > std::max(ry, py))
      return kNoCrossing;
    // Points on vertices are common (addresses snapped to corners): no predicate needed.
    if ((px == ax && py == ay) || (px == bx && py == by)) return kOnEdge;
    int o4 = orientation(ax, ay, bx, by, px, py);
    int o3 = orientation(ax, ay, bx, by, rx, ry);
    if (o4 == 0) {
      bool within = px >= std::min(ax, bx) && px <= std::max(ax, bx) && py >= std::min(ay, by) &&
                    py <= std::max(ay, by);
      if (within) return kOnEdge;
      return o3 == 0 ? kAmbiguous : kNoCrossing;
    }
    // R is on no edge of the cell, so R on the edge's line means the path misses the edge.
    if (o3 == 0 || o3 == o4) return kNoCrossing;
    int o1 = orientation(rx, ry, px, py, ax, ay);
    int o2 = orientation(rx, ry, px, py, bx, by);
    if (o1 == 0 || o2 == 0) return kAmbiguous;
    return o1 != o2 ? kCrosses : kNoCrossing;
  }

  int column(double x) const { return std::clamp(static_cast<int>((x - extent.min_lon) * inv_cw), 0, nx - 1); }
  int row(double y) const { return std::clamp(static_cast<int>((y - extent.min_lat) * inv_ch), 0, ny - 1); }
  int cell_of(double x, double y) const { return row(y) * nx + column(x); }
  // Cell centres: the default reference points, computed the same way when building and querying.
  double centre_x(int i) const { return extent.min_lon + (i + 0.5) * cw; }
  double centre_y(int j) const { return extent.min_lat + (j + 0.5) * ch; }

  bool in_extent(double x, double y) const {
    return x >= extent.min_lon && x <= extent.max_lon && y >= extent.min_lat && y <= extent.max_lat;
  }

  XY reference(uint32_t value, int i, int j) const {
    if (!(value & kMovedRefBit)) return {centre_x(i), centre_y(j)};
    uint32_t b = value & kCellIndexMask;
    auto it = std::lower_bound(moved_refs.begin(), moved_refs.end(), b,
                               [](const MovedRef& m, uint32_t cell) { return m.cell < cell; });
    return {it->x, it->y};
  }

  uint32_t locate(double x, double y) const {
    if (!in_extent(x, y)) return kNone;
    int i = column(x), j = row(y);
    uint32_t value = cell_value[static_cast<size_t>(j) * nx + i];
    if (!(value & kBoundaryBit)) return value ? value - 1 : kNone;
    XY r = reference(value, i, j);
    uint32_t b = value & kCellIndexMask;
    // Entries ascend by grid, so the first grid holding the point is the answer.
    for (uint32_t e = cell_entries[b]; e < cell_entries[b + 1]; ++e) {
      const Entry& en = entries[e];
      uint32_t poly = en.bits & ~kInsideBit;
      uint32_t inside = en.bits >> 31;
      bool ambiguous = false;
      for (uint32_t k = en.first_ref; k < entries[e + 1].first_ref; ++k) {
        Crossing c = crossing(r.x, r.y, x, y, refs[k]);
        if (c == kOnEdge) {
          inside = 1, ambiguous = false;
          break;
        }
        if (c == kAmbiguous) ambiguous = true;
        else inside ^= static_cast<uint32_t>(c);
      }
      if (ambiguous) inside = pip(poly, x, y) != Pip::out;
      if (inside) return poly;
    }
    return kNone;
  }

  LocateHit detail_in(uint32_t b, double x, double y) const {
    LocateHit hit;
    for (uint32_t e = cell_entries[b]; e < cell_entries[b + 1]; ++e) {
      uint32_t poly = entries[e].bits & ~kInsideBit;
      Pip r = pip(poly, x, y);
      if (r == Pip::out) continue;
      if (!hit.grid) hit.grid = poly;
      else hit.neighbours.push_back(poly);
      hit.on_edge |= r == Pip::boundary;
    }
    return hit;
  }

  // ---- building ---------------------------------------------------------------------------

  void add_ring(const GEOSGeometry* ring, std::vector<double>& buf) {
    geos::ring_xy(ring, buf);
    size_t n = buf.size() / 2;
    if (n < 4) return;
    if (v.size() + n >= kBoundaryBit) throw_invalid("grid index: too many vertices");
    Ring r{static_cast<uint32_t>(v.size()), 0};
    for (size_t i = 0; i < n; ++i) {
      double x = buf[2 * i], y = buf[2 * i + 1];
      if (!std::isfinite(x) || !std::isfinite(y)) throw_invalid("grid index: non-finite coordinate");
      if (r.count > 0 && x == v.back().x && y == v.back().y) continue;  // repeated vertex
      v.push_back({x, y}), ++r.count;
    }
    if (r.count >= 4) rings.push_back(r);
    else v.resize(r.first);
  }

  void add_geometry(const GEOSGeometry* g, std::vector<double>& buf) {
    geos::for_each_polygon(g, [&](const GEOSGeometry* poly) {
      geos::for_each_ring(poly, [&](const GEOSGeometry* ring, int) { add_ring(ring, buf); });
    });
  }

  void compute_boxes() {
    bool any = false;
    for (size_t p = 0; p < polys(); ++p) {
      Box b{1e300, 1e300, -1e300, -1e300};
      for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r)
        for (uint32_t k = rings[r].first; k < rings[r].first + rings[r].count; ++k) {
          b.min_lon = std::min(b.min_lon, v[k].x), b.max_lon = std::max(b.max_lon, v[k].x);
          b.min_lat = std::min(b.min_lat, v[k].y), b.max_lat = std::max(b.max_lat, v[k].y);
        }
      boxes.push_back(b);
      if (b.min_lon > b.max_lon) continue;
      if (!any) extent = b, any = true;
      extent.min_lon = std::min(extent.min_lon, b.min_lon), extent.max_lon = std::max(extent.max_lon, b.max_lon);
      extent.min_lat = std::min(extent.min_lat, b.min_lat), extent.max_lat = std::max(extent.max_lat, b.max_lat);
    }
    if (!any) extent = {0, 0, 0, 0};
    // A margin keeps every edge strictly inside, so the first column starts outside all grids.
    double pad = std::max({1e-9, (extent.max_lon - extent.min_lon) * 1e-6, (extent.max_lat - extent.min_lat) * 1e-6});
    extent.min_lon -= pad, extent.min_lat -= pad, extent.max_lon += pad, extent.max_lat += pad;
  }

  void size_cells(double cells_per_edge) {
    double edges = static_cast<double>(v.size());
    double target = std::clamp(edges * cells_per_edge, 16.0, 1.5e8);
    double w = extent.max_lon - extent.min_lon, h = extent.max_lat - extent.min_lat;
    double side = std::sqrt(w * h / target);
    nx = std::clamp(static_cast<int>(std::ceil(w / side)), 1, 1 << 15);
    ny = std::clamp(static_cast<int>(std::ceil(h / side)), 1, 1 << 15);
    cw = w / nx, ch = h / ny;
    inv_cw = 1 / cw, inv_ch = 1 / ch;
  }

  // Stores the grids' vertices in row-major order of the grids' centres: a batch answered
  // cell by cell then reads the vertices of neighbouring grids from neighbouring memory.
  void order_vertices_by_cell() {
    std::vector<uint64_t> order(polys());
    for (uint32_t p = 0; p < polys(); ++p) {
      const Box& b = boxes[p];
      uint64_t cell = b.min_lon > b.max_lon ? UINT32_MAX
                                            : static_cast<uint64_t>(cell_of((b.min_lon + b.max_lon) / 2,
                                                                            (b.min_lat + b.max_lat) / 2));
      order[p] = cell << 32 | p;
    }
    std::sort(order.begin(), order.end());
    std::vector<XY> sorted;
    sorted.reserve(v.size());
    for (uint64_t it : order) {
      auto p = static_cast<uint32_t>(it);
      for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r) {
        Ring& ring = rings[r];
        auto first = static_cast<uint32_t>(sorted.size());
        sorted.insert(sorted.end(), v.begin() + ring.first, v.begin() + ring.first + ring.count);
        ring.first = first;
      }
    }
    v.swap(sorted);
  }

  // Calls f(cell, poly, vertex) for every cell an edge touches, conservatively (a tiny
  // margin around each row's span), in ascending (poly, vertex) order.
  template <class F>
  void rasterize_edges(F&& f) const {
    double ex = cw * 1e-6, ey = ch * 1e-6;
    for (uint32_t p = 0; p < polys(); ++p)
      for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r)
        for (uint32_t k = rings[r].first; k + 1 < rings[r].first + rings[r].count; ++k) {
          double ax = v[k].x, ay = v[k].y, bx = v[k + 1].x, by = v[k + 1].y;
          double ylo = std::min(ay, by) - ey, yhi = std::max(ay, by) + ey;
          int j0 = row(ylo), j1 = row(yhi);
          for (int j = j0; j <= j1; ++j) {
            double y0 = extent.min_lat + j * ch - ey, y1 = extent.min_lat + (j + 1) * ch + ey;
            double xlo, xhi;
            if (ay == by) {
              xlo = std::min(ax, bx), xhi = std::max(ax, bx);
            } else {
              double t0 = std::clamp((y0 - ay) / (by - ay), 0.0, 1.0), t1 = std::clamp((y1 - ay) / (by - ay), 0.0, 1.0);
              double xa = ax + (bx - ax) * t0, xb = ax + (bx - ax) * t1;
              xlo = std::min(xa, xb), xhi = std::max(xa, xb);
            }
            int i0 = column(xlo - ex), i1 = column(xhi + ex);
            for (int i = i0; i <= i1; ++i) f(static_cast<uint32_t>(j * nx + i), p, k);
          }
        }
  }

  // The (poly, vertex) pairs of every cell, grouped by cell in (poly, vertex) order: a
  // counting sort in two passes over the edges. Cell c's pairs are [end[c - 1], end[c]).
  void bucket_edges(std::vector<uint32_t>& end, std::vector<uint32_t>& poly_of, std::vector<uint32_t>& vertex_of) const {
    end.assign(static_cast<size_t>(nx) * ny, 0);
    uint64_t total = 0;
    rasterize_edges([&](uint32_t c, uint32_t, uint32_t) { ++end[c], ++total; });
    if (total >= kBoundaryBit) throw_invalid("grid index: too many edge cells; use fewer cells per edge");
    uint32_t sum = 0;
    for (uint32_t& e : end) sum += e, e = sum - e;  // now the start of each cell
    poly_of.resize(total), vertex_of.resize(total);
    rasterize_edges([&](uint32_t c, uint32_t p, uint32_t k) {
      uint32_t at = end[c]++;
      poly_of[at] = p, vertex_of[at] = k;
    });
  }

  // Grids holding point (x, y) among `candidates`, into `out`; false when it lies on an edge.
  bool holders(const std::vector<uint32_t>& candidates, double x, double y, std::vector<uint32_t>& out) const {
    out.clear();
    for (uint32_t p : candidates) {
      Pip r = pip(p, x, y);
      if (r == Pip::boundary) return false;
      if (r == Pip::in) out.push_back(p);
    }
    return true;
  }

  static void merge_into(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b, std::vector<uint32_t>& out) {
    out.clear();
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  }

  // Sweeps each row west to east carrying the set of grids that hold the current cell's
  // reference point; it can only change across cells that hold edges.
  void build_cells(const std::vector<uint32_t>& end, const std::vector<uint32_t>& poly_of) {
    cell_value.assign(static_cast<size_t>(nx) * ny, 0);
    cell_entries.push_back(0);
    std::vector<uint32_t> held, left_polys, here, both, candidates, h;
    uint32_t t = 0;
    for (int j = 0; j < ny; ++j) {
      held.clear();
      left_polys.clear();
      for (int i = 0; i < nx; ++i) {
        uint32_t c = static_cast<uint32_t>(j * nx + i);
        uint32_t t_end = end[c];
        here.clear();
        for (uint32_t q = t; q < t_end; ++q)
          if (here.empty() || here.back() != poly_of[q]) here.push_back(poly_of[q]);
        double cx = centre_x(i), cy = centre_y(j);
        if (here.empty()) {
          if (!left_polys.empty()) {
            merge_into(held, left_polys, candidates);
            if (!holders(candidates, cx, cy, h)) throw_internal("grid index: an edge escaped its cells");
            held.swap(h);
          }
          cell_value[c] = held.empty() ? 0 : held.front() + 1;
          left_polys.clear();
          continue;
        }
        merge_into(held, left_polys, both);
        merge_into(both, here, candidates);
        double rx = cx, ry = cy;
        for (int attempt = 1; !holders(candidates, rx, ry, h); ++attempt) {
          if (attempt > 64) throw_internal("grid index: no free reference point in a cell");
          // Walk away from the edge along an irrational-ish direction inside the cell.
          rx = cx + cw * 0.45 * std::fmod(attempt * 0.618033988749895, 1.0) - cw * 0.225;
          ry = cy + ch * 0.45 * std::fmod(attempt * 0.414213562373095, 1.0) - ch * 0.225;
        }
        uint32_t b = static_cast<uint32_t>(cell_entries.size() - 1);
        if (b > kCellIndexMask) throw_invalid("grid index: too many boundary cells; use fewer cells per edge");
        cell_value[c] = kBoundaryBit | b;
        if (rx != cx || ry != cy) {
          cell_value[c] |= kMovedRefBit;
          moved_refs.push_back({b, rx, ry});
        }
        // One entry per grid with edges here or holding the whole cell, ascending by grid.
        size_t hi = 0;
        for (uint32_t q = t; q < t_end || hi < h.size();) {
          uint32_t next_edge_poly = q < t_end ? poly_of[q] : kNone;
          uint32_t next_holder = hi < h.size() ? h[hi] : kNone;
          uint32_t poly = std::min(next_edge_poly, next_holder);
          bool inside = poly == next_holder;
          if (inside) ++hi;
          entries.push_back({poly | (inside ? kInsideBit : 0), q});
          while (q < t_end && poly_of[q] == poly) ++q;
        }
        cell_entries.push_back(static_cast<uint32_t>(entries.size()));
        // The next cell's reference point is reached from this one: carry what holds it.
        // Points between the two references may cross edges in this cell, so these grids
        // stay candidates for the next cell too.
        held.swap(h);
        left_polys.swap(here);
        t = t_end;
      }
    }
    entries.push_back({0, t});  // sentinel: ends the last entry's references
  }

  // ---- distances ----------------------------------------------------------------------------

  // Squared distance in local metres from p to the edges of grid `poly`, and the nearest point.
  double edge_distance2(uint32_t poly, LonLat p, MetresPerDegree m, LonLat& nearest) const {
    double best = std::numeric_limits<double>::infinity();
    for (uint32_t r = poly_rings[poly]; r < poly_rings[poly + 1]; ++r)
      for (uint32_t k = rings[r].first; k + 1 < rings[r].first + rings[r].count; ++k) {
        double ax = (v[k].x - p.lon) * m.lon, ay = (v[k].y - p.lat) * m.lat;
        double bx = (v[k + 1].x - p.lon) * m.lon, by = (v[k + 1].y - p.lat) * m.lat;
        double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0) : 0;
        double qx = ax + t * dx, qy = ay + t * dy, d2 = qx * qx + qy * qy;
        if (d2 < best) best = d2, nearest = {p.lon + qx / m.lon, p.lat + qy / m.lat};
      }
    return best;
  }
};

GridIndex::GridIndex(const std::vector<const GEOSGeometry*>& grids, double cells_per_edge)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (grids.size() >= kBoundaryBit) throw_invalid("grid index: too many grids");
  m.poly_rings.push_back(0);
  std::vector<double> buf;
  for (const GEOSGeometry* g : grids) {
    m.add_geometry(g, buf);
    m.poly_rings.push_back(static_cast<uint32_t>(m.rings.size()));
  }
  m.compute_boxes();
  m.size_cells(cells_per_edge);
  m.order_vertices_by_cell();
  std::vector<uint32_t> end, poly_of;
  m.bucket_edges(end, poly_of, m.refs);
  m.build_cells(end, poly_of);
  // The index is immutable from here on: give back what the vectors over-allocated.
  m.rings.shrink_to_fit(), m.poly_rings.shrink_to_fit(), m.boxes.shrink_to_fit(), m.cell_entries.shrink_to_fit();
  m.entries.shrink_to_fit(), m.moved_refs.shrink_to_fit();
}

GridIndex::~GridIndex() = default;
GridIndex::GridIndex(GridIndex&&) noexcept = default;
GridIndex& GridIndex::operator=(GridIndex&&) noexcept = default;

size_t GridIndex::size() const noexcept { return impl_->polys(); }

size_t GridIndex::memory_bytes() const noexcept {
  const Impl& m = *impl_;
  return sizeof(Impl) + m.v.capacity() * sizeof(XY) + m.rings.capacity() * sizeof(Ring) +
         m.poly_rings.capacity() * 4 + m.boxes.capacity() * sizeof(Box) + m.cell_value.capacity() * 4 +
         m.cell_entries.capacity() * 4 + m.entries.capacity() * sizeof(Entry) + m.refs.capacity() * 4 +
         m.moved_refs.capacity() * sizeof(MovedRef);
}

std::optional<uint32_t> GridIndex::locate(LonLat p) const {
  uint32_t g = impl_->locate(p.lon, p.lat);
  if (g == kNone) return std::nullopt;
  return g;
}

namespace {

// Below this many points a batch is answered in its own order; above, sorting pays.
constexpr size_t kSortedBatch = 4096;
constexpr size_t kMaxSortedBatch = size_t{1} << 31;  // positions fit in 32 bits

// Sorts (key << 32 | position) pairs by key, stably, with an LSD radix sort on 11-bit
// digits (histograms stay in L1), looking only at the bits that `max_key` needs.
void radix_sort_by_key(std::vector<uint64_t>& items, uint32_t max_key) {
  constexpr int kDigit = 11;
  constexpr uint32_t kMask = (1u << kDigit) - 1;
  int key_bits = 0;
  while (key_bits < 32 && (max_key >> key_bits) != 0) ++key_bits;
  std::vector<uint64_t> other(items.size());
  for (int shift = 32; shift < 32 + key_bits; shift += kDigit) {
    uint32_t count[kMask + 2] = {};
    for (uint64_t it : items) ++count[((it >> shift) & kMask) + 1];
    for (uint32_t d = 1; d <= kMask + 1; ++d) count[d] += count[d - 1];
    for (uint64_t it : items) other[count[(it >> shift) & kMask]++] = it;
    items.swap(other);
  }
}

}  // namespace

void GridIndex::locate_many(const LonLat* pts, size_t n, uint32_t* out) const {
  const Impl& m = *impl_;
  if (n < kSortedBatch) {
    for (size_t i = 0; i < n; ++i) out[i] = m.locate(pts[i].lon, pts[i].lat);
    return;
  }
  if (n > kMaxSortedBatch) {
    for (size_t first = 0; first < n; first += kMaxSortedBatch)
      locate_many(pts + first, std::min(kMaxSortedBatch, n - first), out + first);
    return;
  }
  // Answer the batch cell by cell in row-major order, the order in which cell values,
  // entries and edge references are laid out, so the walk runs forward through memory
  // instead of missing the cache at every step. Points outside the extent sort last.
  const uint32_t outside = static_cast<uint32_t>(m.cell_value.size());
  std::vector<uint64_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    double x = pts[i].lon, y = pts[i].lat;
    uint64_t cell = m.in_extent(x, y) ? static_cast<uint64_t>(m.cell_of(x, y)) : outside;
    order[i] = cell << 32 | i;
  }
  radix_sort_by_key(order, outside);
  // Gather and scatter in loops of their own: their loads are independent, so the
  // processor overlaps the misses, which it cannot do behind each query's dependent chain.
  std::vector<LonLat> sorted(n);
  for (size_t k = 0; k < n; ++k) sorted[k] = pts[static_cast<uint32_t>(order[k])];
  std::vector<uint32_t> found(n);
  for (size_t k = 0; k < n; ++k) found[k] = m.locate(sorted[k].lon, sorted[k].lat);
  for (size_t k = 0; k < n; ++k) out[static_cast<uint32_t>(order[k])] = found[k];
}

LocateHit GridIndex::locate_detail(LonLat p) const {
  const Impl& m = *impl_;
  LocateHit hit;
  if (!m.in_extent(p.lon, p.lat)) return hit;
  uint32_t v = m.cell_value[m.cell_of(p.lon, p.lat)];
  if (!(v & kBoundaryBit)) {
    if (v) hit.grid = v - 1;
    return hit;
  }
  return m.detail_in(v & kCellIndexMask, p.lon, p.lat);
}

double GridIndex::distance_to_boundary_m(LonLat p, uint32_t grid) const {
  if (grid >= size()) throw_invalid("grid index: no such grid");
  LonLat q;
  double d2 = impl_->edge_distance2(grid, p, metres_per_degree(p.lat), q);
  if (!std::isfinite(d2)) return d2;
  return geodesic_distance_m(p, q);
}

std::optional<NearestGrid> GridIndex::nearest(LonLat p, double max_m) const {
  const Impl& m = *impl_;
  MetresPerDegree mpd = metres_per_degree(p.lat);
  double cell_m = std::min(m.cw * mpd.lon, m.ch * mpd.lat);
  // Start from the cell nearest to p and widen square rings until they are farther than
  // the best boundary found.
  if (size() == 0) return std::nullopt;
  // Clamped as doubles, then converted: a point far outside the extent (or a degenerate
  // extent) gives cell numbers no int holds.
  auto cell = [](double v, int n) {
    return static_cast<int>(std::clamp(std::floor(v), 0.0, static_cast<double>(n - 1)));
  };
  int ci = cell((p.lon - m.extent.min_lon) * m.inv_cw, m.nx);
  int cj = cell((p.lat - m.extent.min_lat) * m.inv_ch, m.ny);
  double outside_m = std::max({0.0, (m.extent.min_lon - p.lon) * mpd.lon, (p.lon - m.extent.max_lon) * mpd.lon,
                               (m.extent.min_lat - p.lat) * mpd.lat, (p.lat - m.extent.max_lat) * mpd.lat});
  if (outside_m > max_m) return std::nullopt;
  double best2 = std::numeric_limits<double>::infinity();
  NearestGrid best;
  LonLat best_point;
  std::vector<uint32_t> seen;
  int max_ring = std::max(m.nx, m.ny);
  for (int ring = 0; ring <= max_ring; ++ring) {
    double ring_m = (ring - 1) * cell_m + outside_m;
    if (ring_m > max_m || (best2 < 1e300 && ring_m * ring_m > best2)) break;
    for (int j = cj - ring; j <= cj + ring; ++j) {
      if (j < 0 || j >= m.ny) continue;
      for (int i = ci - ring; i <= ci + ring; ++i) {
        if (i < 0 || i >= m.nx || (std::abs(i - ci) != ring && std::abs(j - cj) != ring)) continue;
        uint32_t v = m.cell_value[j * m.nx + i];
        if (!(v & kBoundaryBit)) continue;
        uint32_t b = v & kCellIndexMask;
        for (uint32_t e = m.cell_entries[b]; e < m.cell_entries[b + 1]; ++e) {
          uint32_t poly = m.entries[e].bits & ~kInsideBit;
          if (std::find(seen.begin(), seen.end(), poly) != seen.end()) continue;
          seen.push_back(poly);
          LonLat q;
          double d2 = m.edge_distance2(poly, p, mpd, q);
          if (d2 < best2 || (d2 == best2 && poly < best.grid)) best2 = d2, best.grid = poly, best_point = q;
        }
      }
    }
  }
  if (!(best2 < 1e300)) return std::nullopt;
  best.distance_m = geodesic_distance_m(p, best_point);
  if (best.distance_m > max_m) return std::nullopt;
  return best;
}

}  // namespace gridmap
