#include "geo/worker_index.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap {
namespace {

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A test-and-test-and-set lock for critical sections of a few dozen instructions: one
// atomic exchange to take it and a plain store to release it. A waiter yields after a short
// spin, so a preempted holder does not burn the waiter's time slice.
class SpinLock {
 public:
  void lock() noexcept {
    for (int spins = 0; flag_.exchange(true, std::memory_order_acquire);)
      while (flag_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

// Queries read slots without writing anything shared (a seqlock, below), so every word a
// query may read while a writer changes it is accessed atomically; relaxed atomics compile
// to plain moves.
uint64_t load(const uint64_t& w) noexcept {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(w)).load(std::memory_order_relaxed);
}
void store(uint64_t& w, uint64_t v) noexcept {
  std::atomic_ref<uint64_t>(w).store(v, std::memory_order_relaxed);
}

// One worker as a query sees it: 32 bytes, two to a cache line.
struct Entry {
  uint64_t lon = 0, lat = 0;  // the doubles' bits
  uint64_t id = 0;
  uint64_t meta = 0;  // community (low 32 bits), on duty (bit 32), grid set (bits 33..63)
};
constexpr uint64_t kOnDuty = uint64_t{1} << 32;
constexpr int kGridSetShift = 33;

struct Worker {  // an Entry decoded
  double lon, lat;
  int64_t id;
  uint64_t meta;
};

Worker read(const Entry& e) noexcept {
  return {std::bit_cast<double>(load(e.lon)), std::bit_cast<double>(load(e.lat)),
          static_cast<int64_t>(load(e.id)), load(e.meta)};
}
void write(Entry& e, const Worker& w) noexcept {
  store(e.lon, std::bit_cast<uint64_t>(w.lon));
  store(e.lat, std::bit_cast<uint64_t>(w.lat));
  store(e.id, static_cast<uint64_t>(w.id));
  store(e.meta, w.meta);
}

// A slot holds the workers of the cells that map onto it (cells a tile apart share a slot):
// the first kInline entries in the slot itself, right after its header, the rest in an
// overflow block. Writers take the slot by making `seq` odd and release it by making it
// even again; queries read without writing, note `seq` before and after and read again when
// it changed. An overflow block is never freed while the index lives (a query may still be
// reading one its slot has just replaced), and blocks only grow, so the blocks left behind
// take at most as much memory as the live ones.
struct alignas(64) Slot {
  static constexpr uint32_t kInline = 7;
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> count{0};
  // The overflow block: more[0].lon holds its capacity, entries start at more[1].
  std::atomic<Entry*> more{nullptr};
  uint64_t unused = 0;
  Entry inline_entries[kInline];

  static uint32_t capacity(const Entry* more) noexcept {
    return more ? static_cast<uint32_t>(load(more[0].lon)) : 0;
  }
  Entry& at(uint32_t i, Entry* more) noexcept {
    return i < kInline ? inline_entries[i] : more[1 + i - kInline];
  }
  const Entry& at(uint32_t i, const Entry* more) const noexcept {
    return i < kInline ? inline_entries[i] : more[1 + i - kInline];
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

  // Under the lock.
  uint32_t find(int64_t id) const noexcept {
    uint32_t n = count.load(std::memory_order_relaxed);
    const Entry* m = more.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < n; ++i)
      if (load(at(i, m).id) == static_cast<uint64_t>(id)) return i;
    return UINT32_MAX;
  }
  void erase(uint32_t i) noexcept {
    uint32_t last = count.load(std::memory_order_relaxed) - 1;
    Entry* m = more.load(std::memory_order_relaxed);
    if (i != last) write(at(i, m), read(at(last, m)));
    count.store(last, std::memory_order_relaxed);
  }
  // Room must have been made (Impl::make_room).
  void push(const Worker& w) noexcept {
    uint32_t n = count.load(std::memory_order_relaxed);
    write(at(n, more.load(std::memory_order_relaxed)), w);
    count.store(n + 1, std::memory_order_relaxed);
  }
  void prefetch(int lines) const noexcept {
    for (int l = 0; l < lines; ++l)
      __builtin_prefetch(reinterpret_cast<const char*>(this) + 64 * l);
  }
};
static_assert(sizeof(Slot) == 256);

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

// The slots in one allocation, backed by huge pages where the system offers them: a
// query or a move touches a few slots far apart, and with 4 KiB pages each would also cost
// a TLB miss.
class SlotArray {
 public:
  explicit SlotArray(size_t n) : n_(n) {
    size_t bytes = n * sizeof(Slot);
    constexpr size_t huge = size_t{2} << 20;
    size_t align = bytes >= huge ? huge : alignof(Slot);
    bytes = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, bytes);
    if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == huge) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
    slots_ = static_cast<Slot*>(p);
    for (size_t i = 0; i < n; ++i) new (slots_ + i) Slot();
  }
  ~SlotArray() {
    std::free(slots_);
  }  // Slot is trivially destructible
  SlotArray(const SlotArray&) = delete;
  SlotArray& operator=(const SlotArray&) = delete;
  Slot& operator[](size_t i) noexcept {
    return slots_[i];
  }
  const Slot& operator[](size_t i) const noexcept {
    return slots_[i];
  }
  size_t size() const noexcept {
    return n_;
  }

