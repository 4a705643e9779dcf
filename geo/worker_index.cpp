#include "geo/worker_index.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap {
namespace {

// A test-and-test-and-set lock for critical sections of a few dozen instructions: one
// atomic exchange to take it and a plain store to release it, where a std::shared_mutex
// costs two read-modify-writes either way. A waiter yields after a short spin, so a
// preempted holder does not burn the waiter's time slice.
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

// What a query reads about a worker, contiguous so a bucket scan touches few cache lines.
struct Hot {
  double lon = 0, lat = 0;
  int64_t id = 0;
  int64_t cell = 0;
  uint32_t community = UINT32_MAX;
  bool on_duty = false;
};

// A bucket holds the workers of the cells mapped to it, in two parallel arrays. One cache
// line each, so taking the lock also brings in the arrays' pointers.
struct alignas(64) Bucket {
  mutable SpinLock lock;
  // Where `hot` keeps its elements, readable without the lock: only ever used as a
  // prefetch address (a prefetch of freed memory is harmless), never dereferenced. The
  // hints of all buckets sit in one dense array (small enough to stay cached), so a query
  // can prefetch a bucket's elements without waiting for the bucket itself.
  std::atomic<const Hot*>* prefetch_hint = nullptr;
  std::vector<Hot> hot;
  std::vector<std::vector<uint32_t>> grids;  // same order as `hot`

  size_t find(int64_t id) const {
    for (size_t i = 0; i < hot.size(); ++i)
      if (hot[i].id == id) return i;
    return SIZE_MAX;
  }
  void erase(size_t i) {
    if (i + 1 != hot.size()) hot[i] = hot.back(), grids[i] = std::move(grids.back());
    hot.pop_back(), grids.pop_back();
  }
  // Room first in both arrays, so a failed allocation leaves them as they were and in step.
  void push(const Hot& h, std::vector<uint32_t>&& g) {
    if (hot.size() == hot.capacity()) hot.reserve(std::max<size_t>(4, 2 * hot.size()));
    if (grids.size() == grids.capacity()) grids.reserve(std::max<size_t>(4, 2 * grids.size()));
    hot.push_back(h), grids.push_back(std::move(g));
    prefetch_hint->store(hot.data(), std::memory_order_relaxed);
  }
  void prefetch() const {
    __builtin_prefetch(this);
    __builtin_prefetch(prefetch_hint->load(std::memory_order_relaxed));
  }
};

uint64_t mix(int64_t id) {
  auto z = static_cast<uint64_t>(id);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Worker id -> cell key, open addressing with linear probing and backward-shift deletion:
// one cache line per lookup where a node-based map costs two or three misses.
class IdMap {
 public:
  static constexpr int64_t kNoCell = -1;  // cell keys of valid positions are never negative

  int64_t* find(int64_t id) {
    if (used_ == 0) return nullptr;
    for (size_t s = slot_of(id);; s = (s + 1) & mask_) {
      if (slots_[s].cell == kNoCell) return nullptr;
      if (slots_[s].id == id) return &slots_[s].cell;
    }
  }
  // Makes room for one more id, so that a following insert() cannot throw.
  void reserve_one() {
    if (2 * (used_ + 1) > slots_.size()) grow();
  }
  void insert(int64_t id, int64_t cell) {  // id must be absent, room reserved
    size_t s = slot_of(id);
    while (slots_[s].cell != kNoCell) s = (s + 1) & mask_;
    slots_[s] = {id, cell};
    ++used_;
  }
  void erase(int64_t id) {
    size_t s = slot_of(id);
    while (slots_[s].id != id || slots_[s].cell == kNoCell) s = (s + 1) & mask_;
    // Shift later members of the probe run back so no lookup stops early at the hole.
    for (size_t next = (s + 1) & mask_; slots_[next].cell != kNoCell; next = (next + 1) & mask_) {
      size_t home = slot_of(slots_[next].id);
      bool stays = s <= next ? (s < home && home <= next) : (s < home || home <= next);
      if (!stays) slots_[s] = slots_[next], s = next;
    }
    slots_[s].cell = kNoCell;
    --used_;
  }

 private:
  struct Slot {
    int64_t id = 0;
    int64_t cell = kNoCell;
  };
  size_t slot_of(int64_t id) const { return mix(id) & mask_; }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(16, slots_.size() * 2));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& o : old) {
      if (o.cell == kNoCell) continue;
      size_t s = slot_of(o.id);
      while (slots_[s].cell != kNoCell) s = (s + 1) & mask_;
      slots_[s] = o;
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0, mask_ = 0;
};

struct DirectoryStripe {
  SpinLock lock;
  IdMap cell_of;
};

bool passes(const Hot& h, const std::vector<uint32_t>& grids, const WorkerFilter& f) {
  if (!f.include_off_duty && !h.on_duty) return false;
  if (f.community && h.community != *f.community) return false;
  if (f.grid && std::find(grids.begin(), grids.end(), *f.grid) == grids.end()) return false;
  return true;
}

Hot hot_of(const WorkerState& w, int64_t cell) {
  return {w.position.lon, w.position.lat, w.id, cell, w.community, w.on_duty};
}

WorkerState state_of(const Hot& h, const std::vector<uint32_t>& grids) {
  return {h.id, {h.lon, h.lat}, h.on_duty, h.community, grids};
}

}  // namespace

