#include "tiles/heat_index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace gridmap::tiles {
namespace {

uint64_t spread(uint32_t v) noexcept {  // bits of v at the even positions
  uint64_t x = v;
  x = (x | x << 16) & 0x0000FFFF0000FFFFull;
  x = (x | x << 8) & 0x00FF00FF00FF00FFull;
  x = (x | x << 4) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | x << 2) & 0x3333333333333333ull;
  x = (x | x << 1) & 0x5555555555555555ull;
  return x;
}

uint32_t compact(uint64_t x) noexcept {  // the even bits of x
  x &= 0x5555555555555555ull;
  x = (x | x >> 1) & 0x3333333333333333ull;
  x = (x | x >> 2) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | x >> 4) & 0x00FF00FF00FF00FFull;
  x = (x | x >> 8) & 0x0000FFFF0000FFFFull;
  x = (x | x >> 16) & 0x00000000FFFFFFFFull;
  return static_cast<uint32_t>(x);
}

constexpr int kBlockLevels = 4;  // a box is read as aligned blocks of 16 x 16 cells

// f(position, x, y) for every key (at key_level) whose cell at box.level lies in the box;
// x, y relative to the box. Keys must be sorted.
template <class F>
void scan_box(const std::vector<uint64_t>& keys, int key_level, const CellBox& box, F&& f) {
  int shift = 2 * (key_level - box.level);
  int64_t n = int64_t{1} << box.level;
  int64_t x0 = std::max<int64_t>(box.x0, 0), y0 = std::max<int64_t>(box.y0, 0),
          x1 = std::min<int64_t>(box.x0 + box.w, n), y1 = std::min<int64_t>(box.y0 + box.h, n);
  if (x0 >= x1 || y0 >= y1) return;
  int s = std::min(box.level, kBlockLevels);
  for (int64_t by = y0 >> s; by <= (y1 - 1) >> s; ++by)
    for (int64_t bx = x0 >> s; bx <= (x1 - 1) >> s; ++bx) {
      uint64_t block = morton(static_cast<uint32_t>(bx), static_cast<uint32_t>(by));
      uint64_t lo = block << (2 * s + shift), hi = (block + 1) << (2 * s + shift);
      bool inside = bx << s >= x0 && (bx + 1) << s <= x1 && by << s >= y0 && (by + 1) << s <= y1;
      auto it = std::lower_bound(keys.begin(), keys.end(), lo);
      for (; it != keys.end() && *it < hi; ++it) {
        uint32_t cx, cy;
        unmorton(*it >> shift, cx, cy);
        if (!inside && (cx < x0 || cx >= x1 || cy < y0 || cy >= y1)) continue;
        f(static_cast<size_t>(it - keys.begin()), static_cast<int>(cx - box.x0),
          static_cast<int>(cy - box.y0));
      }
    }
}

constexpr size_t kFilteredLevels = 48;

}  // namespace

uint64_t morton(uint32_t x, uint32_t y) noexcept {
  return spread(x) | spread(y) << 1;
}

void unmorton(uint64_t key, uint32_t& x, uint32_t& y) noexcept {
  x = compact(key);
  y = compact(key >> 1);
}

uint64_t heat_key(WorldXY w) noexcept {
  constexpr double n = double(uint64_t{1} << kHeatKeyLevel);
  auto cell = [](double v) {
    return static_cast<uint32_t>(std::clamp(std::floor(v * n), 0.0, n - 1));
  };
  return morton(cell(w.x), cell(w.y));
}

void HeatFilter::prepare() noexcept {
  combos_.reset();
  for (uint32_t c = 0; c < 256; ++c)
    if (categories[c])
      for (uint32_t k = 0; k < 2; ++k)
        if (kinds >> k & 1)
          for (uint32_t s = 0; s < 16; ++s)
            if (statuses >> s & 1) combos_.set(c << 5 | k << 4 | s);
}

uint32_t HeatAttrs::pack() const noexcept {
  return uint32_t{day} << 16 | uint32_t{category} << 8 | uint32_t(kind & 1) << 4 | (status & 15);
}

HeatAttrs HeatAttrs::unpack(uint32_t v) noexcept {
  HeatAttrs a;
  a.day = static_cast<uint16_t>(v >> 16);
  a.category = static_cast<uint8_t>(v >> 8);
  a.kind = static_cast<uint8_t>(v >> 4 & 1);
  a.status = static_cast<uint8_t>(v & 15);
  return a;
}

uint16_t heat_day(int64_t t) noexcept {
  int64_t local = t + 8 * 3600;
  int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  return static_cast<uint16_t>(std::clamp<int64_t>(day, 0, 0xffff));
}

namespace {
// Sizes a large array on transparent huge pages where the kernel offers them on request
// (THP "madvise" mode): the arrays are scanned whole, and on 4 KiB pages each scan pays a
// page walk every 512 keys. A hint only: without it the array is simply on small pages.
template <class T>
void resize_on_huge_pages(std::vector<T>& v, size_t n) {
  v.reserve(n);  // allocated, not touched yet
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(v.data()) + n * sizeof(T)) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
  v.resize(n);
}
}  // namespace