 private:
  Slot* slots_ = nullptr;
  size_t n_;
};
static_assert(std::is_trivially_destructible_v<Slot>);

// The sets of grids workers are assigned to, each stored once and never changed or freed
// while the index lives, so a query can read a worker's set without a lock: an entry names
// its set by number. Memory grows with the number of distinct sets, not with updates.
class GridSets {
 public:
  static constexpr uint32_t kNone = 0;

  uint32_t intern(const std::vector<uint32_t>& grids) {
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
      (*owned_chunks_[n / kChunk])[n % kChunk].store(owned_.back().get(),
                                                     std::memory_order_release);
      it->second = n;
      return n;
    } catch (...) {
      numbers_.erase(it);
      throw;
    }
  }
  // nullptr for kNone (and for a number a query read in a torn entry that is not published
  // yet; the query reads the slot again anyway).
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

uint64_t mix(int64_t id) {
  auto z = static_cast<uint64_t>(id);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Worker id -> slot, open addressing with linear probing and backward-shift deletion: one
// cache line per lookup where a node-based map costs two or three misses.
class IdMap {
 public:
  static constexpr int64_t kNone = -1;

  int64_t* find(int64_t id) {
    if (used_ == 0) return nullptr;
    for (size_t s = slot_of(id);; s = (s + 1) & mask_) {
      if (slots_[s].where == kNone) return nullptr;
      if (slots_[s].id == id) return &slots_[s].where;
    }
  }
  // Makes room for one more id, so that a following insert() cannot throw.
  void reserve_one() {
    if (2 * (used_ + 1) > slots_.size()) grow();
  }
  void insert(int64_t id, int64_t where) {  // id must be absent, room reserved
    size_t s = slot_of(id);
    while (slots_[s].where != kNone) s = (s + 1) & mask_;
    slots_[s] = {id, where};
    ++used_;
  }
  void erase(int64_t id) {
    size_t s = slot_of(id);
    while (slots_[s].id != id || slots_[s].where == kNone) s = (s + 1) & mask_;
    // Shift later members of the probe run back so no lookup stops early at the hole.
    for (size_t next = (s + 1) & mask_; slots_[next].where != kNone; next = (next + 1) & mask_) {
      size_t home = slot_of(slots_[next].id);
      bool stays = s <= next ? (s < home && home <= next) : (s < home || home <= next);
      if (!stays) slots_[s] = slots_[next], s = next;
    }
    slots_[s].where = kNone;
    --used_;
  }

 private:
  struct Slot {
    int64_t id = 0;
    int64_t where = kNone;
  };
  size_t slot_of(int64_t id) const { return mix(id) & mask_; }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(16, slots_.size() * 2));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& o : old) {
      if (o.where == kNone) continue;
      size_t s = slot_of(o.id);
      while (slots_[s].where != kNone) s = (s + 1) & mask_;
      slots_[s] = o;
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0, mask_ = 0;
};

struct alignas(64) DirectoryStripe {
  SpinLock lock;
  IdMap slot_of;
};

uint64_t meta_of(const WorkerState& w, uint32_t grid_set) {
  return w.community | (w.on_duty ? kOnDuty : 0) | (uint64_t{grid_set} << kGridSetShift);
}

bool better(const WorkerDistance& a, const WorkerDistance& b) {
  return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.id < b.id;
}

}  // namespace

