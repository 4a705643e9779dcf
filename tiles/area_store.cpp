#include "tiles/area_store.hpp"

#include <algorithm>
#include <cmath>

#include "geo/error.hpp"
#include "tiles/sources.hpp"

namespace gridmap::tiles {

std::shared_ptr<const AreaStore> AreaStore::load(data::Db& db, data::Layer layer,
                                                 size_t max_vertices) {
  if (!data::is_area(layer)) throw_internal("AreaStore: not an area layer");
  auto store = std::make_shared<AreaStore>();
  AreaStore& s = *store;
  s.layer_ = layer;
  s.part_rings_.push_back(0);
  s.ring_vertices_.push_back(0);
  const GridAttributes no_attributes;  // attributes come from their own snapshot
  bool too_big = false;
  read_areas(db, layer, Box{-180, -90, 180, 90}, &no_attributes, [&](AreaRecord& r) {
    if (too_big) return;
    Area a;
    a.code = std::move(r.code);
    a.name = std::move(r.name);
    a.first_part = static_cast<uint32_t>(s.part_rings_.size() - 1);
    WorldBox b{INFINITY, INFINITY, -INFINITY, -INFINITY};
    DFeature world;  // for the area and the label point
    for (const LonLatPolygon& p : r.polygons) {
      DPolygon d;
      for (const auto& ring : p.rings) {
        std::vector<TileXY> w;
        w.reserve(ring.size());
        for (const LonLat& q : ring) {
          WorldXY v = to_world(q);
          w.push_back({v.x, v.y});
        }
        if (w.size() > 1 && w.front().x == w.back().x && w.front().y == w.back().y) w.pop_back();
        for (const TileXY& v : w) {
          s.vertices_.push_back({v.x, v.y});
          b.x0 = std::min(b.x0, v.x), b.x1 = std::max(b.x1, v.x);
          b.y0 = std::min(b.y0, v.y), b.y1 = std::max(b.y1, v.y);
        }
        s.ring_vertices_.push_back(static_cast<uint32_t>(s.vertices_.size()));
        d.rings.push_back(std::move(w));
      }
      s.part_rings_.push_back(static_cast<uint32_t>(s.ring_vertices_.size() - 1));
      world.push_back(std::move(d));
    }
    a.parts = static_cast<uint32_t>(s.part_rings_.size() - 1) - a.first_part;
    a.box = b;
    for (const DPolygon& p : world)
      for (size_t i = 0; i < p.rings.size(); ++i)
        a.area += (i ? -1 : 1) * std::abs(twice_area(p.rings[i])) / 2;
    if (auto l = interior_point(world)) a.label = WorldXY{l->x, l->y};
    s.areas_.push_back(std::move(a));
    if (s.vertices_.size() > max_vertices) too_big = true;
  });
  if (too_big) return nullptr;
  // The uniform grid: about one cell per area over the layer's extent.
  WorldBox all{INFINITY, INFINITY, -INFINITY, -INFINITY};
  for (const Area& a : s.areas_) {
    if (!(a.box.x0 <= a.box.x1)) continue;
    all.x0 = std::min(all.x0, a.box.x0), all.x1 = std::max(all.x1, a.box.x1);
    all.y0 = std::min(all.y0, a.box.y0), all.y1 = std::max(all.y1, a.box.y1);
  }
  if (all.x0 <= all.x1) {
    s.cells_ = std::clamp(static_cast<int>(std::sqrt(double(s.areas_.size()))), 1, 1024);
    s.grid_x0_ = all.x0, s.grid_y0_ = all.y0;
    s.cell_ = std::max(all.x1 - all.x0, all.y1 - all.y0) / s.cells_ * (1 + 1e-9) + 1e-300;
  }
  size_t cells = size_t(s.cells_) * s.cells_;
  s.cell_start_.assign(cells + 1, 0);
  auto cell_range = [&s](const WorldBox& b, int& cx0, int& cy0, int& cx1, int& cy1) {
    auto at = [&s](double v, double origin) {
      return std::clamp(static_cast<int>(std::floor((v - origin) / s.cell_)), 0, s.cells_ - 1);
    };
    cx0 = at(b.x0, s.grid_x0_), cx1 = at(b.x1, s.grid_x0_);
    cy0 = at(b.y0, s.grid_y0_), cy1 = at(b.y1, s.grid_y0_);
  };
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<uint32_t> fill;
    if (pass) {
      for (size_t k = 0; k < cells; ++k) s.cell_start_[k + 1] += s.cell_start_[k];
      s.cell_items_.resize(s.cell_start_[cells]);
      fill.assign(s.cell_start_.begin(), s.cell_start_.end() - 1);
    }
    for (uint32_t i = 0; i < s.areas_.size(); ++i) {
      const Area& a = s.areas_[i];
      if (!(a.box.x0 <= a.box.x1)) continue;
      int cx0, cy0, cx1, cy1;
      cell_range(a.box, cx0, cy0, cx1, cy1);
      for (int cy = cy0; cy <= cy1; ++cy)
        for (int cx = cx0; cx <= cx1; ++cx) {
          size_t k = size_t(cy) * s.cells_ + cx;
          if (pass)
            s.cell_items_[fill[k]++] = i;
          else
            ++s.cell_start_[k + 1];
        }
    }
  }
  return store;
}

