#include "tiles/point_store.hpp"

#include <algorithm>
#include <array>

#include "geo/error.hpp"
#include "tiles/tile_math.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {
namespace {

constexpr std::array<std::string_view, 5> kStatuses = {"reported", "dispatched", "in_progress",
                                                       "pending_review", "closed"};
constexpr std::array<std::string_view, 2> kKinds = {"appeal", "incident"};

template <size_t N>
uint8_t index_of(const std::array<std::string_view, N>& names, std::string_view v) {
  auto it = std::find(names.begin(), names.end(), v);
  return static_cast<uint8_t>(it - names.begin());  // N when unknown: matches no filter value
}

template <size_t N>
uint32_t mask_of(const std::array<std::string_view, N>& names,
                 const std::vector<std::string>& values) {
  if (values.empty()) return ~0u;
  uint32_t m = 0;
  for (const std::string& v : values) m |= 1u << index_of(names, v);
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

std::string PointStore::select_sql() const {
  if (layer_ == data::Layer::petitions)
    return "SELECT id, geom, grid_code, kind, category, status, created_at, closed_at, "
           "deadline_at, "
           "handler_worker_id, reported_by FROM petitions WHERE geom IS NOT NULL";
  return "SELECT id, geom, grid_code FROM households WHERE geom IS NOT NULL";
}

PointStore::Item PointStore::read_item(data::Statement& st) {
  Item it{};
  it.id = st.int64(0);
  auto p = point_from_blob(st.blob(1));
  if (!p)
    throw_internal(std::string(data::to_string(layer_)) + " " + std::to_string(it.id) +
                   " has no point geometry");
  WorldXY w = to_world(*p);
  it.wx = w.x, it.wy = w.y;
  it.grid = grids_(st.is_null(2) ? std::string() : st.text(2));
  it.handler = -1;
  it.created_at = it.closed_at = it.deadline_at = -1;
  if (layer_ == data::Layer::petitions) {
    it.kind = index_of(kKinds, st.text(3));
    it.category = categories_(st.text(4));
    it.status = index_of(kStatuses, st.text(5));
    it.created_at = st.int64(6);
    it.closed_at = st.opt_int64(7).value_or(-1);
    it.deadline_at = st.opt_int64(8).value_or(-1);
    it.handler = static_cast<int32_t>(st.opt_int64(9).value_or(-1));
    it.reporter = reporters_(st.is_null(10) ? std::string() : st.text(10));
  }
  return it;
}

std::shared_ptr<const PointStore> PointStore::load(data::Db& db, data::Layer layer,
                                                   size_t max_points) {
  if (layer != data::Layer::petitions && layer != data::Layer::households)
    throw_internal("PointStore holds petitions or households");
  data::Statement count(db, "SELECT count(*) FROM " + std::string(data::to_string(layer)));
  count.step();
  if (static_cast<size_t>(count.int64(0)) > max_points) return nullptr;
  auto s = std::make_shared<PointStore>();
  s->layer_ = layer;
  s->items_.reserve(static_cast<size_t>(count.int64(0)));
  data::Statement st(db, s->select_sql());
  while (st.step()) s->items_.push_back(s->read_item(st));
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
  data::Statement st(db, select_sql() + " AND id = ?1");
  st.bind(1, id);
  if (st.step()) {
    Item it = s->read_item(st);
    auto at = std::upper_bound(items.begin(), items.end(), it.wy,
                               [](double y, const Item& i) { return y < i.wy; });
    items.insert(at, it);
  }
  return s;
}

void PointStore::scan(WorldBox box, const PetitionFilter& filter, const TileScope& scope,
                      const std::function<void(PointRecord&)>& f) const {
  bool petitions = layer_ == data::Layer::petitions;
  uint32_t status_mask = mask_of(kStatuses, filter.status),
           kind_mask = mask_of(kKinds, filter.kind);
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
      r.kind.assign(i.kind < kKinds.size() ? kKinds[i.kind] : "");
      r.category.assign(categories_[i.category]);
      r.status.assign(i.status < kStatuses.size() ? kStatuses[i.status] : "");
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
  data::Statement names(
      db,
      "SELECT wg.grid_code, group_concat(w.name, '、') FROM (SELECT * FROM worker_grids ORDER BY "
      "grid_code, worker_id) wg JOIN workers w ON w.id = wg.worker_id GROUP BY wg.grid_code");
  while (names.step()) a->grids_[names.text(0)].workers = names.text(1);
  data::Statement counts(
      db,
      "SELECT grid_code, count(*) FROM households WHERE grid_code IS NOT NULL GROUP BY grid_code");
  while (counts.step()) a->grids_[counts.text(0)].households = counts.int64(1);
  return a;
}

std::shared_ptr<const GridAttributes> GridAttributes::with_households_of(
    data::Db& db, const std::string& grid) const {
  auto a = std::make_shared<GridAttributes>(*this);
  data::Statement st(db, "SELECT count(*) FROM households WHERE grid_code = ?1");
  st.bind(1, grid);
  st.step();
  a->grids_[grid].households = st.int64(0);
  return a;
}

const GridAttributes::Entry* GridAttributes::find(const std::string& grid) const {
  auto it = grids_.find(grid);
  return it == grids_.end() ? nullptr : &it->second;
}

}  // namespace gridmap::tiles
