// A seqlock slot: a cache-line aligned bucket of 24-byte entries (the workers of the worker
// index's cells that map onto it) that writers change under a lock while readers read it
// without writing anything shared, retrying when a writer was at work meanwhile.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "geo/detail/spin_lock.hpp"

namespace gridmap::detail {

// Every word a reader may read while a writer changes it is accessed atomically; relaxed
// atomics compile to plain moves.
inline uint64_t load(const uint64_t& w) noexcept {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(w)).load(std::memory_order_relaxed);
}
inline void store(uint64_t& w, uint64_t v) noexcept {
  std::atomic_ref<uint64_t>(w).store(v, std::memory_order_relaxed);
}

// One entry as stored: three words whose meaning the index decides (the worker index: the
// encoded position and duty flag, the id, and what filters need besides).
struct Entry {
  uint64_t xy = 0;
  uint64_t id = 0;
  uint64_t meta = 0;
};

// An entry, read.
struct EntryValue {
  uint64_t xy;
  int64_t id;
  uint64_t meta;
};

// Entries beyond a slot's inline ones. Never changed after it is published, except its
// entries (under the slot's lock).
struct Overflow {
  explicit Overflow(uint32_t n) : capacity(n), entries(std::make_unique<Entry[]>(n)) {}
  uint32_t capacity;
  std::unique_ptr<Entry[]> entries;
};

// The first kInline entries live in the slot itself, right after the header, the rest in an
// overflow block. Writers take the slot by making `seq` odd and release it by making it even
// again; readers read without writing (read_consistent()). An overflow block must outlive
// every reader that may still hold it (OverflowBlocks keeps them all).
struct alignas(64) Slot {
  static constexpr uint32_t kInline = 10;
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> count{0};
  std::atomic<Overflow*> more{nullptr};
  Entry entries[kInline];

  static uint32_t capacity(const Overflow* more) noexcept { return more ? more->capacity : 0; }
  Entry& entry(uint32_t i, Overflow* more) noexcept {
    return i < kInline ? entries[i] : more->entries[i - kInline];
  }
  const Entry& entry(uint32_t i, const Overflow* more) const noexcept {
    return i < kInline ? entries[i] : more->entries[i - kInline];
  }
  EntryValue read(uint32_t i, const Overflow* more) const noexcept {
    const Entry& e = entry(i, more);
    return {load(e.xy), static_cast<int64_t>(load(e.id)), load(e.meta)};
  }
  void write(uint32_t i, Overflow* more, const EntryValue& v) noexcept {
    Entry& e = entry(i, more);
    store(e.xy, v.xy);
    store(e.id, static_cast<uint64_t>(v.id));
    store(e.meta, v.meta);
  }

  void lock() noexcept {
    for (int spins = 0;;) {
      uint32_t s = seq.load(std::memory_order_relaxed);
      if (!(s & 1) && seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) break;
      if (++spins > 64)
        std::this_thread::yield();
      else
        cpu_relax();
    }
    std::atomic_thread_fence(std::memory_order_release);  // the odd seq before any change
  }
  void unlock() noexcept {
    seq.store(seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Calls `read()` (which reads the slot's words with load(), and `count` and `more`) until
  // one call saw no writer at work: then what it read is one state of the slot. A call may
  // see a torn state (a count paired with another overflow block, an entry half written), so
  // it must not trust what it reads beyond staying in bounds; each call starts afresh.
  template <class Read>
  void read_consistent(Read&& read) const {
    for (int spins = 0;; ++spins) {
      uint32_t before = seq.load(std::memory_order_acquire);
      if (before & 1) {
        if (spins > 64)
          std::this_thread::yield();
        else
          cpu_relax();
        continue;
      }
      read();
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq.load(std::memory_order_relaxed) == before) return;
    }
  }

  // Under the lock.
  Overflow* overflow() noexcept { return more.load(std::memory_order_relaxed); }
  bool full() noexcept {
    return count.load(std::memory_order_relaxed) >= kInline + capacity(overflow());
  }
  uint32_t find(int64_t id) noexcept {  // UINT32_MAX when absent
    uint32_t n = count.load(std::memory_order_relaxed);
    Overflow* m = overflow();
    for (uint32_t i = 0; i < n; ++i)
      if (load(entry(i, m).id) == static_cast<uint64_t>(id)) return i;
    return UINT32_MAX;
  }
  void erase(uint32_t i) noexcept {  // the last entry takes the place of entry i
    uint32_t last = count.load(std::memory_order_relaxed) - 1;
    Overflow* m = overflow();
    if (i != last) write(i, m, read(last, m));
    count.store(last, std::memory_order_relaxed);
  }
  // Room must have been made (OverflowBlocks::make_room).
  void push(const EntryValue& v) noexcept {
    uint32_t n = count.load(std::memory_order_relaxed);
    write(n, overflow(), v);
    count.store(n + 1, std::memory_order_relaxed);
  }
  // The header and the entries of the first `lines` cache lines.
  void prefetch(int lines) const noexcept {
    for (int l = 0; l < lines; ++l)
      __builtin_prefetch(reinterpret_cast<const char*>(this) + 64 * l);
  }
  void prefetch_for_write(int lines) noexcept {
    for (int l = 0; l < lines; ++l)
      __builtin_prefetch(reinterpret_cast<const char*>(this) + 64 * l, 1);
  }
};
static_assert(sizeof(Slot) == 256);
static_assert(std::is_trivially_destructible_v<Slot>);

class SlotGuard {
 public:
  explicit SlotGuard(Slot& s) noexcept : s_(s) { s_.lock(); }
  ~SlotGuard() { s_.unlock(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  Slot& s_;
};

// Two slots, locked in address order (one lock when they are the same).
class TwoSlotGuard {
 public:
  TwoSlotGuard(Slot& a, Slot& b) noexcept
      : first_(&a < &b ? a : b), second_(&a < &b ? &b : (&a == &b ? nullptr : &a)) {
    first_.lock();
    if (second_) second_->lock();
  }
  ~TwoSlotGuard() {
    if (second_) second_->unlock();
    first_.unlock();
  }
  TwoSlotGuard(const TwoSlotGuard&) = delete;
  TwoSlotGuard& operator=(const TwoSlotGuard&) = delete;

 private:
  Slot& first_;
  Slot* second_;
};

// Every overflow block handed to a slot, live or replaced: a block is never freed while its
// owner lives (a reader may still be reading one its slot has just replaced), and blocks only
// grow, so the blocks left behind take at most as much memory as the live ones.
class OverflowBlocks {
 public:
  // Makes room for one more entry in a locked slot; throws (changing nothing) when memory
  // runs out.
  void make_room(Slot& s) {
    if (s.full()) grow(s);
  }

 private:
  void grow(Slot& s);  // a block twice the size (at least 8), the entries copied over

  std::mutex lock_;
  std::vector<std::unique_ptr<Overflow>> blocks_;
};

}  // namespace gridmap::detail
