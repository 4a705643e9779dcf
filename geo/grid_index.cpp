#include "geo/grid_index.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/orient.hpp"

namespace gridmap {
namespace {

enum class Pip { out, in, boundary };

constexpr uint32_t kBoundaryBit = 0x80000000u;

struct Ring {
  uint32_t first = 0;  // index of the first vertex; the ring is closed (last == first)
  uint32_t count = 0;  // vertices including the closing one
};

// A uniform grid of cells over the data extent. A cell is either wholly inside one grid
// (or none), or a boundary cell holding the ring edges that touch it plus the status of a
// reference point inside it; a query inside a boundary cell counts the edges crossed on
// the way from the reference point to the query point.
struct BoundaryCell {
  double rx = 0, ry = 0;         // reference point: inside no edge of the cell
  uint32_t first_entry = 0, n_entries = 0;
  uint32_t first_extra = 0, n_extra = 0;  // grids holding the whole cell
};

struct Entry {
  uint32_t poly = 0;
  uint32_t first_ref = 0, n_refs = 0;
  uint32_t ref_inside = 0;  // 1 when the reference point is inside `poly`
};

struct Tuple {
  uint32_t cell, poly, vertex;
  bool operator<(const Tuple& o) const {
    if (cell != o.cell) return cell < o.cell;
    if (poly != o.poly) return poly < o.poly;
    return vertex < o.vertex;
  }
};

}  // namespace

struct GridIndex::Impl {
  std::vector<double> vx, vy;
  std::vector<Ring> rings;
  std::vector<uint32_t> poly_rings;  // rings of poly p: [poly_rings[p], poly_rings[p + 1])
  std::vector<Box> boxes;
  Box extent{};
  int nx = 1, ny = 1;
  double cw = 1, ch = 1, inv_cw = 1, inv_ch = 1;
  std::vector<uint32_t> cell_value;  // 0 none, p + 1 interior of p, kBoundaryBit | boundary cell
  std::vector<BoundaryCell> bcells;
  std::vector<Entry> entries;
  std::vector<uint32_t> refs;    // first vertex of an edge (edge = refs[k], refs[k] + 1)
  std::vector<uint32_t> extras;  // grids holding a whole boundary cell

  size_t polys() const { return poly_rings.size() - 1; }

  // ---- exact point in polygon ---------------------------------------------------------