struct WorkerIndex::Impl {
  double cell_deg, inv_cell_deg;
  int64_t cells_lon, cells_lat;
  // Cells map to slots by tiling the plane with a tile_w x tile_h block of slots, so
  // neighbouring cells (what a query visits) sit in neighbouring slots in memory, and a row
  // of cells in consecutive ones.
  int tile_bits_w = 0;
  int64_t tile_w_mask = 0, tile_h_mask = 0;
  SlotArray slots;
  std::vector<DirectoryStripe> directory;
  GridSets grid_sets;
  std::mutex blocks_lock;
  std::vector<std::unique_ptr<Entry[]>> blocks;  // every overflow block, live or replaced
  std::atomic<size_t> count{0};

  static int slot_bits(size_t expected) {
    int bits = 6;
    while ((size_t{1} << bits) < expected / 2) ++bits;
    return bits;
  }

  Impl(size_t expected, double cell)
      : cell_deg(cell),
        inv_cell_deg(1 / cell),
        cells_lon(static_cast<int64_t>(std::ceil(360.0 / cell))),
        cells_lat(static_cast<int64_t>(std::ceil(180.0 / cell))),
        slots(size_t{1} << slot_bits(expected)),
        directory(64) {
    int bits = slot_bits(expected);
    tile_bits_w = (bits + 1) / 2;
    tile_w_mask = (int64_t{1} << tile_bits_w) - 1;
    tile_h_mask = (int64_t{1} << (bits - tile_bits_w)) - 1;
  }

  // Column and row of a valid position; longitude 180 and latitude 90 fall into the last
  // column and row (not one past them, where no search would look).
  int64_t ix(double lon) const {
    return std::min(cells_lon - 1, static_cast<int64_t>(std::floor((lon + 180.0) * inv_cell_deg)));
  }
  int64_t iy(double lat) const {
    return std::min(cells_lat - 1, static_cast<int64_t>(std::floor((lat + 90.0) * inv_cell_deg)));
  }
  size_t slot_index(int64_t x, int64_t y) const {
    return static_cast<size_t>(((y & tile_h_mask) << tile_bits_w) | (x & tile_w_mask));
  }
  size_t slot_index(LonLat p) const { return slot_index(ix(p.lon), iy(p.lat)); }
  DirectoryStripe& stripe(int64_t id) { return directory[mix(id) >> 58]; }

  static void check(LonLat p) {
    if (!is_valid_wgs84(p))
      throw_invalid("worker position is not a valid WGS84 longitude/latitude");
  }

  // Makes room for one more entry in a locked slot; throws (changing nothing) when memory
  // runs out.
  void make_room(Slot& s) {
    uint32_t n = s.count.load(std::memory_order_relaxed);
    Entry* m = s.more.load(std::memory_order_relaxed);
    uint32_t cap = Slot::capacity(m);
    if (n < Slot::kInline + cap) return;
    uint32_t grown = std::max<uint32_t>(8, 2 * cap);
    std::lock_guard l(blocks_lock);
    blocks.reserve(blocks.size() + 1);
    auto block = std::make_unique<Entry[]>(size_t{grown} + 1);
    block[0].lon = grown;
    for (uint32_t i = 0; i < cap; ++i) write(block[1 + i], read(m[1 + i]));
    s.more.store(block.get(), std::memory_order_release);
    blocks.push_back(std::move(block));
  }
};

WorkerIndex::WorkerIndex(size_t expected, double cell_deg) {
  if (!(cell_deg > 0 && cell_deg <= 10))
    throw_invalid("worker index: cell size must be in (0, 10] degrees");
  impl_ = std::make_unique<Impl>(expected, cell_deg);
}
WorkerIndex::~WorkerIndex() = default;