void AreaStore::query(WorldBox b, std::vector<uint32_t>& out) const {
  out.clear();
  if (cell_items_.empty()) return;
  auto at = [this](double v, double origin) {
    return static_cast<int>(std::clamp(std::floor((v - origin) / cell_), -1.0, double(cells_)));
  };
  int cx0 = std::max(at(b.x0, grid_x0_), 0), cx1 = std::min(at(b.x1, grid_x0_), cells_ - 1);
  int cy0 = std::max(at(b.y0, grid_y0_), 0), cy1 = std::min(at(b.y1, grid_y0_), cells_ - 1);
  for (int cy = cy0; cy <= cy1; ++cy)
    for (int cx = cx0; cx <= cx1; ++cx) {
      size_t k = size_t(cy) * cells_ + cx;
      for (uint32_t j = cell_start_[k]; j < cell_start_[k + 1]; ++j) {
        const WorldBox& a = areas_[cell_items_[j]].box;
        if (a.x0 <= b.x1 && a.x1 >= b.x0 && a.y0 <= b.y1 && a.y1 >= b.y0)
          out.push_back(cell_items_[j]);
      }
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

DFeature AreaStore::shape(uint32_t i, const TileProjection& proj) const {
  const Area& a = areas_[i];
  DFeature f;
  f.reserve(a.parts);
  for (uint32_t p = a.first_part; p < a.first_part + a.parts; ++p) {
    DPolygon d;
    for (uint32_t r = part_rings_[p]; r < part_rings_[p + 1]; ++r) {
      std::vector<TileXY> ring;
      ring.reserve(ring_vertices_[r + 1] - ring_vertices_[r]);
      for (uint32_t v = ring_vertices_[r]; v < ring_vertices_[r + 1]; ++v)
        ring.push_back(proj(vertices_[v]));
      d.rings.push_back(std::move(ring));
    }
    f.push_back(std::move(d));
  }
  return f;
}

const AreaStore::Band& AreaStore::band(int z) const {
  if (z < 0 || z > kMaxBandZoom) throw_internal("AreaStore: no band for zoom " + std::to_string(z));
  std::call_once(band_once_[z], [&] {
    // The whole world as one tile of 4096 · 2^z units: nothing is clipped, and the boundary
    // network spans the whole layer, so a border is simplified the same in every tile.
    TileProjection world({0, 0, 0}, static_cast<uint32_t>(kExtent));
    double scale = std::ldexp(1.0, z);
    std::vector<DFeature> features(areas_.size());
    for (uint32_t i = 0; i < areas_.size(); ++i) {
      features[i] = shape(i, world);
      for (DPolygon& p : features[i])
        for (auto& r : p.rings)
          for (TileXY& q : r) q.x *= scale, q.y *= scale;
    }
    GeneraliseOptions o;
    o.buffer = kBuffer;
    o.tolerance = kBandTolerance;
    o.extent = kExtent * scale;
    auto band = std::make_unique<Band>();
    band->shapes = generalise_areas(features, o);
    band->encoded.resize(band->shapes.size());
    for (size_t i = 0; i < band->shapes.size(); ++i) {
      Band::Encoded& e = band->encoded[i];
      e.polygons = encode_polygons(band->shapes[i], band->encoded_bytes);
      for (const IPolygon& p : band->shapes[i]) {
        for (const IPoint& v : p.rings.empty() ? IRing() : p.rings[0]) {
          e.x0 = std::min(e.x0, v.x), e.x1 = std::max(e.x1, v.x);
          e.y0 = std::min(e.y0, v.y), e.y1 = std::max(e.y1, v.y);
        }
        for (const IRing& r : p.rings) e.vertices += static_cast<uint32_t>(r.size());
      }
    }
    bands_[z] = std::move(band);
  });
  return *bands_[z];
}

std::shared_ptr<const AreaStore::AttributeIndex> AreaStore::attributes_by_area(
    const std::shared_ptr<const GridAttributes>& grids) const {
  if (!grids) return nullptr;
  std::lock_guard lock(attributes_lock_);
  bool same = !attributes_for_.owner_before(grids) && !grids.owner_before(attributes_for_);
  if (!attributes_index_ || !same) {
    auto index = std::make_shared<AttributeIndex>(areas_.size());
    for (size_t i = 0; i < areas_.size(); ++i) (*index)[i] = grids->find(areas_[i].code);
    attributes_for_ = grids;
    attributes_index_ = std::move(index);
  }
  return attributes_index_;
}

}  // namespace gridmap::tiles