  Pip pip(uint32_t p, double x, double y) const {
    const Box& b = boxes[p];
    if (x < b.min_lon || x > b.max_lon || y < b.min_lat || y > b.max_lat) return Pip::out;
    bool inside = false;
    for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r) {
      const Ring& ring = rings[r];
      for (uint32_t k = ring.first; k + 1 < ring.first + ring.count; ++k) {
        double ax = vx[k], ay = vy[k], bx = vx[k + 1], by = vy[k + 1];
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

  // 0: the edge does not cross R->P; 1: it crosses; 2: degenerate (P on the edge, or the
  // path runs through a vertex) — the caller falls back to the exact full test.
  int crossing(double rx, double ry, double px, double py, uint32_t k) const {
    double ax = vx[k], ay = vy[k], bx = vx[k + 1], by = vy[k + 1];
    if (std::max(ax, bx) < std::min(rx, px) || std::min(ax, bx) > std::max(rx, px) ||
        std::max(ay, by) < std::min(ry, py) || std::min(ay, by) > std::max(ry, py))
      return 0;
    int o4 = orientation(ax, ay, bx, by, px, py);
    int o3 = orientation(ax, ay, bx, by, rx, ry);
    if (o4 == 0) {
      if (o3 == 0) return 2;
      bool within = px >= std::min(ax, bx) && px <= std::max(ax, bx) && py >= std::min(ay, by) &&
                    py <= std::max(ay, by);
      return within ? 2 : 0;
    }
    if (o3 == 0 || o3 == o4) return 0;
    int o1 = orientation(rx, ry, px, py, ax, ay);
    int o2 = orientation(rx, ry, px, py, bx, by);
    if (o1 == 0 || o2 == 0) return 2;
    return o1 != o2 ? 1 : 0;
  }

  int cell_of(double x, double y) const {
    int i = std::clamp(static_cast<int>((x - extent.min_lon) * inv_cw), 0, nx - 1);
    int j = std::clamp(static_cast<int>((y - extent.min_lat) * inv_ch), 0, ny - 1);
    return j * nx + i;
  }

  bool in_extent(double x, double y) const {
    return x >= extent.min_lon && x <= extent.max_lon && y >= extent.min_lat && y <= extent.max_lat;
  }

  uint32_t locate(double x, double y) const {
    if (!in_extent(x, y)) return kNone;
    uint32_t v = cell_value[cell_of(x, y)];
    if (!(v & kBoundaryBit)) return v ? v - 1 : kNone;
    const BoundaryCell& bc = bcells[v & ~kBoundaryBit];
    uint32_t best = kNone;
    for (uint32_t e = bc.first_entry; e < bc.first_entry + bc.n_entries; ++e) {
      const Entry& en = entries[e];
      uint32_t inside = en.ref_inside;
      for (uint32_t r = en.first_ref; r < en.first_ref + en.n_refs; ++r) {
        int c = crossing(bc.rx, bc.ry, x, y, refs[r]);
        if (c == 2) return slow_locate(bc, x, y);
        inside ^= static_cast<uint32_t>(c);
      }
      if (inside && en.poly < best) best = en.poly;
    }
    for (uint32_t e = bc.first_extra; e < bc.first_extra + bc.n_extra; ++e) best = std::min(best, extras[e]);
    return best;
  }

  uint32_t slow_locate(const BoundaryCell& bc, double x, double y) const {
    LocateHit hit = detail_in(bc, x, y);
    return hit.grid ? *hit.grid : kNone;
  }

  LocateHit detail_in(const BoundaryCell& bc, double x, double y) const {
    std::vector<uint32_t> found;
    bool edge = false;
    for (uint32_t e = bc.first_entry; e < bc.first_entry + bc.n_entries; ++e) {
      Pip r = pip(entries[e].poly, x, y);
      if (r != Pip::out) found.push_back(entries[e].poly);
      edge |= r == Pip::boundary;
    }
    for (uint32_t e = bc.first_extra; e < bc.first_extra + bc.n_extra; ++e) found.push_back(extras[e]);
    std::sort(found.begin(), found.end());
    LocateHit hit;
    if (found.empty()) return hit;
    hit.grid = found.front();
    hit.on_edge = edge;
    hit.neighbours.assign(found.begin() + 1, found.end());
    return hit;
  }

  // ---- building ---------------------------------------------------------------------------

  void add_ring(const GEOSGeometry* ring) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(geos::ctx(), ring);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(geos::ctx(), seq, &n)) throw_internal("grid index: unreadable ring");
    if (n < 4) return;
    Ring r{static_cast<uint32_t>(vx.size()), 0};
    for (unsigned i = 0; i < n; ++i) {
      double x, y;
      if (!GEOSCoordSeq_getXY_r(geos::ctx(), seq, i, &x, &y)) throw_internal("grid index: unreadable coordinate");
      if (!std::isfinite(x) || !std::isfinite(y)) throw_invalid("grid index: non-finite coordinate");
      if (r.count > 0 && x == vx.back() && y == vy.back()) continue;  // repeated vertex
      vx.push_back(x), vy.push_back(y), ++r.count;
    }
    if (r.count >= 4) rings.push_back(r);
    else vx.resize(r.first), vy.resize(r.first);
  }

  void add_polygon(const GEOSGeometry* poly) {
    add_ring(GEOSGetExteriorRing_r(geos::ctx(), poly));
    int holes = GEOSGetNumInteriorRings_r(geos::ctx(), poly);
    for (int h = 0; h < holes; ++h) add_ring(GEOSGetInteriorRingN_r(geos::ctx(), poly, h));
  }

  void add_geometry(const GEOSGeometry* g) {
    int type = geos::type_id(g);
    if (type == GEOS_POLYGON) {
      add_polygon(g);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
      int n = GEOSGetNumGeometries_r(geos::ctx(), g);
      for (int i = 0; i < n; ++i) add_geometry(GEOSGetGeometryN_r(geos::ctx(), g, i));
    }
  }