void WorkerIndex::upsert(const WorkerState& w) {
  Impl& m = *impl_;
  Impl::check(w.position);
  uint32_t grid_set = m.grid_sets.intern(w.grids);
  Worker entry{w.position.lon, w.position.lat, w.id, meta_of(w, grid_set)};
  DirectoryStripe& d = m.stripe(w.id);
  std::lock_guard dl(d.lock);
  size_t to_index = m.slot_index(w.position);
  Slot& to = m.slots[to_index];
  int64_t* known = d.slot_of.find(w.id);
  if (!known) {
    d.slot_of.reserve_one();
    {
      SlotGuard l(to);
      m.make_room(to);
      to.push(entry);
    }
    d.slot_of.insert(w.id, static_cast<int64_t>(to_index));
    ++m.count;
    return;
  }
  Slot& from = m.slots[static_cast<size_t>(*known)];
  TwoSlotGuard l(from, to);
  uint32_t i = from.find(w.id);
  if (&from == &to) {
    write(from.at(i, from.more.load(std::memory_order_relaxed)), entry);
    return;
  }
  m.make_room(to);  // first: a failure changes nothing
  to.push(entry);
  from.erase(i);
  *known = static_cast<int64_t>(to_index);
}

bool WorkerIndex::move(int64_t id, LonLat p) {
  Impl& m = *impl_;
  Impl::check(p);
  size_t to_index = m.slot_index(p);
  Slot& to = m.slots[to_index];
  to.prefetch(4);  // its misses overlap the directory lookup's
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id);
  if (!known) return false;
  Slot& from = m.slots[static_cast<size_t>(*known)];
  from.prefetch(4);
  TwoSlotGuard l(from, to);
  Entry* more = from.more.load(std::memory_order_relaxed);
  uint32_t i = from.find(id);
  Entry& e = from.at(i, more);
  if (&from == &to) {
    store(e.lon, std::bit_cast<uint64_t>(p.lon));
    store(e.lat, std::bit_cast<uint64_t>(p.lat));
    return true;
  }
  Worker w = read(e);
  w.lon = p.lon, w.lat = p.lat;
  m.make_room(to);  // first: a failure changes nothing
  to.push(w);
  from.erase(i);
  *known = static_cast<int64_t>(to_index);
  return true;
}

bool WorkerIndex::set_on_duty(int64_t id, bool on_duty) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id);
  if (!known) return false;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  SlotGuard l(s);
  Entry& e = s.at(s.find(id), s.more.load(std::memory_order_relaxed));
  uint64_t meta = load(e.meta);
  store(e.meta, on_duty ? meta | kOnDuty : meta & ~kOnDuty);
  return true;
}

bool WorkerIndex::remove(int64_t id) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id);
  if (!known) return false;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  {
    SlotGuard l(s);
    s.erase(s.find(id));
  }
  d.slot_of.erase(id);
  --m.count;
  return true;
}

std::optional<WorkerState> WorkerIndex::get(int64_t id) const {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id);
  if (!known) return std::nullopt;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  SlotGuard l(s);
  Worker w = read(s.at(s.find(id), s.more.load(std::memory_order_relaxed)));
  WorkerState out{w.id, {w.lon, w.lat}, (w.meta & kOnDuty) != 0, static_cast<uint32_t>(w.meta), {}};
  if (const std::vector<uint32_t>* g = m.grid_sets.get(w.meta >> kGridSetShift)) out.grids = *g;
  return out;
}

size_t WorkerIndex::size() const {
  return impl_->count.load();
}

namespace {

// One k-nearest search. Slots are read optimistically: the candidates of a slot are
// gathered into `found`, kept only when the slot did not change meanwhile, and then merged
// into `best` (sorted, at most k).
class Search {
 public:
  Search(double cell_deg, const GridSets& grid_sets, const DistanceFrom& dist, LonLat p, size_t k,
         const WorkerFilter& f, std::vector<WorkerDistance>& best)
      : cell_deg_(cell_deg), grid_sets_(grid_sets), dist_(dist), p_(p), k_(k), f_(f), best_(best) {}

  // Lower bound of the metres per degree of separation for what is scanned from now on.
  void set_per_deg(double per_deg) noexcept { per_deg_ = per_deg; }
  bool full() const noexcept { return best_.size() == k_; }
  double kth() const noexcept { return best_.back().distance_m; }

