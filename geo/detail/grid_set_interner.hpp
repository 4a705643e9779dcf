// An interner of the sets of grids workers are assigned to: each distinct set is stored
// once, named by a number, and never changed or freed while the interner lives, so a reader
// can look a set up by its number without a lock (a worker-index entry keeps only the
// number). Memory grows with the number of distinct sets, not with updates.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace gridmap::detail {

class GridSetInterner {
 public:
  static constexpr uint32_t kNone = 0;  // the empty set

  // The number of `grids` (a sequence: order and repeats count), kNone when empty; the same
  // sequence gets the same number every time. Throws invalid_input past 2^24 - 1 distinct
  // sets.
  uint32_t intern(const std::vector<uint32_t>& grids);

  // nullptr for kNone (and for a number a reader read in a torn entry that is not published
  // yet; the reader reads the entry again anyway).
  const std::vector<uint32_t>* get(uint64_t n) const noexcept {
    if (n == kNone || n >= kChunk * kChunks) return nullptr;
    const Chunk* c = chunks_[n / kChunk].load(std::memory_order_acquire);
    return c ? (*c)[n % kChunk].load(std::memory_order_acquire) : nullptr;
  }
  bool contains(uint64_t n, uint32_t grid) const noexcept {
    const std::vector<uint32_t>* g = get(n);
    return g && std::find(g->begin(), g->end(), grid) != g->end();
  }

 private:
  static constexpr size_t kChunk = 4096, kChunks = 4096;
  using Chunk = std::array<std::atomic<const std::vector<uint32_t>*>, kChunk>;
  std::mutex lock_;
  std::map<std::vector<uint32_t>, uint32_t> numbers_;
  std::vector<std::unique_ptr<const std::vector<uint32_t>>> owned_;
  std::vector<std::unique_ptr<Chunk>> owned_chunks_;
  std::array<std::atomic<const Chunk*>, kChunks> chunks_{};
};

}  // namespace gridmap::detail
