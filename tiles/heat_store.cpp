#include "tiles/heat_store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "geo/error.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {
namespace {

constexpr std::array<std::string_view, 2> kKinds = {"appeal", "incident"};
constexpr std::array<std::string_view, 5> kStatuses = {"reported", "dispatched", "in_progress",
                                                       "pending_review", "closed"};

template <size_t N>
uint8_t index_of(const std::array<std::string_view, N>& names, std::string_view v) {
  return static_cast<uint8_t>(std::find(names.begin(), names.end(), v) - names.begin());
}

uint8_t category_index(std::vector<std::string>& categories, const std::string& c) {
  auto it = std::find(categories.begin(), categories.end(), c);
  if (it != categories.end()) return static_cast<uint8_t>(it - categories.begin());
  if (categories.size() >= 256) throw_internal("the heat map takes at most 256 categories");
  categories.push_back(c);
  return static_cast<uint8_t>(categories.size() - 1);
}

uint32_t checked_id(int64_t id) {
  if (id < 0 || id > 0xffffffffll)
    throw_internal("record id " + std::to_string(id) + " out of range");
  return static_cast<uint32_t>(id);
}

std::string sql(HeatStore::Source source) {
  if (source == HeatStore::Source::petitions)
    return "SELECT id, geom, kind, category, status, created_at FROM petitions WHERE geom IS NOT "
           "NULL";
  return "SELECT id, geom FROM households WHERE geom IS NOT NULL";
}

// The row's point; nullopt when it has no point geometry.
std::optional<HeatPointInput> point_of(data::Statement& st, HeatStore::Source source,
                                       std::vector<std::string>& categories) {
  auto p = point_from_blob(st.blob(1));
  if (!p) return std::nullopt;
  HeatPointInput in{heat_key(to_world(*p)), 0, checked_id(st.int64(0))};
  if (source == HeatStore::Source::petitions) {
    HeatAttrs a;
    a.kind = index_of(kKinds, st.text(2));
    a.category = category_index(categories, st.text(3));
    a.status = index_of(kStatuses, st.text(4));
    a.day = heat_day(st.int64(5));
    in.attrs = a.pack();
  }
  return in;
}

}  // namespace

HeatFilter HeatSnapshot::compile(const PetitionFilter& f) const {
  HeatFilter h;
  h.all = f.empty();
  if (h.all) return h;
  if (!f.category.empty()) {
    h.categories.reset();
    for (const std::string& c : f.category) {
      auto it = std::find(categories.begin(), categories.end(), c);
      if (it != categories.end()) h.categories.set(static_cast<size_t>(it - categories.begin()));
    }
  }
  auto mask = [](const auto& names, const std::vector<std::string>& values) {
    if (values.empty()) return uint8_t{0xff};
    uint8_t m = 0;
    for (const std::string& v : values)
      if (uint8_t i = index_of(names, v); i < names.size()) m |= uint8_t(1u << i);
    return m;
  };
  h.kinds = mask(kKinds, f.kind);
  h.statuses = mask(kStatuses, f.status);
  if (f.from) h.day_from = heat_day(*f.from);
  if (f.to) h.day_to = uint32_t{heat_day(*f.to - 1)} + 1;
  h.prepare();
  char buf[64];
  std::snprintf(buf, sizeof buf, "|k%02x|s%02x|d%u-%u", h.kinds, h.statuses, h.day_from, h.day_to);
  h.key = h.categories.to_string() + buf;
  return h;
}

void HeatSnapshot::add_counts(const CellBox& box, const HeatFilter& filter,
                              std::span<uint32_t> out) const {
  base->add_counts(box, filter, out);
  if (deltas.empty()) return;
  int shift = 2 * (kHeatKeyLevel - box.level);
  for (const HeatDelta& d : deltas) {
    if (!filter.all && !filter.matches(d.attrs)) continue;
    uint32_t cx, cy;
    unmorton(d.key >> shift, cx, cy);
    int64_t x = int64_t{cx} - box.x0, y = int64_t{cy} - box.y0;
    if (x < 0 || y < 0 || x >= box.w || y >= box.h) continue;
    uint32_t& c = out[size_t(y) * box.w + size_t(x)];
    c = static_cast<uint32_t>(int64_t{c} + d.sign);
  }
}

HeatStore::~HeatStore() {
  settle();
}

void HeatStore::settle() {
  std::thread t;
  {
    std::lock_guard l(lock_);  // the rebuild takes this lock at its end: join outside it
    t = std::move(rebuild_);
  }
  if (t.joinable()) t.join();
}