  // The workers of `s`; with a cell (its centre), only those of that cell (a slot also
  // holds cells a tile away).
  void scan(const Slot& s, bool in_cell, double mid_lon, double mid_lat) {
    for (int spins = 0;; ++spins) {
      uint32_t before = s.seq.load(std::memory_order_acquire);
      if (before & 1) {
        if (spins > 64)
          std::this_thread::yield();
        else
          cpu_relax();
        continue;
      }
      n_found_ = 0;
      spill_.clear();
      collect(s, in_cell, mid_lon, mid_lat);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) == before) break;
    }
    for (size_t i = 0; i < n_found_; ++i) merge(found_[i]);
    for (const WorkerDistance& c : spill_) merge(c);
  }

 private:
  void collect(const Slot& s, bool in_cell, double mid_lon, double mid_lat) {
    uint32_t n = s.count.load(std::memory_order_relaxed);
    const Entry* more = nullptr;
    if (n > Slot::kInline) {
      more = s.more.load(std::memory_order_acquire);
      // A torn read may pair a count with another block: never read past what is there.
      n = std::min(n, Slot::kInline + Slot::capacity(more));
    }
    // Generous: a worker of the cell is within half a cell of its centre.
    const double half = cell_deg_;
    const bool is_full = full();
    const double limit = is_full ? kth() : 0;
    for (uint32_t i = 0; i < n; ++i) {
      const Entry& e = s.at(i, more);
      uint64_t meta = load(e.meta);
      if (!f_.include_off_duty && !(meta & kOnDuty)) continue;
      if (f_.community && static_cast<uint32_t>(meta) != *f_.community) continue;
      double lon = std::bit_cast<double>(load(e.lon)), lat = std::bit_cast<double>(load(e.lat));
      if (in_cell && (std::fabs(lon - mid_lon) > half || std::fabs(lat - mid_lat) > half)) continue;
      if (is_full) {  // a cheap bound first: most candidates are too far
        double dlon = std::fabs(lon - p_.lon);
        double sep = std::max(std::min(dlon, 360 - dlon), std::fabs(lat - p_.lat));
        if (sep * per_deg_ > limit) continue;
      }
      if (f_.grid && !grid_sets_.contains(meta >> kGridSetShift, *f_.grid)) continue;
      WorkerDistance c{static_cast<int64_t>(load(e.id)), dist_.metres({lon, lat})};
      if (is_full && !better(c, best_.back())) continue;
      if (n_found_ < found_.size())
        found_[n_found_++] = c;
      else
        spill_.push_back(c);
    }
  }

  void merge(const WorkerDistance& c) {
    if (full() && !better(c, best_.back())) return;
    for (const WorkerDistance& x : best_)
      if (x.id == c.id) return;  // seen twice while it moved between slots
    best_.insert(std::upper_bound(best_.begin(), best_.end(), c, better), c);
    if (best_.size() > k_) best_.pop_back();
  }

  double cell_deg_;
  const GridSets& grid_sets_;
  const DistanceFrom& dist_;
  LonLat p_;
  size_t k_;
  const WorkerFilter& f_;
  std::vector<WorkerDistance>& best_;
  double per_deg_ = 0;
  // Candidates of the slot being read: on the stack, and on the heap only for a crowded slot.
  std::array<WorkerDistance, 16> found_;
  size_t n_found_ = 0;
  std::vector<WorkerDistance> spill_;
};

}  // namespace