  void compute_boxes() {
    bool any = false;
    for (size_t p = 0; p < polys(); ++p) {
      Box b{1e300, 1e300, -1e300, -1e300};
      for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r)
        for (uint32_t k = rings[r].first; k < rings[r].first + rings[r].count; ++k) {
          b.min_lon = std::min(b.min_lon, vx[k]), b.max_lon = std::max(b.max_lon, vx[k]);
          b.min_lat = std::min(b.min_lat, vy[k]), b.max_lat = std::max(b.max_lat, vy[k]);
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
    double edges = static_cast<double>(vx.size());
    double target = std::clamp(edges * cells_per_edge, 16.0, 1.5e8);
    double w = extent.max_lon - extent.min_lon, h = extent.max_lat - extent.min_lat;
    double side = std::sqrt(w * h / target);
    nx = std::clamp(static_cast<int>(std::ceil(w / side)), 1, 1 << 15);
    ny = std::clamp(static_cast<int>(std::ceil(h / side)), 1, 1 << 15);
    cw = w / nx, ch = h / ny;
    inv_cw = 1 / cw, inv_ch = 1 / ch;
  }

  // Every cell an edge touches, conservatively (a tiny margin around each row's span).
  void register_edges(std::vector<Tuple>& out) const {
    double ex = cw * 1e-6, ey = ch * 1e-6;
    for (uint32_t p = 0; p < polys(); ++p)
      for (uint32_t r = poly_rings[p]; r < poly_rings[p + 1]; ++r)
        for (uint32_t k = rings[r].first; k + 1 < rings[r].first + rings[r].count; ++k) {
          double ax = vx[k], ay = vy[k], bx = vx[k + 1], by = vy[k + 1];
          double ylo = std::min(ay, by) - ey, yhi = std::max(ay, by) + ey;
          int j0 = std::clamp(static_cast<int>((ylo - extent.min_lat) * inv_ch), 0, ny - 1);
          int j1 = std::clamp(static_cast<int>((yhi - extent.min_lat) * inv_ch), 0, ny - 1);
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
            int i0 = std::clamp(static_cast<int>((xlo - ex - extent.min_lon) * inv_cw), 0, nx - 1);
            int i1 = std::clamp(static_cast<int>((xhi + ex - extent.min_lon) * inv_cw), 0, nx - 1);
            for (int i = i0; i <= i1; ++i) out.push_back({static_cast<uint32_t>(j * nx + i), p, k});
          }
        }
    std::sort(out.begin(), out.end());
  }

  // Grids holding point (x, y) among `candidates`, or nullopt when it lies on an edge.
  std::optional<std::vector<uint32_t>> holders(const std::vector<uint32_t>& candidates, double x, double y) const {
    std::vector<uint32_t> in;
    for (uint32_t p : candidates) {
      Pip r = pip(p, x, y);
      if (r == Pip::boundary) return std::nullopt;
      if (r == Pip::in) in.push_back(p);
    }
    return in;
  }

  static std::vector<uint32_t> merged(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
    return a;
  }

  // Sweeps each row west to east carrying the set of grids that hold the current cell's
  // reference point; it can only change across cells that hold edges.
  void build_cells(const std::vector<Tuple>& tuples) {
    cell_value.assign(static_cast<size_t>(nx) * ny, 0);
    size_t t = 0;
    std::vector<uint32_t> held, left_polys;
    for (int j = 0; j < ny; ++j) {
      held.clear();
      left_polys.clear();
      for (int i = 0; i < nx; ++i) {
        uint32_t c = static_cast<uint32_t>(j * nx + i);
        size_t t_end = t;
        std::vector<uint32_t> here;
        while (t_end < tuples.size() && tuples[t_end].cell == c) {
          if (here.empty() || here.back() != tuples[t_end].poly) here.push_back(tuples[t_end].poly);
          ++t_end;
        }
        double cx = extent.min_lon + (i + 0.5) * cw, cy = extent.min_lat + (j + 0.5) * ch;
        if (here.empty()) {
          if (!left_polys.empty()) {
            auto h = holders(merged(held, left_polys), cx, cy);
            if (!h) throw_internal("grid index: an edge escaped its cells");
            held = *h;
          }
          cell_value[c] = held.empty() ? 0 : held.front() + 1;
          left_polys.clear();
          continue;
        }
        std::vector<uint32_t> candidates = merged(merged(held, left_polys), here);
        std::optional<std::vector<uint32_t>> h;
        double rx = cx, ry = cy;
        for (int attempt = 1; !h; ++attempt) {
          h = holders(candidates, rx, ry);
          if (h) break;
          if (attempt > 64) throw_internal("grid index: no free reference point in a cell");
          // Walk away from the edge along an irrational-ish direction inside the cell.
          rx = cx + cw * 0.45 * std::fmod(attempt * 0.618033988749895, 1.0) - cw * 0.225;
          ry = cy + ch * 0.45 * std::fmod(attempt * 0.414213562373095, 1.0) - ch * 0.225;
        }
        BoundaryCell bc;
        bc.rx = rx, bc.ry = ry;
        bc.first_entry = static_cast<uint32_t>(entries.size());
        for (size_t q = t; q < t_end;) {
          Entry en;
          en.poly = tuples[q].poly;
          en.first_ref = static_cast<uint32_t>(refs.size());
          while (q < t_end && tuples[q].poly == en.poly) refs.push_back(tuples[q++].vertex);
          en.n_refs = static_cast<uint32_t>(refs.size()) - en.first_ref;
          en.ref_inside = std::binary_search(h->begin(), h->end(), en.poly) ? 1 : 0;
          entries.push_back(en);
        }
        bc.n_entries = static_cast<uint32_t>(entries.size()) - bc.first_entry;
        bc.first_extra = static_cast<uint32_t>(extras.size());
        for (uint32_t p : *h)
          if (!std::binary_search(here.begin(), here.end(), p)) extras.push_back(p);
        bc.n_extra = static_cast<uint32_t>(extras.size()) - bc.first_extra;
        cell_value[c] = kBoundaryBit | static_cast<uint32_t>(bcells.size());
        bcells.push_back(bc);
        // The next cell's reference point is reached from this one: carry what holds it.
        // Points between the two references may cross edges in this cell, so these grids
        // stay candidates for the next cell too.
        held = *h;
        left_polys = here;
        t = t_end;
      }
    }
  }

