#include "geo/detail/grid_set_interner.hpp"

#include "geo/error.hpp"

namespace gridmap::detail {

uint32_t GridSetInterner::intern(const std::vector<uint32_t>& grids) {
  if (grids.empty()) return kNone;
  std::lock_guard l(lock_);
  auto [it, inserted] = numbers_.try_emplace(grids, 0);
  if (!inserted) return it->second;
  try {
    uint32_t n = static_cast<uint32_t>(owned_.size()) + 1;
    if (n >= kChunk * kChunks) throw_invalid("worker index: too many distinct sets of grids");
    if (n / kChunk == owned_chunks_.size()) {  // numbers are handed out in order
      owned_chunks_.push_back(std::make_unique<Chunk>());
      chunks_[n / kChunk].store(owned_chunks_.back().get(), std::memory_order_release);
    }
    owned_.reserve(owned_.size() + 1);
    owned_.push_back(std::make_unique<const std::vector<uint32_t>>(grids));
    (*owned_chunks_[n / kChunk])[n % kChunk].store(owned_.back().get(), std::memory_order_release);
    it->second = n;
    return n;
  } catch (...) {
    numbers_.erase(it);
    throw;
  }
}

}  // namespace gridmap::detail