std::vector<WorkerDistance> WorkerIndex::nearest(LonLat p, size_t k,
                                                 const WorkerFilter& filter) const {
  const Impl& m = *impl_;
  Impl::check(p);
  std::vector<WorkerDistance> best;  // sorted, at most k
  if (k == 0 || m.count.load() == 0) return best;
  int64_t cx = m.ix(p.lon), cy = m.iy(p.lat);
  const int64_t cells_lon = m.cells_lon, cells_lat = m.cells_lat;
  // The slots of p's cell and its neighbours first: their misses overlap the set-up below
  // (a sine, a cosine, an allocation), and most searches end within them.
  for (int64_t j = std::max<int64_t>(cy - 1, 0); j <= std::min(cy + 1, cells_lat - 1); ++j)
    for (int64_t i = cx - 1; i <= cx + 1; ++i)
      m.slots[m.slot_index(i < 0            ? i + cells_lon
                           : i >= cells_lon ? i - cells_lon
                                            : i,
                           j)]
          .prefetch(3);
  best.reserve(std::min<size_t>(k + 1, 64));
  DistanceFrom dist(p);
  Search search(m.cell_deg, m.grid_sets, dist, p, k, filter, best);
  const double cd = m.cell_deg;
  int64_t max_ring = std::max(cells_lon, cells_lat);
  // The offset of p inside its cell gives a tighter bound for the first rings.
  double fx = std::clamp((p.lon + 180.0) * m.inv_cell_deg - cx, 0.0, 1.0);
  double fy = std::clamp((p.lat + 90.0) * m.inv_cell_deg - cy, 0.0, 1.0);
  double inner = std::min({fx, 1 - fx, fy, 1 - fy}) * cd;
  // Degrees between p and the nearest side of cell column i (row j), 0 for p's own.
  auto gap = [cd](int64_t i, int64_t c, double f) {
    if (i > c) return ((i - c - 1) + (1 - f)) * cd;
    if (i < c) return ((c - i - 1) + f) * cd;
    return 0.0;
  };
  int64_t bound_ring = -1;
  double per_deg = 0;  // metres per degree of separation, at least, up to ring bound_ring
  // The cells of a ring are gathered first and their slots prefetched together, so their
  // cache misses overlap instead of queueing up one behind the other.
  struct Pending {
    const Slot* slot;
    double gap_deg;
    double mid_lon, mid_lat;
  };
  std::array<Pending, 32> pending;
  size_t n_pending = 0;
  auto scan_pending = [&] {
    // Nearest cells first: the k found early make the bound prune the far corners.
    for (size_t q = 1; q < n_pending; ++q)  // insertion sort: a few cells, mostly in order
      for (size_t r = q; r > 0 && pending[r].gap_deg < pending[r - 1].gap_deg; --r)
        std::swap(pending[r], pending[r - 1]);
    for (size_t q = 0; q < n_pending; ++q) {
      const Pending& c = pending[q];
      if (search.full() && c.gap_deg * per_deg > search.kth()) break;
      search.scan(*c.slot, true, c.mid_lon, c.mid_lat);
    }
    n_pending = 0;
  };
  size_t visited = 0;
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if (visited > 4 * m.slots.size()) {
      // Few matching workers spread far apart: one pass over everything is cheaper.
      best.clear();
      search.set_per_deg(0);  // candidates come from anywhere now: no bound
      for (size_t s = 0; s < m.slots.size(); ++s) search.scan(m.slots[s], false, 0, 0);
      return best;
    }
    if (ring > bound_ring) {
      // lower_bound is linear in the separation in degrees, and a bound for a wider band of
      // latitudes holds for a narrower one: one evaluation serves the first rings.
      bound_ring = std::max<int64_t>(ring, 3);
      per_deg = dist.lower_bound(1.0, std::min(90.0, std::fabs(p.lat) + (bound_ring + 1) * cd));
      search.set_per_deg(per_deg);
    }
    if (search.full()) {
      double away = ring == 0 ? 0 : (ring - 1) * cd + inner;
      if (cd * ring > 180 || away * per_deg > search.kth()) break;
    }
    for (int64_t j = cy - ring; j <= cy + ring; ++j) {
      if (j < 0 || j >= cells_lat) continue;
      bool edge_row = j == cy - ring || j == cy + ring;
      int64_t step = edge_row ? 1 : 2 * ring;
      double gap_lat = gap(j, cy, fy);
      double mid_lat = (static_cast<double>(j) + 0.5) * cd - 90.0;
      for (int64_t i = cx - ring; i <= cx + ring; i += std::max<int64_t>(step, 1)) {
        // Skip a cell that cannot hold anything nearer than the k-th found so far.
        double gap_deg = std::max(gap(i, cx, fx), gap_lat);
        if (search.full() && gap_deg * per_deg > search.kth()) continue;
        int64_t wrapped = i < 0            ? i + cells_lon
                          : i >= cells_lon ? i - cells_lon
                                           : i;  // no division: cheap
        if (wrapped < 0 || wrapped >= cells_lon)
          wrapped = ((i % cells_lon) + cells_lon) % cells_lon;
        const Slot& s = m.slots[m.slot_index(wrapped, j)];
        s.prefetch(3);
        ++visited;
        pending[n_pending++] = {&s, gap_deg, (static_cast<double>(wrapped) + 0.5) * cd - 180.0,
                                mid_lat};
        if (n_pending == pending.size()) scan_pending();
        if (ring == 0) break;
      }
    }
    if (ring > 0)
      scan_pending();  // p's own cell goes with the first ring: one wait for memory, not two
  }
  return best;
}

}  // namespace gridmap
