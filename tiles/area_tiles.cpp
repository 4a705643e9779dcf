// The area layers' tiles (subdistricts, communities, grids, and the hotspots layer over the
// grids): from the in-memory AreaStore when it holds the layer, else read and generalised
// for the tile.
#include <algorithm>
#include <cmath>
#include <functional>

#include "data/hotspot_store.hpp"
#include "tiles/area_store.hpp"
#include "tiles/layers.hpp"
#include "tiles/point_store.hpp"
#include "tiles/sources.hpp"
#include "tiles/tile_build.hpp"

namespace gridmap::tiles {
namespace detail {
namespace {

struct Area {
  AreaRecord record;
  DFeature shape;   // in tile coordinates, unclipped
  double area = 0;  // in tile units²
  std::optional<TileXY> label;
};

DFeature project(const std::vector<LonLatPolygon>& polygons, const TileProjection& proj) {
  DFeature f;
  f.reserve(polygons.size());
  for (const LonLatPolygon& p : polygons) {
    DPolygon d;
    for (const auto& ring : p.rings) {
      std::vector<TileXY> r;
      r.reserve(ring.size());
      for (const LonLat& q : ring) r.push_back(proj(q));
      if (r.size() > 1 && r.front().x == r.back().x && r.front().y == r.back().y) r.pop_back();
      d.rings.push_back(std::move(r));
    }
    f.push_back(std::move(d));
  }
  return f;
}

double area_of(const DFeature& f) {
  double a = 0;
  for (const DPolygon& p : f)
    for (size_t i = 0; i < p.rings.size(); ++i)
      a += (i ? -1 : 1) * std::abs(twice_area(p.rings[i])) / 2;
  return a;
}

// How an area layer dresses its features: the layer's name, whether label points go in a
// `<name>_label` layer, and the properties of each area.
struct AreaStyle {
  std::string name;
  bool labels = true;
  std::function<void(const AreaRecord&, std::vector<Property>&)> properties;
};

void plain_area_properties(const AreaRecord& r, std::vector<Property>& props) {
  props = {{"code", r.code}, {"name", r.name}};
  if (r.households >= 0) {
    if (!r.workers.empty()) props.push_back({"worker", std::string_view(r.workers)});
    props.push_back({"households", r.households});
  }
}

// Generalises the areas of a tile (clipped to its buffer) and encodes them, coarsening
// until the tile fits.
BuiltTile generalise_and_encode(std::vector<Area>& areas, const TileRequest& req,
                                const Budget& budget, const AreaStyle& style) {
  BuiltTile out;
  out.stats.rows = areas.size();
  const std::string& name = style.name;
  // Labels for areas of at least 4 x 4 pixels whose label point falls in the tile itself.
  constexpr double kLabelArea = 1024;
  for (Area& a : areas)
    if (style.labels && a.area >= kLabelArea) a.label = interior_point(a.shape);
  std::vector<size_t> order(areas.size());  // which areas go in; the smallest leave first
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t l, size_t r) { return areas[l].area > areas[r].area; });
  size_t keep = areas.size();
  double tolerance = req.tolerance;
  for (int attempt = 0;; ++attempt) {
    std::vector<const DFeature*> shapes;
    std::vector<char> kept(areas.size(), 0);
    for (size_t k = 0; k < keep; ++k) kept[order[k]] = 1;
    std::vector<size_t> index;
    for (size_t i = 0; i < areas.size(); ++i)
      if (kept[i]) index.push_back(i), shapes.push_back(&areas[i].shape);
    GeneraliseOptions go;
    go.buffer = kBuffer;
    go.tolerance = tolerance;
    go.extent = kExtent;
    out.stats.areas = {};
    auto generalised =
        generalise_areas(std::span<const DFeature* const>(shapes), go, &out.stats.areas);
    budget.check();
    LayerBuilder polygons(name), labels(name + "_label");
    for (size_t k = 0; k < index.size(); ++k) {
      const Area& a = areas[index[k]];
      std::vector<Property> props;
      style.properties(a.record, props);
      auto id = id_of(a.record.code);
      polygons.add_polygons(id, generalised[k], props);
      if (a.label && !generalised[k].empty())
        if (auto p = snap_point(*a.label, 0, kExtent)) {
          Property label_props[] = {{"code", a.record.code}, {"name", a.record.name}};
          labels.add_points(id, std::span<const IPoint>(&*p, 1), label_props);
        }
    }
    out.mvt = encode(polygons, style.labels ? &labels : nullptr, out.stats);
    out.stats.tolerance = tolerance;
    if (out.mvt.size() <= req.max_bytes) return out;
    // Too big: coarser simplification first, then fewer (the smallest) areas.
    if (attempt < 3)
      tolerance *= 2;
    else
      keep = keep * 3 / 4;
  }
}

void set_record(const AreaStore::Area& a, data::Layer layer, const GridAttributes::Entry* e,
                AreaRecord& r) {
  r.code.assign(a.code);
  r.name.assign(a.name);
  if (layer != data::Layer::grids) return;
  r.workers.assign(e ? std::string_view(e->workers) : std::string_view());
  r.households = e ? e->households : 0;
}
void set_record(const AreaStore::Area& a, data::Layer layer, const GridAttributes* grids,
                AreaRecord& r) {
  set_record(a, layer, grids ? grids->find(a.code) : nullptr, r);
}

// The areas from the snapshot: up to AreaStore::kMaxBandZoom with the default tolerance, the
// zoom's band translated to the tile and clipped; otherwise (and for a tile over the cap)
// generalised for this tile alone, exactly as from SQL.
BuiltTile build_stored_areas(const AreaStore& store, const TileRequest& req,
                             const TileSnapshots& snap, const Budget& budget,
                             const AreaStyle& style) {
  TileProjection proj(req.tile, kExtent);
  double n = std::ldexp(1.0, req.tile.z), m = kBuffer / kExtent;
  std::vector<uint32_t> ids;
  store.query({(req.tile.x - m) / n, (req.tile.y - m) / n, (req.tile.x + 1 + m) / n,
               (req.tile.y + 1 + m) / n},
              ids);
  if (req.tile.z <= AreaStore::kMaxBandZoom && req.tolerance == AreaStore::kBandTolerance) {
    const AreaStore::Band& band = store.band(req.tile.z);
    budget.check();
    BuiltTile out;
    out.stats.rows = ids.size();
    out.stats.tolerance = req.tolerance;
    const std::string& name = style.name;
    LayerBuilder polygons(name), labels(name + "_label");
    polygons.reserve(ids.size(), 4);
    if (style.labels) labels.reserve(ids.size(), 2);
    const int32_t ox = static_cast<int32_t>(req.tile.x * kExtent),
                  oy = static_cast<int32_t>(req.tile.y * kExtent);
    const int32_t lo = -static_cast<int32_t>(kBuffer), hi = static_cast<int32_t>(kExtent + kBuffer);
    const double scale2 =
        std::ldexp(double(kExtent), req.tile.z) * std::ldexp(double(kExtent), req.tile.z);
    constexpr double kLabelArea = 1024;  // as generalise_and_encode()
    std::vector<IPolygon> local, clipped;
    AreaRecord record;
    std::vector<Property> props;
    GeneraliseStats& gs = out.stats.areas;
    std::shared_ptr<const AreaStore::AttributeIndex> attributes;
    if (store.layer() == data::Layer::grids) attributes = store.attributes_by_area(snap.grids);
    for (uint32_t i : ids) {
      const AreaStore::Band::Encoded& e = band.encoded[i];
      gs.vertices_in += e.vertices;
      // Outside the buffer (or nothing left at this zoom): dropped.
      if (e.x0 > e.x1 || e.x1 - ox < lo || e.x0 - ox > hi || e.y1 - oy < lo || e.y0 - oy > hi) {
        ++gs.dropped;
        continue;
      }
      // Across the buffer's edge: moved into the tile and clipped. Inside: its encoded form.
      bool clip = e.x0 - ox < lo || e.x1 - ox > hi || e.y0 - oy < lo || e.y1 - oy > hi;
      if (clip) {
        const std::vector<IPolygon>& shape = band.shapes[i];
        local.resize(shape.size());
        for (size_t p = 0; p < shape.size(); ++p) {
          local[p].rings.resize(shape[p].rings.size());
          for (size_t r = 0; r < shape[p].rings.size(); ++r) {
            const IRing& from = shape[p].rings[r];
            IRing& to = local[p].rings[r];
            to.resize(from.size());
            for (size_t v = 0; v < from.size(); ++v) to[v] = {from[v].x - ox, from[v].y - oy};
          }
        }
        clipped = clip_to_box(local, lo, hi, GeneraliseOptions{}.min_area, &gs);
        if (clipped.empty()) {
          ++gs.dropped;
          continue;
        }
        for (const IPolygon& p : clipped)
          for (const IRing& r : p.rings) gs.vertices_out += r.size();
      } else {
        gs.vertices_out += e.vertices;
      }
      const AreaStore::Area& a = store.area(i);
      set_record(a, store.layer(), attributes ? (*attributes)[i] : nullptr, record);
      props.clear();
      style.properties(record, props);
      auto id = id_of(a.code);
      if (clip)
        polygons.add_polygons(id, clipped, props);
      else
        polygons.add_polygons(id, e.polygons, band.encoded_bytes, {ox, oy}, props);
      if (style.labels && a.label && a.area * scale2 >= kLabelArea)
        if (auto p = snap_point(proj(*a.label), 0, kExtent)) {
          Property label_props[] = {{"code", a.code}, {"name", a.name}};
          labels.add_points(id, std::span<const IPoint>(&*p, 1), label_props);
        }
    }
    out.mvt = encode(polygons, style.labels ? &labels : nullptr, out.stats);
    if (out.mvt.size() <= req.max_bytes) return out;
  }
  std::vector<Area> areas;
  areas.reserve(ids.size());
  for (uint32_t i : ids) {
    Area a;
    set_record(store.area(i), store.layer(), snap.grids.get(), a.record);
    a.shape = store.shape(i, proj);
    a.area = area_of(a.shape);
    areas.push_back(std::move(a));
  }
  budget.check();
  return generalise_and_encode(areas, req, budget, style);
}

BuiltTile build_areas(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                      const Budget& budget, const AreaStyle& style) {
  if (snap.areas && snap.areas->layer() == req.layer)
    return build_stored_areas(*snap.areas, req, snap, budget, style);
  TileProjection proj(req.tile, kExtent);
  std::vector<Area> areas;
  read_areas(db, req.layer, proj.buffered_bounds(kBuffer), snap.grids.get(), [&](AreaRecord& r) {
    Area a;
    a.shape = project(r.polygons, proj);
    a.area = area_of(a.shape);
    r.polygons.clear();
    a.record = std::move(r);
    areas.push_back(std::move(a));
  });
  budget.check();
  return generalise_and_encode(areas, req, budget, style);
}

}  // namespace