  // ---- distances ----------------------------------------------------------------------------

  // Squared distance in local metres from p to the edges of grid `poly`, and the nearest point.
  double edge_distance2(uint32_t poly, LonLat p, MetresPerDegree m, LonLat& nearest) const {
    double best = std::numeric_limits<double>::infinity();
    for (uint32_t r = poly_rings[poly]; r < poly_rings[poly + 1]; ++r)
      for (uint32_t k = rings[r].first; k + 1 < rings[r].first + rings[r].count; ++k) {
        double ax = (vx[k] - p.lon) * m.lon, ay = (vy[k] - p.lat) * m.lat;
        double bx = (vx[k + 1] - p.lon) * m.lon, by = (vy[k + 1] - p.lat) * m.lat;
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
  for (const GEOSGeometry* g : grids) {
    m.add_geometry(g);
    m.poly_rings.push_back(static_cast<uint32_t>(m.rings.size()));
  }
  m.compute_boxes();
  m.size_cells(cells_per_edge);
  std::vector<Tuple> tuples;
  m.register_edges(tuples);
  m.build_cells(tuples);
}

GridIndex::~GridIndex() = default;
GridIndex::GridIndex(GridIndex&&) noexcept = default;
GridIndex& GridIndex::operator=(GridIndex&&) noexcept = default;

size_t GridIndex::size() const noexcept { return impl_->polys(); }

size_t GridIndex::memory_bytes() const noexcept {
  const Impl& m = *impl_;
  return m.vx.capacity() * 16 + m.rings.capacity() * sizeof(Ring) + m.poly_rings.capacity() * 4 +
         m.boxes.capacity() * sizeof(Box) + m.cell_value.capacity() * 4 + m.bcells.capacity() * sizeof(BoundaryCell) +
         m.entries.capacity() * sizeof(Entry) + m.refs.capacity() * 4 + m.extras.capacity() * 4;
}

std::optional<uint32_t> GridIndex::locate(LonLat p) const {
  uint32_t g = impl_->locate(p.lon, p.lat);
  if (g == kNone) return std::nullopt;
  return g;
}

void GridIndex::locate_many(const LonLat* pts, size_t n, uint32_t* out) const {
  for (size_t i = 0; i < n; ++i) out[i] = impl_->locate(pts[i].lon, pts[i].lat);
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
  return m.detail_in(m.bcells[v & ~kBoundaryBit], p.lon, p.lat);
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
  int ci = std::clamp(static_cast<int>(std::floor((p.lon - m.extent.min_lon) * m.inv_cw)), 0, m.nx - 1);
  int cj = std::clamp(static_cast<int>(std::floor((p.lat - m.extent.min_lat) * m.inv_ch)), 0, m.ny - 1);
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
        const BoundaryCell& bc = m.bcells[v & ~kBoundaryBit];
        for (uint32_t e = bc.first_entry; e < bc.first_entry + bc.n_entries; ++e) {
          uint32_t poly = m.entries[e].poly;
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
