#include "tiles/layers.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>

#include "data/hotspot_store.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "tiles/area_store.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/point_store.hpp"
#include "tiles/sources.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {
namespace {

using Clock = std::chrono::steady_clock;

class Budget {
 public:
  explicit Budget(std::chrono::milliseconds ms) : end_(Clock::now() + ms) {}
  void check() const {
    if (Clock::now() > end_)
      throw Error(ErrorKind::unavailable,
                  "this tile takes too long to build; zoom in or narrow the filters");
  }

 private:
  Clock::time_point end_;
};

constexpr std::array<std::string_view, 5> kStatuses = {"reported", "dispatched", "in_progress",
                                                       "pending_review", "closed"};

// A numeric code doubles as the feature id (codes are unique per layer); others have none.
std::optional<uint64_t> id_of(const std::string& code) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), v);
  if (ec != std::errc() || p != code.data() + code.size() || code.empty()) return std::nullopt;
  return v;
}

std::optional<IPoint> snap_point(TileXY t, double lo, double hi) {
  if (!(t.x >= lo && t.x < hi && t.y >= lo && t.y < hi)) return std::nullopt;
  return IPoint{static_cast<int32_t>(std::lround(t.x)), static_cast<int32_t>(std::lround(t.y))};
}

std::string encode(const LayerBuilder& a, const LayerBuilder* b, TileStats& s) {
  const LayerBuilder* layers[] = {&a, b};
  std::string out = encode_tile(layers);
  s.features = a.feature_count() + (b ? b->feature_count() : 0);
  s.vertices = a.vertex_count() + (b ? b->vertex_count() : 0);
  s.bytes = out.size();
  return out;
}

// ---- areas ----

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

// ---- points ----

int64_t age_days(const PointRecord& r, int64_t now) {
  return (r.closed_at.value_or(now) - r.created_at) / 86400;
}
bool overdue(const PointRecord& r, int64_t now) {
  return r.status != "closed" && r.deadline_at && *r.deadline_at < now;
}

struct Point {
  IPoint at;
  PointRecord record;
};

BuiltTile encode_points(const TileRequest& req, std::vector<Point>& points) {
  BuiltTile out;
  size_t keep = std::min(points.size(), req.max_points);
  std::string name(data::to_string(req.layer));
  for (;;) {
    LayerBuilder layer(name);
    for (size_t i = 0; i < keep; ++i) {
      const PointRecord& r = points[i].record;
      std::vector<Property> props;
      std::string position_at;
      if (req.layer == data::Layer::petitions) {
        props = {{"kind", std::string_view(r.kind)},
                 {"category", std::string_view(r.category)},
                 {"status", std::string_view(r.status)},
                 {"age_days", age_days(r, req.now)},
                 {"overdue", overdue(r, req.now)}};
      } else if (req.layer == data::Layer::households) {
        if (!r.grid_code.empty()) props.push_back({"grid_code", std::string_view(r.grid_code)});
      } else {
        props.push_back({"on_duty", r.on_duty});
        if (r.position_at) {
          position_at = data::format_time(*r.position_at);
          props.push_back({"position_at", std::string_view(position_at)});
        }
      }
      layer.add_points(static_cast<uint64_t>(r.id), std::span<const IPoint>(&points[i].at, 1),
                       props);
    }
    out.mvt = encode(layer, nullptr, out.stats);
    out.stats.left_out = points.size() - keep;
    if (out.mvt.size() <= req.max_bytes || keep == 0) return out;
    keep /= 2;
  }
}

// Below kClusterBelowZoom: points counted in cells of 32 x 32 pixels (256 tile units), each
// cell drawn at the mean of its points, with counts by status and overdue for petitions.
class Clusters {
 public:
  static constexpr int kCell = 256, kCells = static_cast<int>(kExtent) / kCell;
  explicit Clusters(const TileRequest& req) : req_(req), cells_(kCells * kCells) {}
  void add(IPoint at, const PointRecord& r) {
    Cell& c =
        cells_[std::min(at.y / kCell, kCells - 1) * kCells + std::min(at.x / kCell, kCells - 1)];
    c.sx += at.x, c.sy += at.y, ++c.count;
    if (req_.layer == data::Layer::petitions) {
      auto it = std::find(kStatuses.begin(), kStatuses.end(), r.status);
      if (it != kStatuses.end()) ++c.by_status[static_cast<size_t>(it - kStatuses.begin())];
      if (overdue(r, req_.now)) ++c.overdue;
    }
  }
  BuiltTile encode() const {
    BuiltTile out;
    LayerBuilder layer(std::string(data::to_string(req_.layer)) + "_clusters");
    for (size_t i = 0; i < cells_.size(); ++i) {
      const Cell& c = cells_[i];
      if (!c.count) continue;
      IPoint at{static_cast<int32_t>(std::lround(c.sx / c.count)),
                static_cast<int32_t>(std::lround(c.sy / c.count))};
      std::vector<Property> props{{"count", c.count}};
      if (req_.layer == data::Layer::petitions) {
        for (size_t s = 0; s < kStatuses.size(); ++s)
          props.push_back({kStatuses[s], c.by_status[s]});
        props.push_back({"overdue", c.overdue});
      }
      layer.add_points(i, std::span<const IPoint>(&at, 1), props);
    }
    out.mvt = tiles::encode(layer, nullptr, out.stats);
    return out;
  }