std::shared_ptr<const HeatIndex> HeatIndex::build(std::vector<HeatPointInput> points) {
  std::sort(points.begin(), points.end(),
            [](const HeatPointInput& a, const HeatPointInput& b) { return a.key < b.key; });
  auto h = std::make_shared<HeatIndex>();
  resize_on_huge_pages(h->keys_, points.size());
  resize_on_huge_pages(h->attrs_, points.size());
  h->ids_.resize(points.size());
  h->by_id_.resize(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    h->keys_[i] = points[i].key;
    h->attrs_[i] = points[i].attrs;
    h->ids_[i] = points[i].id;
    h->by_id_[i] = uint64_t{points[i].id} << 32 | i;
  }
  std::sort(h->by_id_.begin(), h->by_id_.end());
  h->all_ = h->make_pyramid();
  for (int l = 0; l <= kHeatPyramidLevel; ++l) {
    std::vector<uint32_t> c = (*h->all_)[l].counts;
    if (c.empty()) {
      h->busy_[l] = 1;
      continue;
    }
    auto at = c.begin() + static_cast<ptrdiff_t>(c.size() * 99 / 100);
    std::nth_element(c.begin(), at, c.end());
    h->busy_[l] = std::max(1.0, double(*at));
  }
  return h;
}

namespace {

// Run-length counts of sorted cells.
template <class Level>
void add_cell(Level& l, uint64_t cell, uint32_t n) {
  if (!l.keys.empty() && l.keys.back() == cell) {
    l.counts.back() += n;
  } else {
    l.keys.push_back(cell);
    l.counts.push_back(n);
  }
}

}  // namespace

std::shared_ptr<const HeatIndex::Pyramid> HeatIndex::make_pyramid() const {
  auto p = std::make_shared<Pyramid>();
  constexpr int shift = 2 * (kHeatKeyLevel - kHeatPyramidLevel);
  for (uint64_t key : keys_) add_cell((*p)[kHeatPyramidLevel], key >> shift, 1);
  for (int l = kHeatPyramidLevel - 1; l >= 0; --l) {
    const Level& fine = (*p)[l + 1];
    for (size_t i = 0; i < fine.keys.size(); ++i)
      add_cell((*p)[l], fine.keys[i] >> 2, fine.counts[i]);
  }
  for (Level& l : *p) {
    l.keys.shrink_to_fit();
    l.counts.shrink_to_fit();
  }
  return p;
}

std::shared_ptr<const HeatIndex::Filtered> HeatIndex::filtered(const HeatFilter& filter,
                                                               int level) const {
  std::string key = std::to_string(level) + ":" + filter.key;
  // One builder at a time: a second request for the same level waits and finds it.
  std::lock_guard l(lock_);
  for (auto it = filtered_.begin(); it != filtered_.end(); ++it)
    if (it->first == key) {
      filtered_.splice(filtered_.begin(), filtered_, it);
      return it->second;
    }
  auto f = std::make_shared<Filtered>();
  // Which is fewer, the points the filter passes or those it refuses? A sample tells.
  size_t step = std::max<size_t>(1, attrs_.size() / 4096), passed = 0, seen = 0;
  for (size_t i = 0; i < attrs_.size(); i += step, ++seen) passed += filter.matches(attrs_[i]);
  f->complement = passed * 2 > seen;
  int shift = 2 * (kHeatKeyLevel - level);
  for (size_t i = 0; i < keys_.size(); ++i)
    if (filter.matches(attrs_[i]) != f->complement) add_cell(f->level, keys_[i] >> shift, 1);
  f->level.keys.shrink_to_fit();
  f->level.counts.shrink_to_fit();
  filtered_.emplace_front(key, f);
  if (filtered_.size() > kFilteredLevels) filtered_.pop_back();
  return f;
}

void HeatIndex::add_counts(const CellBox& box, const HeatFilter& filter,
                           std::span<uint32_t> out) const {
  auto add = [&](const Level& l) {
    scan_box(l.keys, box.level, box,
             [&](size_t i, int x, int y) { out[size_t(y) * box.w + x] += l.counts[i]; });
  };
  if (box.level <= kHeatPyramidLevel && filter.all) {
    add((*all_)[box.level]);
  } else if (box.level <= kHeatPyramidLevel) {
    auto f = filtered(filter, box.level);
    if (!f->complement) {
      add(f->level);
    } else {  // all but the refused
      add((*all_)[box.level]);
      scan_box(f->level.keys, box.level, box,
               [&](size_t i, int x, int y) { out[size_t(y) * box.w + x] -= f->level.counts[i]; });
    }
  } else if (filter.all) {
    scan_box(keys_, kHeatKeyLevel, box,
             [&](size_t, int x, int y) { ++out[size_t(y) * box.w + x]; });
  } else {
    scan_box(keys_, kHeatKeyLevel, box, [&](size_t i, int x, int y) {
      if (filter.matches(attrs_[i])) ++out[size_t(y) * box.w + x];
    });
  }
}

std::optional<HeatPointInput> HeatIndex::find(uint32_t id) const {
  auto it = std::lower_bound(by_id_.begin(), by_id_.end(), uint64_t{id} << 32);
  if (it == by_id_.end() || *it >> 32 != id) return std::nullopt;
  size_t i = *it & 0xffffffffu;
  return HeatPointInput{keys_[i], attrs_[i], id};
}

double HeatIndex::busy_cell(int level) const noexcept {
  if (level <= kHeatPyramidLevel) return busy_[std::max(level, 0)];
  return std::max(1.0, busy_[kHeatPyramidLevel] / std::ldexp(1.0, 2 * (level - kHeatPyramidLevel)));
}

size_t HeatIndex::memory_bytes() const {
  size_t b =
      keys_.capacity() * 8 + attrs_.capacity() * 4 + ids_.capacity() * 4 + by_id_.capacity() * 8;
  auto level_bytes = [](const Level& l) { return l.keys.capacity() * 8 + l.counts.capacity() * 4; };
  if (all_)
    for (const Level& l : *all_) b += level_bytes(l);
  std::lock_guard l(lock_);
  for (const auto& [k, f] : filtered_) b += level_bytes(f->level);
  return b;
}

}  // namespace gridmap::tiles