BuiltTile build_area_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                          const Budget& budget) {
  return build_areas(db, req, snap, budget,
                     {std::string(data::to_string(req.layer)),
                      req.tile.z >= label_minzoom(req.layer), plain_area_properties});
}

}  // namespace detail

using namespace detail;

BuiltTile build_hotspot_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                             const data::HotspotResult& result) {
  if (!is_valid(req.tile) || req.tile.z > kMaxTileZoom) throw_invalid("no such tile");
  if (req.layer != data::Layer::grids) throw_internal("hotspot tiles are made of grids");
  Budget budget(req.budget);
  const data::HotspotLayout& layout = *result.layout;
  auto properties = [&](const AreaRecord& r, std::vector<Property>& props) {
    props = {{"code", r.code}, {"name", r.name}};
    auto it = layout.index.find(r.code);
    if (it == layout.index.end()) return;  // a grid newer than the result: no statistics
    const data::GridHotspot& h = result.spots[it->second];
    props.push_back({"gi_z", h.current.z});
    props.push_back({"p_value", h.current.p});
    props.push_back({"class", to_string(h.current.cls)});
    props.push_back({"trend", to_string(h.trend)});
    props.push_back({"count", h.count});
  };
  return build_areas(db, req, snap, budget, {"hotspots", false, properties});
}

}  // namespace gridmap::tiles