 private:
  struct Cell {
    double sx = 0, sy = 0;
    int64_t count = 0, overdue = 0;
    std::array<int64_t, 5> by_status{};
  };
  const TileRequest& req_;
  std::vector<Cell> cells_;
};

// Open petitions before closed ones, then the newest: what a cap leaves out matters least.
bool more_urgent(const Point& a, const Point& b) {
  bool ac = a.record.status == "closed", bc = b.record.status == "closed";
  if (ac != bc) return bc;
  if (a.record.created_at != b.record.created_at) return a.record.created_at > b.record.created_at;
  return a.record.id < b.record.id;
}

BuiltTile build_points(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                       const Budget& budget) {
  TileProjection proj(req.tile, kExtent);
  bool clustered = req.tile.z < kClusterBelowZoom && req.layer != data::Layer::workers;
  // Clusters count what lies in the tile itself; single points keep the buffer so that
  // symbols at the edge are drawn whole.
  double margin = clustered ? 0 : kBuffer;
  double lo = -margin, hi = kExtent + margin;
  std::optional<Clusters> clusters;
  if (clustered) clusters.emplace(req);
  std::vector<Point> points;
  size_t rows = 0;
  auto take = [&](PointRecord& r) {
    if ((++rows & 4095) == 0) budget.check();
    auto at = snap_point(proj(r.world), lo, hi);
    if (!at) return;
    if (clusters)
      clusters->add(*at, r);
    else
      points.push_back({*at, r});
  };
  const PointStore* store = req.layer == data::Layer::petitions    ? snap.petitions.get()
                            : req.layer == data::Layer::households ? snap.households.get()
                                                                   : nullptr;
  if (store) {
    double n = std::ldexp(1.0, req.tile.z), m = margin / kExtent;
    store->scan({(req.tile.x - m) / n, (req.tile.y - m) / n, (req.tile.x + 1 + m) / n,
                 (req.tile.y + 1 + m) / n},
                req.filter, req.scope, take);
  } else {
    read_points(db, req.layer, proj.buffered_bounds(margin), req.filter, req.scope, take);
  }
  budget.check();
  BuiltTile out;
  if (clusters) {
    out = clusters->encode();
  } else {
    if (req.layer == data::Layer::petitions)
      std::sort(points.begin(), points.end(), more_urgent);
    else
      std::sort(points.begin(), points.end(),
                [](const Point& a, const Point& b) { return a.record.id < b.record.id; });
    out = encode_points(req, points);
  }
  out.stats.rows = rows;
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

bool PetitionFilter::empty() const noexcept {
  return status.empty() && category.empty() && kind.empty() && !from && !to;
}

std::string PetitionFilter::canonical() const {
  std::string out;
  auto list = [&out](const char* name, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += out.empty() ? "" : "&";
    out += name;
    out += '=';
    auto s = sorted(v);
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + s[i];
  };
  list("category", category);
  list("kind", kind);
  list("status", status);
  if (from) out += (out.empty() ? "from=" : "&from=") + std::to_string(*from);
  if (to) out += (out.empty() ? "to=" : "&to=") + std::to_string(*to);
  return out;
}

std::string TileScope::key() const {
  if (!own_only) return {};
  std::string out = "own:" + std::to_string(worker_id.value_or(-1)) + ":" + reporter;
  for (const std::string& g : sorted(grids)) out += ":" + g;
  return out;
}

void validate(data::Db& db, const PetitionFilter& f) {
  for (const std::string& s : f.status)
    if (!data::is_valid_status(s))
      throw_invalid("unknown status '" + s +
                    "' (use reported, dispatched, in_progress, pending_review, closed)");
  for (const std::string& k : f.kind)
    if (!data::is_valid_kind(k)) throw_invalid("unknown kind '" + k + "' (use appeal or incident)");
  if (!f.category.empty()) {
    std::vector<std::string> known;
    data::Statement st(db, "SELECT code FROM categories ORDER BY code");
    while (st.step()) known.push_back(st.text(0));
    for (const std::string& c : f.category)
      if (std::find(known.begin(), known.end(), c) == known.end()) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        throw_invalid("unknown category '" + c + "' (use " + list + ")");
      }
  }
  if (f.from && f.to && *f.from >= *f.to) throw_invalid("'from' must be before 'to'");
}

BuiltTile build_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap) {
  if (!is_valid(req.tile) || req.tile.z > kMaxTileZoom)
    throw_invalid("no tile " + std::to_string(req.tile.z) + "/" + std::to_string(req.tile.x) + "/" +
                  std::to_string(req.tile.y) + " (zoom 0 to " + std::to_string(kMaxTileZoom) +
                  ", x and y below 2^zoom)");
  if (req.layer != data::Layer::petitions && !req.filter.empty())
    throw_invalid("only petitions tiles take filters");
  Budget budget(req.budget);
  if (!data::is_area(req.layer)) return build_points(db, req, snap, budget);
  return build_areas(db, req, snap, budget,
                     {std::string(data::to_string(req.layer)),
                      req.tile.z >= label_minzoom(req.layer), plain_area_properties});
}

