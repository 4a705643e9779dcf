#include "tiles/point_store.hpp"

#include <algorithm>
#include <array>

#include "geo/error.hpp"
#include "tiles/tile_math.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {
namespace {

// The values a filter list allows, as bits by the enum's value; all when the list is empty,
// none for an unknown name.
template <class E>
uint32_t mask_of(const std::vector<std::string>& values,
                 std::optional<E> (*parse)(std::string_view)) {
  if (values.empty()) return ~0u;
  uint32_t m = 0;
  for (const std::string& v : values)
    if (std::optional<E> e = parse(v)) m |= 1u << static_cast<unsigned>(*e);
  return m;
}

}  // namespace

uint32_t PointStore::Interner::operator()(const std::string& s) {
  auto [it, fresh] = ids_.try_emplace(s, static_cast<uint32_t>(values_.size()));
  if (fresh) values_.push_back(s);
  return it->second;
}

std::optional<uint32_t> PointStore::Interner::find(const std::string& s) const {
  auto it = ids_.find(s);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

PointStore::Item PointStore::read_item(const data::PointRow& r) {
  Item it{};
  it.id = r.id;
  auto p = point_from_blob(r.geom);
  if (!p)
    throw_internal(std::string(data::to_string(layer_)) + " " + std::to_string(it.id) +
                   " has no point geometry");
  WorldXY w = to_world(*p);
  it.wx = w.x, it.wy = w.y;
  it.grid = grids_(r.grid_code);
  it.handler = -1;
  it.created_at = it.closed_at = it.deadline_at = -1;
  if (layer_ == data::Layer::petitions) {
    it.kind = static_cast<uint8_t>(r.kind);
    it.category = categories_(r.category);
    it.status = static_cast<uint8_t>(r.status);
    it.created_at = r.created_at;
    it.closed_at = r.closed_at.value_or(-1);
    it.deadline_at = r.deadline_at.value_or(-1);
    it.handler = static_cast<int32_t>(r.handler_worker.value_or(-1));
    it.reporter = reporters_(r.reporter);
  }
  return it;
}

std::shared_ptr<const PointStore> PointStore::load(data::Db& db, data::Layer layer,
                                                   size_t max_points) {
  if (layer != data::Layer::petitions && layer != data::Layer::households)
    throw_internal("PointStore holds petitions or households");
  int64_t n = data::count_records(db, layer);
  if (static_cast<size_t>(n) > max_points) return nullptr;
  auto s = std::make_shared<PointStore>();
  s->layer_ = layer;
  s->items_.reserve(static_cast<size_t>(n));
  data::read_all_points(db, layer,
                        [&](data::PointRow& r) { s->items_.push_back(s->read_item(r)); });
  std::sort(s->items_.begin(), s->items_.end(),
            [](const Item& a, const Item& b) { return a.wy < b.wy; });
  return s;
}

std::shared_ptr<const PointStore> PointStore::with_record(data::Db& db, int64_t id) const {
  auto s = std::make_shared<PointStore>(*this);
  auto& items = s->items_;
  items.erase(
      std::remove_if(items.begin(), items.end(), [id](const Item& i) { return i.id == id; }),
      items.end());
  data::read_all_points(
      db, layer_,
      [&](data::PointRow& r) {
        Item it = s->read_item(r);
        auto at = std::upper_bound(items.begin(), items.end(), it.wy,
                                   [](double y, const Item& i) { return y < i.wy; });
        items.insert(at, it);
      },
      id);
  return s;
}

void PointStore::scan(WorldBox box, const PetitionFilter& filter, const TileScope& scope,
                      const std::function<void(PointRecord&)>& f) const {
  bool petitions = layer_ == data::Layer::petitions;
  uint32_t status_mask = mask_of<data::Status>(filter.status, data::parse_status),
           kind_mask = mask_of<data::Kind>(filter.kind, data::parse_kind);
  std::vector<char> categories;  // allowed category indexes, when filtered
  if (!filter.category.empty()) {
    categories.assign(categories_.size(), 0);
    for (const std::string& c : filter.category)
      if (auto i = categories_.find(c)) categories[*i] = 1;
  }
  std::vector<char> patch;  // grid indexes of an own-only caller
  std::optional<uint32_t> reporter;
  if (scope.own_only) {
    patch.assign(grids_.size(), 0);
    for (const std::string& g : scope.grids)
      if (auto i = grids_.find(g)) patch[*i] = 1;
    if (!scope.reporter.empty()) reporter = reporters_.find(scope.reporter);
  }
  int64_t from = filter.from.value_or(INT64_MIN), to = filter.to.value_or(INT64_MAX);
  auto lo = std::lower_bound(items_.begin(), items_.end(), box.y0,
                             [](const Item& i, double y) { return i.wy < y; });
  PointRecord r;
  for (auto it = lo; it != items_.end() && it->wy <= box.y1; ++it) {
    const Item& i = *it;
    if (i.wx < box.x0 || i.wx > box.x1) continue;
    if (petitions) {
      if (!(status_mask >> i.status & 1) || !(kind_mask >> i.kind & 1)) continue;
      if (!categories.empty() && !categories[i.category]) continue;
      if (i.created_at < from || i.created_at >= to) continue;
    }
    if (scope.own_only) {
      bool mine = patch[i.grid] || (petitions && reporter && i.reporter == *reporter) ||
                  (petitions && scope.worker_id && i.handler == *scope.worker_id);
      if (!mine) continue;
    }
    r.id = i.id;
    r.world = {i.wx, i.wy};
    if (petitions) {
      r.kind = static_cast<data::Kind>(i.kind);
      r.category.assign(categories_[i.category]);
      r.status = static_cast<data::Status>(i.status);
      r.created_at = i.created_at;
      r.closed_at = i.closed_at >= 0 ? std::optional<int64_t>(i.closed_at) : std::nullopt;
      r.deadline_at = i.deadline_at >= 0 ? std::optional<int64_t>(i.deadline_at) : std::nullopt;
    } else {
      r.grid_code.assign(grids_[i.grid]);
    }
    f(r);
  }
}

std::shared_ptr<const GridAttributes> GridAttributes::load(data::Db& db) {
  auto a = std::make_shared<GridAttributes>();
  data::read_grid_workers(db, [&](const std::string& grid, std::string names) {
    a->grids_[grid].workers = std::move(names);
  });
  data::read_grid_households(
      db, [&](const std::string& grid, int64_t n) { a->grids_[grid].households = n; });
  return a;
}

std::shared_ptr<const GridAttributes> GridAttributes::with_households_of(
    data::Db& db, const std::string& grid) const {
  auto a = std::make_shared<GridAttributes>(*this);
  a->grids_[grid].households = data::households_in_grid(db, grid);
  return a;
}

const GridAttributes::Entry* GridAttributes::find(const std::string& grid) const {
  auto it = grids_.find(grid);
  return it == grids_.end() ? nullptr : &it->second;
}

}  // namespace gridmap::tiles