struct WorkerIndex::Impl {
  double cell_deg, inv_cell_deg;
  int64_t cells_lon, cells_lat;
  std::vector<Bucket> buckets;
  std::unique_ptr<std::atomic<const Hot*>[]> prefetch_hints;  // one per bucket
  // Cells map to buckets by tiling the plane with a tile_w x tile_h block of buckets, so
  // neighbouring cells (what a query visits) sit in neighbouring buckets in memory.
  int tile_bits_w = 0;
  int64_t tile_w_mask = 0, tile_h_mask = 0;
  std::vector<DirectoryStripe> directory;
  std::atomic<size_t> count{0};

  Impl(size_t expected, double cell)
      : cell_deg(cell),
        inv_cell_deg(1 / cell),
        cells_lon(static_cast<int64_t>(std::ceil(360.0 / cell))),
        cells_lat(static_cast<int64_t>(std::ceil(180.0 / cell))),
        directory(64) {
    int bits = 6;
    while ((size_t{1} << bits) < expected / 2) ++bits;
    buckets = std::vector<Bucket>(size_t{1} << bits);
    prefetch_hints = std::make_unique<std::atomic<const Hot*>[]>(buckets.size());
    for (size_t b = 0; b < buckets.size(); ++b) buckets[b].prefetch_hint = &prefetch_hints[b];
    tile_bits_w = (bits + 1) / 2;
    tile_w_mask = (int64_t{1} << tile_bits_w) - 1;
    tile_h_mask = (int64_t{1} << (bits - tile_bits_w)) - 1;
  }

  int64_t cell_key(int64_t ix, int64_t iy) const { return (iy << 32) ^ (ix & 0xffffffff); }
  // Column and row of a valid position; longitude 180 and latitude 90 fall into the last
  // column and row (not one past them, where no search would look).
  int64_t ix(double lon) const {
    return std::min(cells_lon - 1, static_cast<int64_t>(std::floor((lon + 180.0) * inv_cell_deg)));
  }
  int64_t iy(double lat) const {
    return std::min(cells_lat - 1, static_cast<int64_t>(std::floor((lat + 90.0) * inv_cell_deg)));
  }
  int64_t cell_of(LonLat p) const { return cell_key(ix(p.lon), iy(p.lat)); }
  Bucket& bucket(int64_t cell) {
    int64_t x = cell & 0xffffffff, y = cell >> 32;
    return buckets[static_cast<size_t>(((y & tile_h_mask) << tile_bits_w) | (x & tile_w_mask))];
  }
  const Bucket& bucket(int64_t cell) const { return const_cast<Impl*>(this)->bucket(cell); }
  DirectoryStripe& stripe(int64_t id) { return directory[mix(id) >> 58]; }

  static void check(LonLat p) {
    if (!is_valid_wgs84(p)) throw_invalid("worker position is not a valid WGS84 longitude/latitude");
  }

  // Locks two buckets in a fixed order (one when they are the same).
  template <class F>
  static void with_two(Bucket& a, Bucket& b, F&& f) {
    if (&a == &b) {
      std::lock_guard l(a.lock);
      f();
      return;
    }
    Bucket& first = &a < &b ? a : b;
    Bucket& second = &a < &b ? b : a;
    std::lock_guard l1(first.lock), l2(second.lock);
    f();
  }