const std::vector<data::Layer>& tile_layers() {
  static const std::vector<data::Layer> all = {data::Layer::subdistricts, data::Layer::communities,
                                               data::Layer::grids,        data::Layer::households,
                                               data::Layer::petitions,    data::Layer::workers};
  return all;
}

const TileLayerInfo& layer_info(data::Layer layer) {
  static const FieldInfo code{"code", "String", "administrative code"};
  static const FieldInfo name{"name", "String", "name"};
  static const std::vector<TileLayerInfo> infos = {
      {data::Layer::subdistricts,
       "Subdistricts (街道)",
       0,
       18,
       {{"subdistricts", "subdistrict areas", 0, 18, {code, name}},
        {"subdistricts_label",
         "a label point inside each subdistrict",
         label_minzoom(data::Layer::subdistricts),
         18,
         {code, name}}}},
      {data::Layer::communities,
       "Communities (社区)",
       0,
       18,
       {{"communities", "community areas", 0, 18, {code, name}},
        {"communities_label",
         "a label point inside each community",
         label_minzoom(data::Layer::communities),
         18,
         {code, name}}}},
      {data::Layer::grids,
       "Grids (网格)",
       0,
       18,
       {{"grids",
         "grid areas",
         0,
         18,
         {code,
          name,
          {"worker", "String", "the grid workers' names"},
          {"households", "Number", "households in the grid"}}},
        {"grids_label",
         "a label point inside each grid",
         label_minzoom(data::Layer::grids),
         18,
         {code, name}}}},
      {data::Layer::households,
       "Households (户): positions and grid only",
       0,
       18,
       {{"households",
         "one point per household (feature id = household id), zoom 14 and above",
         kClusterBelowZoom,
         18,
         {{"grid_code", "String", "the household's grid"}}},
        {"households_clusters",
         "households counted in 32-pixel cells, below zoom 14",
         0,
         kClusterBelowZoom - 1,
         {{"count", "Number", "households in the cell"}}}}},
      {data::Layer::petitions,
       "Petitions (群众诉求 / 事件); filters: status, category, kind, from, to",
       0,
       18,
       {{"petitions",
         "one point per petition (feature id = petition id), zoom 14 and above",
         kClusterBelowZoom,
         18,
         {{"kind", "String", "appeal or incident"},
          {"category", "String", "category code"},
          {"status", "String", "reported, dispatched, in_progress, pending_review or closed"},
          {"age_days", "Number", "whole days since reported (until closed)"},
          {"overdue", "Boolean", "open past its deadline"}}},
        {"petitions_clusters",
         "petitions counted in 32-pixel cells, below zoom 14",
         0,
         kClusterBelowZoom - 1,
         {{"count", "Number", "petitions in the cell"},
          {"reported", "Number", "of which reported"},
          {"dispatched", "Number", "of which dispatched"},
          {"in_progress", "Number", "of which in progress"},
          {"pending_review", "Number", "of which pending review"},
          {"closed", "Number", "of which closed"},
          {"overdue", "Number", "of which open past the deadline"}}}}},
      {data::Layer::workers,
       "Grid workers (网格员): live positions",
       0,
       18,
       {{"workers",
         "one point per worker with a known position (feature id = worker id)",
         0,
         18,
         {{"on_duty", "Boolean", "on duty"},
          {"position_at", "String", "time of the last position"}}}}},
  };
  for (const TileLayerInfo& i : infos)
    if (i.layer == layer) return i;
  throw_internal("no tile layer info");
}

const VectorLayerInfo& hotspot_layer_info() {
  static const VectorLayerInfo info{
      "hotspots",
      "grids with the Getis-Ord Gi* statistic of their petitions (neighbours: grids sharing a "
      "border) after a Benjamini-Hochberg FDR correction",
      0,
      18,
      {{"code", "String", "grid code"},
       {"name", "String", "grid name"},
       {"gi_z", "Number", "Gi* z-score"},
       {"p_value", "Number", "two-sided p-value of gi_z"},
       {"class", "String", "hot_99, hot_95, hot_90, cold_*, or not_significant"},
       {"trend", "String", "new, persistent, no_longer_hot or none against the previous window"},
       {"count", "Number", "petitions in the window"}}};
  return info;
}

Box data_bounds(data::Db& db) {
  Box b{180, 85, -180, -85};
  for (const char* table : {"subdistricts", "communities", "grids"}) {
    data::Statement st(
        db, std::string("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_") + table +
                "_geom");
    if (st.step() && !st.is_null(0)) {
      b.min_lon = std::min(b.min_lon, st.real(0)), b.min_lat = std::min(b.min_lat, st.real(1));
      b.max_lon = std::max(b.max_lon, st.real(2)), b.max_lat = std::max(b.max_lat, st.real(3));
    }
  }
  if (b.min_lon > b.max_lon) return {-180, -85.0511287798066, 180, 85.0511287798066};
  return b;
}

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
