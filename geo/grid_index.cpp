#include "geo/grid_index.hpp"

#include <algorithm>
#include <cmath>

#include "geo/error.hpp"

namespace gridmap {

// First version: a uniform bucket grid over the grids' envelopes, answered with GEOS
// prepared geometries. Correct by construction; the prepared geometries make one index
// usable by one thread at a time.
struct GridIndex::Impl {
  std::vector<geos::GeomPtr> geoms;
  std::vector<geos::PreparedPtr> prepared;
  std::vector<Box> boxes;
  Box extent{};
  int nx = 1, ny = 1;
  double cell_w = 1, cell_h = 1;
  std::vector<std::vector<uint32_t>> buckets;

  int col(double x) const { return std::clamp(static_cast<int>((x - extent.min_lon) / cell_w), 0, nx - 1); }
  int row(double y) const { return std::clamp(static_cast<int>((y - extent.min_lat) / cell_h), 0, ny - 1); }

  const std::vector<uint32_t>* bucket(LonLat p) const {
    if (geoms.empty() || p.lon < extent.min_lon || p.lon > extent.max_lon || p.lat < extent.min_lat ||
        p.lat > extent.max_lat)
      return nullptr;
    return &buckets[static_cast<size_t>(row(p.lat)) * nx + col(p.lon)];
  }
};

GridIndex::GridIndex(const std::vector<const GEOSGeometry*>& grids) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  bool first = true;
  for (const GEOSGeometry* g : grids) {
    m.geoms.push_back(geos::clone(g));
    m.prepared.emplace_back(GEOSPrepare_r(geos::ctx(), m.geoms.back().get()));
    if (!m.prepared.back()) throw_internal("GEOS cannot prepare a grid geometry");
    Box b = geos::is_empty(g) ? Box{} : geos::envelope(g);
    m.boxes.push_back(b);
    if (geos::is_empty(g)) continue;
    if (first) {
      m.extent = b;
      first = false;
    } else {
      m.extent.min_lon = std::min(m.extent.min_lon, b.min_lon);
      m.extent.min_lat = std::min(m.extent.min_lat, b.min_lat);
      m.extent.max_lon = std::max(m.extent.max_lon, b.max_lon);
      m.extent.max_lat = std::max(m.extent.max_lat, b.max_lat);
    }
  }
  double n = std::max<double>(1, static_cast<double>(grids.size()));
  double w = std::max(1e-12, m.extent.max_lon - m.extent.min_lon);
  double h = std::max(1e-12, m.extent.max_lat - m.extent.min_lat);
  double side = std::sqrt(w * h / (4 * n));
  m.nx = std::clamp(static_cast<int>(w / side) + 1, 1, 4096);
  m.ny = std::clamp(static_cast<int>(h / side) + 1, 1, 4096);
  m.cell_w = w / m.nx;
  m.cell_h = h / m.ny;
  m.buckets.resize(static_cast<size_t>(m.nx) * m.ny);
  for (uint32_t i = 0; i < m.boxes.size(); ++i) {
    if (geos::is_empty(m.geoms[i].get())) continue;
    const Box& b = m.boxes[i];
    for (int r = m.row(b.min_lat); r <= m.row(b.max_lat); ++r)
      for (int c = m.col(b.min_lon); c <= m.col(b.max_lon); ++c)
        m.buckets[static_cast<size_t>(r) * m.nx + c].push_back(i);
  }
}

GridIndex::~GridIndex() = default;
GridIndex::GridIndex(GridIndex&&) noexcept = default;
GridIndex& GridIndex::operator=(GridIndex&&) noexcept = default;

size_t GridIndex::size() const noexcept { return impl_->geoms.size(); }

std::optional<uint32_t> GridIndex::locate(LonLat p) const {
  const auto* cand = impl_->bucket(p);
  if (!cand) return std::nullopt;
  geos::GeomPtr pt = geos::point(p);
  for (uint32_t i : *cand) {
    const Box& b = impl_->boxes[i];
    if (p.lon < b.min_lon || p.lon > b.max_lon || p.lat < b.min_lat || p.lat > b.max_lat) continue;
    if (GEOSPreparedCovers_r(geos::ctx(), impl_->prepared[i].get(), pt.get()) == 1) return i;
  }
  return std::nullopt;
}

LocateHit GridIndex::locate_detail(LonLat p) const {
  LocateHit hit;
  const auto* cand = impl_->bucket(p);
  if (!cand) return hit;
  geos::GeomPtr pt = geos::point(p);
  for (uint32_t i : *cand) {
    if (GEOSPreparedCovers_r(geos::ctx(), impl_->prepared[i].get(), pt.get()) != 1) continue;
    bool interior = GEOSPreparedContainsProperly_r(geos::ctx(), impl_->prepared[i].get(), pt.get()) == 1;
    if (!hit.grid) {
      hit.grid = i;
      hit.on_edge = !interior;
    } else {
      hit.neighbours.push_back(i);
      hit.on_edge = true;
    }
  }
  return hit;
}

}  // namespace gridmap
