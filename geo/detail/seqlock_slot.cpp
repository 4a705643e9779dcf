#include "geo/detail/seqlock_slot.hpp"

#include <algorithm>

namespace gridmap::detail {

void OverflowBlocks::grow(Slot& s) {
  Overflow* m = s.overflow();
  uint32_t cap = Slot::capacity(m);
  std::lock_guard l(lock_);
  blocks_.reserve(blocks_.size() + 1);
  auto block = std::make_unique<Overflow>(std::max<uint32_t>(8, 2 * cap));
  for (uint32_t i = 0; i < cap; ++i) {
    const Entry& e = m->entries[i];
    block->entries[i] = {load(e.xy), load(e.id), load(e.meta)};
  }
  s.more.store(block.get(), std::memory_order_release);
  blocks_.push_back(std::move(block));
}

}  // namespace gridmap::detail