std::shared_ptr<HeatSnapshot> HeatStore::load(data::Db& db, Source source,
                                              const std::atomic<bool>* stop) {
  auto s = std::make_shared<HeatSnapshot>();
  if (source == Source::petitions) {
    data::Statement cats(db, "SELECT code FROM categories ORDER BY code");
    while (cats.step()) category_index(s->categories, cats.text(0));
  }
  std::vector<HeatPointInput> points;
  data::Statement st(db, sql(source));
  while (st.step()) {
    if (auto p = point_of(st, source, s->categories)) points.push_back(*p);
    if (stop && points.size() % 65536 == 0 && stop->load()) return nullptr;
  }
  s->base = HeatIndex::build(std::move(points));
  return s;
}

std::shared_ptr<const HeatSnapshot> HeatStore::snapshot(data::Db& db) {
  if (auto s = current_.load()) return s;
  return load_now(db, nullptr);
}

void HeatStore::warm(data::Db& db, const std::atomic<bool>& stop) {
  if (!current_.load()) load_now(db, &stop);
}

std::shared_ptr<const HeatSnapshot> HeatStore::load_now(data::Db& db,
                                                        const std::atomic<bool>* stop) {
  std::lock_guard l(lock_);
  if (auto s = current_.load()) return s;
  {
    std::lock_guard p(pending_lock_);
    loading_ = true;
  }
  std::shared_ptr<const HeatSnapshot> s;
  try {
    s = load(db, source_, stop);
  } catch (...) {
    std::lock_guard p(pending_lock_);
    loading_ = false;
    pending_.clear();
    throw;
  }
  std::vector<int64_t> ids;
  {
    std::lock_guard p(pending_lock_);
    loading_ = false;
    ids.swap(pending_);
  }
  if (!s) return nullptr;  // stopped
  current_.store(s);
  // Changes committed while loading; one the load saw already nets out to nothing.
  for (int64_t id : ids) apply(db, id);
  return current_.load();
}

std::optional<HeatPointInput> HeatStore::read(data::Db& db, int64_t id, HeatSnapshot& s) const {
  data::Statement st(db, sql(source_) + " AND id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return point_of(st, source_, s.categories);
}

void HeatStore::changed(data::Db& db, int64_t id) {
  {
    std::lock_guard p(pending_lock_);
    if (loading_) {
      pending_.push_back(id);
      return;
    }
  }
  std::lock_guard l(lock_);
  if (!current_.load()) return;  // not loaded yet: the first snapshot reads the change
  apply(db, id);
}

void HeatStore::apply(data::Db& db, int64_t id) {
  auto now = current_.load();
  auto next = std::make_shared<HeatSnapshot>(*now);
  uint32_t key = checked_id(id);
  std::optional<HeatPointInput> before;
  if (auto it = next->changed.find(key); it != next->changed.end())
    before = it->second;
  else
    before = next->base->find(key);
  std::optional<HeatPointInput> after = read(db, id, *next);
  if (before) next->deltas.push_back({before->key, before->attrs, key, -1});
  if (after) next->deltas.push_back({after->key, after->attrs, key, +1});
  next->changed[key] = after;
  bool fold_now = next->deltas.size() > kMaxHeatDeltas && !rebuilding_.load();
  current_.store(next);
  if (fold_now) {
    if (rebuild_.joinable()) rebuild_.join();  // finished: rebuilding_ is false
    rebuilding_.store(true);
    rebuild_ = std::thread([this, next] { rebuild(next); });
  }
}

std::shared_ptr<const HeatIndex> HeatStore::fold(const HeatSnapshot& s) {
  std::vector<HeatPointInput> points;
  points.reserve(s.base->size() + s.changed.size());
  s.base->for_each([&](uint32_t id) { return s.changed.count(id) > 0; },
                   [&](const HeatPointInput& p) { points.push_back(p); });
  for (const auto& [id, p] : s.changed)
    if (p) points.push_back(*p);
  return HeatIndex::build(std::move(points));
}

void HeatStore::rebuild(std::shared_ptr<const HeatSnapshot> from) {
  std::shared_ptr<const HeatIndex> base;
  try {
    base = fold(*from);
  } catch (...) {
    rebuilding_.store(false);  // the overlay stays; the next change tries again
    return;
  }
  std::lock_guard l(lock_);
  auto now = current_.load();
  auto next = std::make_shared<HeatSnapshot>();
  next->base = base;
  next->categories = now->categories;
  // Changes made while folding are relative to `from`, which the new base now holds.
  next->deltas.assign(now->deltas.begin() + static_cast<ptrdiff_t>(from->deltas.size()),
                      now->deltas.end());
  for (const HeatDelta& d : next->deltas)
    next->changed[d.id] = d.sign > 0
                              ? std::optional<HeatPointInput>(HeatPointInput{d.key, d.attrs, d.id})
                              : std::nullopt;
  current_.store(next);
  rebuilding_.store(false);
}

}  // namespace gridmap::tiles
