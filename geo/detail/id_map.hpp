// A hash map from a 64-bit id to a 64-bit place, open addressing with linear probing and
// backward-shift deletion: one cache line per lookup where a node-based map costs two or
// three misses. The worker index keeps one per directory stripe (worker id -> slot).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gridmap::detail {

// A well-mixed hash of an id (the splitmix64 finaliser): every input bit moves every output
// bit, so any range of its bits can pick a stripe or a table position.
inline uint64_t mix(int64_t id) noexcept {
  auto z = static_cast<uint64_t>(id);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The table position is taken from the bits of mix() right below its top `kSkipBits` (which
// the owner uses to choose among its maps), so ids sorted by mix() come in table order.
template <int kSkipBits>
class IdMap {
 public:
  static constexpr int64_t kNone = -1;  // not a place: places are not negative

  // The place of `id`, nullptr when absent; valid until the next insert() or erase().
  int64_t* find(int64_t id) noexcept {
    if (used_ == 0) return nullptr;
    for (size_t s = slot_of(id);; s = (s + 1) & mask_) {
      if (buckets_[s].where == kNone) return nullptr;
      if (buckets_[s].id == id) return &buckets_[s].where;
    }
  }
  // Makes room for one more id, so that a following insert() cannot throw.
  void reserve_one() {
    if (2 * (used_ + 1) > buckets_.size()) grow();
  }
  void insert(int64_t id, int64_t where) noexcept {  // id absent, room reserved, where >= 0
    size_t s = slot_of(id);
    while (buckets_[s].where != kNone) s = (s + 1) & mask_;
    buckets_[s] = {id, where};
    ++used_;
  }
  void erase(int64_t id) noexcept {  // id present
    size_t s = slot_of(id);
    while (buckets_[s].id != id || buckets_[s].where == kNone) s = (s + 1) & mask_;
    // Shift later members of the probe run back so no lookup stops early at the hole.
    for (size_t next = (s + 1) & mask_; buckets_[next].where != kNone; next = (next + 1) & mask_) {
      size_t home = slot_of(buckets_[next].id);
      bool stays = s <= next ? (s < home && home <= next) : (s < home || home <= next);
      if (!stays) buckets_[s] = buckets_[next], s = next;
    }
    buckets_[s].where = kNone;
    --used_;
  }
  size_t size() const noexcept { return used_; }

 private:
  struct Bucket {
    int64_t id = 0;
    int64_t where = kNone;
  };
  size_t slot_of(int64_t id) const noexcept { return (mix(id) << kSkipBits >> 32) & mask_; }
  void grow() {
    std::vector<Bucket> old(std::max<size_t>(16, buckets_.size() * 2));
    old.swap(buckets_);
    mask_ = buckets_.size() - 1;
    for (const Bucket& o : old) {
      if (o.where == kNone) continue;
      size_t s = slot_of(o.id);
      while (buckets_[s].where != kNone) s = (s + 1) & mask_;
      buckets_[s] = o;
    }
  }
  std::vector<Bucket> buckets_;
  size_t used_ = 0, mask_ = 0;
};

}  // namespace gridmap::detail