  // Moves the worker's entry from bucket `from` to the bucket of `cell`, applying `edit`.
  template <class F>
  void relocate(int64_t id, int64_t old_cell, int64_t cell, F&& edit) {
    Bucket& from = bucket(old_cell);
    Bucket& to = bucket(cell);
    with_two(from, to, [&] {
      size_t i = from.find(id);
      Hot h = from.hot[i];
      h.cell = cell;
      edit(h);
      if (&from == &to) {
        from.hot[i] = h;
        return;
      }
      to.push(h, std::move(from.grids[i]));  // first: if it fails, nothing has moved
      from.erase(i);
    });
  }
};

WorkerIndex::WorkerIndex(size_t expected, double cell_deg) {
  if (!(cell_deg > 0 && cell_deg <= 10)) throw_invalid("worker index: cell size must be in (0, 10] degrees");
  impl_ = std::make_unique<Impl>(expected, cell_deg);
}
WorkerIndex::~WorkerIndex() = default;

void WorkerIndex::upsert(const WorkerState& w) {
  Impl& m = *impl_;
  Impl::check(w.position);
  DirectoryStripe& d = m.stripe(w.id);
  std::lock_guard dl(d.lock);
  int64_t cell = m.cell_of(w.position);
  Bucket& to = m.bucket(cell);
  int64_t* known = d.cell_of.find(w.id);
  if (!known) {
    d.cell_of.reserve_one();
    {
      std::lock_guard l(to.lock);
      to.push(hot_of(w, cell), std::vector<uint32_t>(w.grids));
    }
    d.cell_of.insert(w.id, cell);
    ++m.count;
    return;
  }
  Bucket& from = m.bucket(*known);
  Impl::with_two(from, to, [&] {
    size_t old = from.find(w.id);
    to.push(hot_of(w, cell), std::vector<uint32_t>(w.grids));  // first: a failure changes nothing
    from.erase(old);
  });
  *known = cell;
}

bool WorkerIndex::move(int64_t id, LonLat p) {
  Impl& m = *impl_;
  Impl::check(p);
  int64_t cell = m.cell_of(p);
  m.bucket(cell).prefetch();  // its miss overlaps the directory lookup's
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.cell_of.find(id);
  if (!known) return false;
  if (cell == *known) {
    Bucket& b = m.bucket(cell);
    std::lock_guard l(b.lock);
    Hot& h = b.hot[b.find(id)];
    h.lon = p.lon, h.lat = p.lat;
    return true;
  }
  m.relocate(id, *known, cell, [&](Hot& h) { h.lon = p.lon, h.lat = p.lat; });
  *known = cell;
  return true;
}

bool WorkerIndex::set_on_duty(int64_t id, bool on_duty) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.cell_of.find(id);
  if (!known) return false;
  Bucket& b = m.bucket(*known);
  std::lock_guard l(b.lock);
  b.hot[b.find(id)].on_duty = on_duty;
  return true;
}

bool WorkerIndex::remove(int64_t id) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.cell_of.find(id);
  if (!known) return false;
  Bucket& b = m.bucket(*known);
  {
    std::lock_guard l(b.lock);
    b.erase(b.find(id));
  }
  d.cell_of.erase(id);
  --m.count;
  return true;
}

std::optional<WorkerState> WorkerIndex::get(int64_t id) const {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.cell_of.find(id);
  if (!known) return std::nullopt;
  const Bucket& b = m.bucket(*known);
  std::lock_guard l(b.lock);
  size_t i = b.find(id);
  return state_of(b.hot[i], b.grids[i]);
}

size_t WorkerIndex::size() const { return impl_->count.load(); }

