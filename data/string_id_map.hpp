// A hash map from a string to a 64-bit id for a bulk import's lookups (a million ID
// numbers, rooms and names): open addressing with linear probing over one array of slots,
// the keys' bytes in one arena. No allocation per key, and nothing to free one by one at
// the end, where a node-based map spends as long freeing its nodes as filling them.
// Insert and find only; no erase.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::data {

class StringIdMap {
 public:
  explicit StringIdMap(size_t expected = 1024) { rehash(capacity_for(expected)); }

  // The id of `key`, nullptr when absent; valid until the next insert().
  const int64_t* find(std::string_view key) const noexcept {
    uint64_t h = hash(key);
    for (size_t s = h & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.len == kEmpty) return nullptr;
      if (slot.tag == static_cast<uint32_t>(h) && slot.len == key.size() &&
          std::string_view(arena_.data() + slot.at, slot.len) == key)
        return &slot.value;
    }
  }
  // Starts loading the slot where `key` would be, for a find() or insert() a little later
  // (a table of millions of keys misses the cache on nearly every probe).
  void prefetch(std::string_view key) const noexcept {
    __builtin_prefetch(&slots_[hash(key) & mask_]);
  }
  // Adds `key` → `id`; a key already there keeps its id (returns false).
  bool insert(std::string_view key, int64_t id) {
    if (2 * (used_ + 1) > slots_.size()) rehash(slots_.size() * 2);
    uint64_t h = hash(key);
    size_t s = h & mask_;
    for (;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.len == kEmpty) break;
      if (slot.tag == static_cast<uint32_t>(h) && slot.len == key.size() &&
          std::string_view(arena_.data() + slot.at, slot.len) == key)
        return false;
    }
    slots_[s] = {arena_.size(), static_cast<uint32_t>(key.size()), static_cast<uint32_t>(h), id};
    arena_.append(key);
    ++used_;
    return true;
  }
  size_t size() const noexcept { return used_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {  // 24 bytes
    uint64_t at = 0;
    uint32_t len = kEmpty;
    uint32_t tag = 0;  // the hash's low bits, to skip most key comparisons
    int64_t value = 0;
  };
  static uint64_t hash(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < 2 * n) c *= 2;
    return c;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    mask_ = capacity - 1;
    for (const Slot& slot : old) {
      if (slot.len == kEmpty) continue;
      size_t s = hash(std::string_view(arena_.data() + slot.at, slot.len)) & mask_;
      while (slots_[s].len != kEmpty) s = (s + 1) & mask_;
      slots_[s] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t used_ = 0;
  size_t mask_ = 0;
};

}  // namespace gridmap::data
