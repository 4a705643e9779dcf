#include "tiles/heat_store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <type_traits>

#include "data/tile_rows.hpp"
#include "geo/error.hpp"
#include "tiles/wkb.hpp"

namespace gridmap::tiles {
namespace {

// The values a filter list allows, as bits by the enum's value; all when the list is empty,
// none for an unknown name.
template <class E, class Mask>
Mask mask_of(const std::vector<std::string>& values, std::optional<E> (*parse)(std::string_view)) {
  static_assert(data::kAllKinds.size() <= 8 && data::kAllStatuses.size() <= 16,
                "a heat filter's masks");
  if (values.empty()) return static_cast<Mask>(~Mask{0});
  Mask m = 0;
  for (const std::string& v : values)
    if (std::optional<E> e = parse(v))
      m = static_cast<Mask>(m | Mask(1u << static_cast<unsigned>(*e)));
  return m;
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

data::Layer layer_of(HeatStore::Source source) {
  return source == HeatStore::Source::petitions ? data::Layer::petitions : data::Layer::households;
}

// The row's point; nullopt when it has no point geometry.
std::optional<HeatPointInput> point_of(const data::PointRow& r, HeatStore::Source source,
                                       std::vector<std::string>& categories) {
  auto p = point_from_blob(r.geom);
  if (!p) return std::nullopt;
  HeatPointInput in{heat_key(to_world(*p)), 0, checked_id(r.id)};
  if (source == HeatStore::Source::petitions) {
    HeatAttrs a;
    a.kind = static_cast<uint8_t>(r.kind);
    a.category = category_index(categories, r.category);
    a.status = static_cast<uint8_t>(r.status);
    a.day = heat_day(r.created_at);
    in.attrs = a.pack();
  }
  return in;
}

struct Stopped {};  // a load given up on the way

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
  h.kinds = mask_of<data::Kind, uint8_t>(f.kind, data::parse_kind);
  h.statuses = mask_of<data::Status, uint16_t>(f.status, data::parse_status);
  if (f.from) h.day_from = heat_day(*f.from);
  if (f.to) h.day_to = uint32_t{heat_day(*f.to - 1)} + 1;
  h.prepare();
  char buf[64];
  std::snprintf(buf, sizeof buf, "|k%02x|s%04x|d%u-%u", h.kinds, h.statuses, h.day_from, h.day_to);
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
    for (const std::string& c : data::category_codes(db)) category_index(s->categories, c);
  }
  std::vector<HeatPointInput> points;
  bool stopped = false;
  try {
    data::read_all_points(db, layer_of(source), [&](data::PointRow& r) {
      if (auto p = point_of(r, source, s->categories)) points.push_back(*p);
      if (stop && points.size() % 65536 == 0 && stop->load()) throw Stopped{};
    });
  } catch (const Stopped&) {
    stopped = true;
  }
  if (stopped) return nullptr;
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
  std::optional<HeatPointInput> out;
  data::read_all_points(
      db, layer_of(source_),
      [&](const data::PointRow& r) { out = point_of(r, source_, s.categories); }, id);
  return out;
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

void HeatStore::reloaded(data::Db& db) {
  settle();
  std::lock_guard l(lock_);
  if (!current_.load()) return;  // not loaded yet: the first snapshot reads everything
  if (auto fresh = load(db, source_)) current_.store(std::move(fresh));
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