std::vector<WorkerDistance> WorkerIndex::nearest(LonLat p, size_t k, const WorkerFilter& filter) const {
  const Impl& m = *impl_;
  Impl::check(p);
  std::vector<WorkerDistance> best;  // sorted, at most k
  if (k == 0 || m.count.load() == 0) return best;
  best.reserve(std::min<size_t>(k + 1, 64));
  DistanceFrom dist(p);
  auto better = [](const WorkerDistance& a, const WorkerDistance& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.id < b.id;
  };
  const double cd = m.cell_deg;
  int64_t cx = m.ix(p.lon), cy = m.iy(p.lat);
  const int64_t cells_lon = m.cells_lon, cells_lat = m.cells_lat;
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
  auto consider = [&](const Hot& h, const std::vector<uint32_t>& grids) {
    if (!passes(h, grids, filter)) return;
    if (best.size() == k) {  // a cheap bound first: most candidates are too far
      double dlon = std::fabs(h.lon - p.lon);
      double sep = std::max(std::min(dlon, 360 - dlon), std::fabs(h.lat - p.lat));
      if (sep * per_deg > best.back().distance_m) return;
    }
    WorkerDistance c{h.id, dist.metres({h.lon, h.lat})};
    if (best.size() == k && !better(c, best.back())) return;
    auto dup = std::find_if(best.begin(), best.end(), [&](const WorkerDistance& x) { return x.id == c.id; });
    if (dup != best.end()) return;  // seen twice while it moved between buckets
    best.insert(std::upper_bound(best.begin(), best.end(), c, better), c);
    if (best.size() > k) best.pop_back();
  };
  // The cells of a ring are gathered first and their buckets prefetched together, so their
  // cache misses overlap instead of queueing up one behind the other.
  struct Pending {
    const Bucket* bucket;
    int64_t cell;
    double gap_deg;
  };
  std::array<Pending, 32> pending;
  size_t n_pending = 0;
  auto scan_pending = [&] {
    for (size_t q = 0; q < n_pending; ++q) pending[q].bucket->prefetch();
    // Nearest cells first: the k found early make the bound prune the far corners.
    std::sort(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n_pending),
              [](const Pending& a, const Pending& b) { return a.gap_deg < b.gap_deg; });
    for (size_t q = 0; q < n_pending; ++q) {
      const Pending& c = pending[q];
      if (best.size() == k && c.gap_deg * per_deg > best.back().distance_m) continue;
      std::lock_guard l(c.bucket->lock);
      const Bucket& b = *c.bucket;
      for (size_t i = 0; i < b.hot.size(); ++i)
        if (b.hot[i].cell == c.cell) consider(b.hot[i], b.grids[i]);
    }
    n_pending = 0;
  };
  size_t visited = 0;
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if (visited > 4 * m.buckets.size()) {
      // Few matching workers spread far apart: one pass over everything is cheaper.
      best.clear();
      per_deg = 0;  // candidates come from anywhere now: no bound
      for (const Bucket& b : m.buckets) {
        std::lock_guard l(b.lock);
        for (size_t i = 0; i < b.hot.size(); ++i) consider(b.hot[i], b.grids[i]);
      }
      return best;
    }
    if (ring > bound_ring) {
      // lower_bound is linear in the separation in degrees, and a bound for a wider band of
      // latitudes holds for a narrower one: one evaluation serves the first rings.
      bound_ring = std::max<int64_t>(ring, 3);
      per_deg = dist.lower_bound(1.0, std::min(90.0, std::fabs(p.lat) + (bound_ring + 1) * cd));
    }
    if (best.size() == k) {
      double away = ring == 0 ? 0 : (ring - 1) * cd + inner;
      if (cd * ring > 180 || away * per_deg > best.back().distance_m) break;
    }
    for (int64_t j = cy - ring; j <= cy + ring; ++j) {
      if (j < 0 || j >= cells_lat) continue;
      bool edge_row = j == cy - ring || j == cy + ring;
      int64_t step = edge_row ? 1 : 2 * ring;
      double gap_lat = gap(j, cy, fy);
      for (int64_t i = cx - ring; i <= cx + ring; i += std::max<int64_t>(step, 1)) {
        // Skip a cell that cannot hold anything nearer than the k-th found so far.
        double gap_deg = std::max(gap(i, cx, fx), gap_lat);
        if (best.size() == k && gap_deg * per_deg > best.back().distance_m) continue;
        int64_t wrapped = ((i % cells_lon) + cells_lon) % cells_lon;
        int64_t cell = m.cell_key(wrapped, j);
        ++visited;
        pending[n_pending++] = {&m.bucket(cell), cell, gap_deg};
        if (n_pending == pending.size()) scan_pending();
        if (ring == 0) break;
      }
    }
    scan_pending();
  }
  return best;
}

}  // namespace gridmap
