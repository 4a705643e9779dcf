#include "tiles/batch_heap.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#define GRIDMAP_BATCH_HEAP 1
#endif

namespace gridmap::tiles {
namespace {

std::atomic<bool> batch{false};

#ifdef GRIDMAP_BATCH_HEAP
// Below glibc's limit for one arena heap (64 MB) and the mmap threshold set below, so it is
// carved from the calling thread's heap, which grows to hold it without touching it.
constexpr size_t kReserve = size_t{48} << 20;
constexpr size_t kHuge = size_t{2} << 20;

// Grows the calling thread's heap by kReserve, advises that range onto huge pages and gives
// it back to the heap, which keeps it (no trimming): what the thread allocates next comes
// from there.
void reserve_huge() noexcept {
  void* p = std::malloc(kReserve);
  if (!p) return;
  auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  auto end = (reinterpret_cast<uintptr_t>(p) + kReserve) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  std::free(p);
}
#endif

}  // namespace

void use_batch_heap() noexcept {
#ifdef GRIDMAP_BATCH_HEAP
  mallopt(M_MMAP_THRESHOLD, 64 << 20);  // also stops glibc adjusting it
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  batch = true;
  reserve_huge();
#endif
}

void prepare_thread_heap() noexcept {
#ifdef GRIDMAP_BATCH_HEAP
  if (batch) reserve_huge();
#endif
}

}  // namespace gridmap::tiles
