#include "geo/worker_index.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <type_traits>

#include "geo/detail/grid_set_interner.hpp"
#include "geo/detail/huge_page_array.hpp"
#include "geo/detail/id_map.hpp"
#include "geo/detail/seqlock_slot.hpp"
#include "geo/detail/spin_lock.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/locality.hpp"

namespace gridmap {
namespace {

// The helpers of geo/detail/ that this file uses throughout.
using detail::Entry;
using detail::EntryValue;
using detail::GridSetInterner;
using detail::load;
using detail::mix;
using detail::Overflow;
using detail::Slot;
using detail::SlotGuard;
using detail::store;
using detail::TwoSlotGuard;

// Positions are kept in fixed point, 2^-23 degree (about 1 cm): a worker's position and
// on-duty flag fit one word, and decoding is exact (a binary fraction of at most 32
// significant bits), so positions that mirror each other stay mirrored.
constexpr double kUnitsPerDeg = 8388608.0, kDegPerUnit = 1.0 / kUnitsPerDeg;  // 2^23
constexpr uint64_t kOnDuty = uint64_t{1} << 63;

uint64_t encode(LonLat p, bool on_duty) noexcept {  // p valid
  // Rounded to nearest (the values are not negative).
  auto x = static_cast<uint64_t>((p.lon + 180.0) * kUnitsPerDeg + 0.5);  // <= 360 * 2^23 < 2^32
  auto y = static_cast<uint64_t>((p.lat + 90.0) * kUnitsPerDeg + 0.5);   // <= 180 * 2^23 < 2^31
  return x | (y << 32) | (on_duty ? kOnDuty : 0);
}
double lon_of(uint64_t xy) noexcept {
  return static_cast<double>(static_cast<uint32_t>(xy)) * kDegPerUnit - 180.0;
}
double lat_of(uint64_t xy) noexcept {
  return static_cast<double>(static_cast<uint32_t>(xy >> 32) & 0x7fffffffu) * kDegPerUnit - 90.0;
}
LonLat decode(uint64_t xy) noexcept {
  return {lon_of(xy), lat_of(xy)};
}

// An entry's meta word: the community (low 32 bits) and the number of the grid set (high 32).
constexpr int kGridSetShift = 32;

constexpr int kStripeBits = 6;  // the directory's 64 stripes

// Worker id -> slot, one map per stripe of the directory.
struct alignas(64) DirectoryStripe {
  detail::SpinLock lock;
  detail::IdMap<kStripeBits> slot_of;
};

uint64_t meta_for(const WorkerState& w, uint32_t grid_set) {
  return w.community | (uint64_t{grid_set} << kGridSetShift);
}

// Candidates and answers are copied by value throughout the search: the strong id must cost
// nothing over the raw one.
static_assert(std::is_trivially_copyable_v<WorkerDistance> && sizeof(WorkerDistance) == 16);

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
  detail::HugePageArray<Slot> slots;  // a slot holds the workers of the cells a tile apart
  std::vector<DirectoryStripe> directory;
  GridSetInterner grid_sets;
  detail::OverflowBlocks overflow_blocks;
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
        directory(size_t{1} << kStripeBits) {
    int bits = slot_bits(expected);
    tile_bits_w = (bits + 1) / 2;
    tile_w_mask = (int64_t{1} << tile_bits_w) - 1;
    tile_h_mask = (int64_t{1} << (bits - tile_bits_w)) - 1;
  }

  // Column and row of a valid position; longitude 180 and latitude 90 fall into the last
  // column and row (not one past them, where no search would look). The products are not
  // negative, so truncation is floor (without a call to floor()).
  int64_t ix(double lon) const {
    return std::min(cells_lon - 1, static_cast<int64_t>((lon + 180.0) * inv_cell_deg));
  }
  int64_t iy(double lat) const {
    return std::min(cells_lat - 1, static_cast<int64_t>((lat + 90.0) * inv_cell_deg));
  }
  size_t slot_index(int64_t x, int64_t y) const {
    return static_cast<size_t>(((y & tile_h_mask) << tile_bits_w) | (x & tile_w_mask));
  }
  size_t slot_index(LonLat p) const { return slot_index(ix(p.lon), iy(p.lat)); }
  // The slot of a worker at p (valid), by the position as kept.
  size_t slot_of_position(LonLat p) const { return slot_index(decode(encode(p, false))); }
  DirectoryStripe& stripe(WorkerId id) { return directory[mix(id.value) >> (64 - kStripeBits)]; }

  static void check(LonLat p) {
    if (!is_valid_wgs84(p))
      throw_invalid("worker position is not a valid WGS84 longitude/latitude");
  }

  // Prefetches the slots of p's cell and its neighbours, where most searches end.
  void prefetch_around(LonLat p) const noexcept;
  // The search of nearest(), p valid, into `best` (emptied first).
  void nearest_into(LonLat p, size_t k, const WorkerFilter& filter,
                    std::vector<WorkerDistance>& best) const;

  // Moves a known worker to the slot `to_index` (that of p), its stripe `d` locked.
  bool move_locked(DirectoryStripe& d, WorkerId id, LonLat p, size_t to_index) {
    Slot& to = slots[to_index];
    int64_t* known = d.slot_of.find(id.value);
    if (!known) return false;
    Slot& from = slots[static_cast<size_t>(*known)];
    from.prefetch(3);
    TwoSlotGuard l(from, to);
    Overflow* more = from.overflow();
    uint32_t i = from.find(id.value);
    Entry& e = from.entry(i, more);
    uint64_t xy = encode(p, (load(e.xy) & kOnDuty) != 0);
    if (&from == &to) {
      store(e.xy, xy);
      return true;
    }
    EntryValue w = from.read(i, more);
    w.xy = xy;
    make_room(to);  // first: a failure changes nothing
    to.push(w);
    from.erase(i);
    *known = static_cast<int64_t>(to_index);
    return true;
  }

  // Makes room for one more entry in a locked slot; throws (changing nothing) when memory
  // runs out.
  void make_room(Slot& s) { overflow_blocks.make_room(s); }
};

WorkerIndex::WorkerIndex(size_t expected, double cell_deg) {
  if (!(cell_deg > 0 && cell_deg <= 10))
    throw_invalid("worker index: cell size must be in (0, 10] degrees");
  impl_ = std::make_unique<Impl>(expected, cell_deg);
}
WorkerIndex::~WorkerIndex() = default;

LonLat WorkerIndex::stored(LonLat p) {
  Impl::check(p);
  return decode(encode(p, false));
}

void WorkerIndex::upsert(const WorkerState& w) {
  Impl& m = *impl_;
  Impl::check(w.position);
  uint32_t grid_set = m.grid_sets.intern(w.grids);
  EntryValue entry{encode(w.position, w.on_duty), w.id.value, meta_for(w, grid_set)};
  DirectoryStripe& d = m.stripe(w.id);
  std::lock_guard dl(d.lock);
  size_t to_index = m.slot_of_position(w.position);
  Slot& to = m.slots[to_index];
  int64_t* known = d.slot_of.find(w.id.value);
  if (!known) {
    d.slot_of.reserve_one();
    {
      SlotGuard l(to);
      m.make_room(to);
      to.push(entry);
    }
    d.slot_of.insert(w.id.value, static_cast<int64_t>(to_index));
    ++m.count;
    return;
  }
  Slot& from = m.slots[static_cast<size_t>(*known)];
  TwoSlotGuard l(from, to);
  uint32_t i = from.find(w.id.value);
  if (&from == &to) {
    from.write(i, from.overflow(), entry);
    return;
  }
  m.make_room(to);  // first: a failure changes nothing
  to.push(entry);
  from.erase(i);
  *known = static_cast<int64_t>(to_index);
}

bool WorkerIndex::move(WorkerId id, LonLat p) {
  Impl& m = *impl_;
  Impl::check(p);
  size_t to_index = m.slot_of_position(p);
  m.slots[to_index].prefetch(2);  // its misses overlap the directory lookup's
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  return m.move_locked(d, id, p, to_index);
}

size_t WorkerIndex::move_all(std::span<const WorkerMove> moves, std::vector<WorkerId>* unknown) {
  Impl& m = *impl_;
  for (const WorkerMove& mv : moves) Impl::check(mv.to);
  const size_t n = moves.size();
  if (n > UINT32_MAX) throw_invalid("worker index: too many moves in one batch");
  // In directory order (a stable counting sort on the top bits of the id's hash: a worker's
  // moves keep their order), so the directory is read front to back and one lock of a
  // stripe serves a run of moves.
  constexpr int kKeyBits = kStripeBits + 5;
  auto key = [](WorkerId id) { return static_cast<size_t>(mix(id.value) >> (64 - kKeyBits)); };
  std::vector<WorkerMove> sorted(n);
  {
    std::vector<uint32_t> start((size_t{1} << kKeyBits) + 1);
    for (const WorkerMove& mv : moves) ++start[key(mv.id) + 1];
    for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (const WorkerMove& mv : moves) sorted[start[key(mv.id)]++] = mv;
  }
  // A run of at most kRun moves of one stripe under one lock, as a software pipeline: kAhead
  // moves ahead, the target slot is fetched and the worker's current slot looked up and
  // fetched, so that the misses of the coming moves overlap and each move finds its slots
  // in cache.
  constexpr size_t kRun = 256, kAhead = 8;
  std::array<size_t, kRun> to{};
  size_t missing = 0;
  for (size_t begin = 0; begin < n;) {
    DirectoryStripe& d = m.stripe(sorted[begin].id);
    size_t end = begin + 1;
    while (end < n && end - begin < kRun && &m.stripe(sorted[end].id) == &d) ++end;
    std::lock_guard dl(d.lock);
    auto fetch = [&](size_t i) {
      const WorkerMove& f = sorted[i];
      size_t t = m.slot_of_position(f.to);
      to[i - begin] = t;
      m.slots[t].prefetch_for_write(1);
      if (const int64_t* where = d.slot_of.find(f.id.value))
        m.slots[static_cast<size_t>(*where)].prefetch_for_write(2);
    };
    for (size_t i = begin; i < std::min(end, begin + kAhead); ++i) fetch(i);
    for (size_t i = begin; i < end; ++i) {
      if (i + kAhead < end) fetch(i + kAhead);
      const WorkerMove& mv = sorted[i];
      if (!m.move_locked(d, mv.id, mv.to, to[i - begin])) {
        ++missing;
        if (unknown) unknown->push_back(mv.id);
      }
    }
    begin = end;
  }
  if (unknown) std::sort(unknown->end() - static_cast<ptrdiff_t>(missing), unknown->end());
  return missing;
}

bool WorkerIndex::set_on_duty(WorkerId id, bool on_duty) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id.value);
  if (!known) return false;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  SlotGuard l(s);
  Entry& e = s.entry(s.find(id.value), s.overflow());
  uint64_t xy = load(e.xy);
  store(e.xy, on_duty ? xy | kOnDuty : xy & ~kOnDuty);
  return true;
}

bool WorkerIndex::remove(WorkerId id) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id.value);
  if (!known) return false;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  {
    SlotGuard l(s);
    s.erase(s.find(id.value));
  }
  d.slot_of.erase(id.value);
  --m.count;
  return true;
}

std::optional<WorkerState> WorkerIndex::get(WorkerId id) const {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  int64_t* known = d.slot_of.find(id.value);
  if (!known) return std::nullopt;
  Slot& s = m.slots[static_cast<size_t>(*known)];
  SlotGuard l(s);
  EntryValue w = s.read(s.find(id.value), s.overflow());
  WorkerState out{
      WorkerId{w.id}, decode(w.xy), (w.xy & kOnDuty) != 0, static_cast<uint32_t>(w.meta), {}};
  if (const std::vector<uint32_t>* g = m.grid_sets.get(w.meta >> kGridSetShift)) out.grids = *g;
  return out;
}

size_t WorkerIndex::size() const {
  return impl_->count.load();
}

namespace {

// One k-nearest search. Slots are read optimistically: the candidates of a slot are
// gathered into `found`, kept only when the slot did not change meanwhile, and then merged
// into `best` (sorted, at most k). Distances are squared until finish(): a square root for
// each of the k answers, not for every candidate.
class Search {
 public:
  Search(double cell_deg, const GridSetInterner& grid_sets, const DistanceFrom& dist, size_t k,
         const WorkerFilter& f, std::vector<WorkerDistance>& best)
      : cell_deg_(cell_deg), grid_sets_(grid_sets), dist_(dist), k_(k), f_(f), best_(best) {}

  bool full() const noexcept { return best_.size() == k_; }
  // Whether k workers are found and all are nearer than `metres`.
  bool beyond(double metres) const noexcept {
    return full() && metres * metres > best_.back().distance_m;
  }
  // Distances in metres, in the order of the answer: by distance, then id (two squares a
  // rounding apart may have one square root).
  void finish() {
    for (WorkerDistance& w : best_) w.distance_m = std::sqrt(w.distance_m);
    for (size_t i = 1; i < best_.size(); ++i)
      for (size_t j = i; j > 0 && better(best_[j], best_[j - 1]); --j)
        std::swap(best_[j], best_[j - 1]);
  }

  // The workers of `s`; with a cell (its centre), only those of that cell (a slot also
  // holds cells a tile away).
  void scan(const Slot& s, bool in_cell, double mid_lon, double mid_lat) {
    s.read_consistent([&] {
      n_found_ = 0;
      spill_.clear();
      collect(s, in_cell, mid_lon, mid_lat);
    });
    for (size_t i = 0; i < n_found_; ++i) merge(found_[i]);
    for (const WorkerDistance& c : spill_) merge(c);
  }

 private:
  void collect(const Slot& s, bool in_cell, double mid_lon, double mid_lat) {
    uint32_t n = s.count.load(std::memory_order_relaxed);
    const Overflow* more = nullptr;
    if (n > Slot::kInline) {
      more = s.more.load(std::memory_order_acquire);
      // A torn read may pair a count with another block: never read past what is there.
      n = std::min(n, Slot::kInline + Slot::capacity(more));
    }
    // Generous: a worker of the cell is within half a cell of its centre.
    Pass pass{dist_,
              in_cell ? cell_deg_ : HUGE_VAL,
              mid_lon,
              mid_lat,
              f_.include_off_duty ? 0 : kOnDuty,
              full() ? best_.back().distance_m : HUGE_VAL,
              f_.community.has_value() || f_.grid.has_value()};
    size_t got = run(pass, s.entries, std::min(n, Slot::kInline), 0);
    if (n > Slot::kInline) got = run(pass, more->entries.get(), n - Slot::kInline, got);
    n_found_ = got;
  }

  // What a pass over a slot's entries reads, by value: the loop then keeps it in registers
  // (through references it would reload it after every store).
  struct Pass {
    DistanceFrom dist;
    double half, mid_lon, mid_lat;
    uint64_t duty;
    double limit_sq;
    bool by_meta;
  };

  // Without branches on the data: each test's outcome is as good as random, so every entry
  // gets its distance and the tests only decide whether the candidate counts.
  [[gnu::always_inline]] size_t run(const Pass p, const Entry* entries, uint32_t count,
                                    size_t got) {
    WorkerDistance* const out = found_.data();
    for (uint32_t i = 0; i < count; ++i) {
      const Entry& e = entries[i];
      uint64_t xy = load(e.xy);
      double lon = lon_of(xy), lat = lat_of(xy);
      double d2 = p.dist.local_sq({lon, lat});
      WorkerId id{static_cast<int64_t>(load(e.id))};
      bool keep = (xy & p.duty) == p.duty;
      keep &= (std::fabs(lon - p.mid_lon) <= p.half) & (std::fabs(lat - p.mid_lat) <= p.half);
      if (!DistanceFrom::near(d2)) [[unlikely]] {
        // Beyond 10 km the exact geodesic, only for a worker that may count (a slot shared
        // with cells far away holds many that do not); such candidates go aside.
        if (keep && (!p.by_meta || passes(load(e.meta)))) {
          // The square root of the square of a double is that double: finish() gives it back.
          double d = p.dist.far({lon, lat});
          if (d * d <= p.limit_sq) spill_.push_back({id, d * d});
        }
        continue;
      }
      keep &= d2 <= p.limit_sq;
      if (p.by_meta && keep) keep = passes(load(e.meta));
      if (got < kFound) [[likely]] {
        out[got] = {id, d2};
        got += keep;
      } else if (keep) {
        spill_.push_back({id, d2});
      }
    }
    return got;
  }

  bool passes(uint64_t meta) const noexcept {
    if (f_.community && static_cast<uint32_t>(meta) != *f_.community) return false;
    return !f_.grid || grid_sets_.contains(meta >> kGridSetShift, *f_.grid);
  }

  void merge(const WorkerDistance& c) {
    size_t n = best_.size();
    if (n == k_ && !better(c, best_[n - 1])) return;
    for (const WorkerDistance& x : best_)
      if (x.id == c.id) return;  // seen twice while it moved between slots
    // One step of an insertion sort: k is small, and most candidates land near the end.
    size_t j = n;
    if (n == k_)
      --j;
    else
      best_.push_back(c);
    for (; j > 0 && better(c, best_[j - 1]); --j) best_[j] = best_[j - 1];
    best_[j] = c;
  }

  double cell_deg_;
  const GridSetInterner& grid_sets_;
  const DistanceFrom& dist_;
  size_t k_;
  const WorkerFilter& f_;
  std::vector<WorkerDistance>& best_;
  // Candidates of the slot being read: on the stack, and on the heap only for a crowded slot
  // or beyond 10 km.
  static constexpr size_t kFound = 16;
  std::array<WorkerDistance, kFound> found_;
  size_t n_found_ = 0;
  std::vector<WorkerDistance> spill_;
};

}  // namespace

// The first line (header and first entries) of the slots of p's cell and its neighbours,
// for nearest() to overlap with its set-up; the search asks for the rest of each slot.
void WorkerIndex::Impl::prefetch_around(LonLat p) const noexcept {
  int64_t cx = ix(p.lon), cy = iy(p.lat);
  for (int64_t j = std::max<int64_t>(cy - 1, 0); j <= std::min(cy + 1, cells_lat - 1); ++j)
    for (int64_t i = cx - 1; i <= cx + 1; ++i)
      slots[slot_index(i < 0 ? i + cells_lon : i >= cells_lon ? i - cells_lon : i, j)].prefetch(1);
}

std::vector<WorkerDistance> WorkerIndex::nearest(LonLat p, size_t k,
                                                 const WorkerFilter& filter) const {
  const Impl& m = *impl_;
  Impl::check(p);
  std::vector<WorkerDistance> best;  // sorted, at most k
  if (k == 0 || m.count.load() == 0) return best;
  // The slots' misses overlap the set-up below (a sine, a cosine, an allocation).
  m.prefetch_around(p);
  best.reserve(std::min<size_t>(k + 1, 64));
  m.nearest_into(p, k, filter, best);
  return best;
}

NearestAnswers WorkerIndex::nearest_all(std::span<const LonLat> points, size_t k,
                                        const WorkerFilter& filter) const {
  const Impl& m = *impl_;
  for (LonLat p : points) Impl::check(p);
  const size_t n = points.size();
  NearestAnswers out;
  out.first.assign(n + 1, 0);
  if (k == 0 || n == 0 || m.count.load() == 0) return out;
  // Queries near each other read the same slots: answered in locality order, most find
  // their slots in cache, left by the one before. The answers are then laid out in the
  // order asked.
  std::vector<uint32_t> order = z_order(points.data(), n);
  std::vector<WorkerDistance> found;
  found.reserve(n * std::min<size_t>(k, 64));
  std::vector<size_t> at(n);
  std::vector<WorkerDistance> best;
  best.reserve(std::min<size_t>(k + 1, 64));
  // No prefetching of the next queries' cells: the search's own prefetches of a ring
  // already keep the core's miss buffers full, and more only made them wait (~3 % slower).
  for (size_t i = 0; i < n; ++i) {
    uint32_t q = order[i];
    m.nearest_into(points[q], k, filter, best);
    at[q] = found.size();
    found.insert(found.end(), best.begin(), best.end());
    out.first[q + 1] = best.size();
  }
  for (size_t q = 0; q < n; ++q) out.first[q + 1] += out.first[q];
  out.items.resize(found.size());
  for (size_t q = 0; q < n; ++q)
    std::copy_n(found.begin() + static_cast<ptrdiff_t>(at[q]), out.first[q + 1] - out.first[q],
                out.items.begin() + static_cast<ptrdiff_t>(out.first[q]));
  return out;
}

// A lower bound of the metres in a degree of latitude, less 0.1 % (as lower_bound()).
constexpr double kMetresPerDegLat = kMinMetresPerDegreeLat * 0.999;

void WorkerIndex::Impl::nearest_into(LonLat p, size_t k, const WorkerFilter& filter,
                                     std::vector<WorkerDistance>& best) const {
  const Impl& m = *this;
  best.clear();
  int64_t cx = m.ix(p.lon), cy = m.iy(p.lat);
  const int64_t cells_lon = m.cells_lon, cells_lat = m.cells_lat;
  DistanceFrom dist(p);
  Search search(m.cell_deg, m.grid_sets, dist, k, filter, best);
  const double cd = m.cell_deg;
  int64_t max_ring = std::max(cells_lon, cells_lat);
  // The offset of p inside its cell gives a tighter bound for the first rings.
  double fx = std::clamp((p.lon + 180.0) * m.inv_cell_deg - cx, 0.0, 1.0);
  double fy = std::clamp((p.lat + 90.0) * m.inv_cell_deg - cy, 0.0, 1.0);
  double inner_lon = std::min(fx, 1 - fx) * cd, inner_lat = std::min(fy, 1 - fy) * cd;
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
    double gap_m;  // a lower bound of the distance from p to any point of the cell
    double mid_lon, mid_lat;
  };
  std::array<Pending, 32> pending;
  size_t n_pending = 0;
  auto scan_pending = [&] {
    // Nearest cells first: the k found early make the bound prune the far corners.
    for (size_t q = 1; q < n_pending; ++q)  // insertion sort: a few cells, mostly in order
      for (size_t r = q; r > 0 && pending[r].gap_m < pending[r - 1].gap_m; --r)
        std::swap(pending[r], pending[r - 1]);
    for (size_t q = 0; q < n_pending; ++q) {
      const Pending& c = pending[q];
      if (search.beyond(c.gap_m)) break;
      search.scan(*c.slot, true, c.mid_lon, c.mid_lat);
    }
    n_pending = 0;
  };
  size_t visited = 0;
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if (visited > 4 * m.slots.size()) {
      // Few matching workers spread far apart: one pass over everything is cheaper.
      best.clear();
      for (size_t s = 0; s < m.slots.size(); ++s) search.scan(m.slots[s], false, 0, 0);
      search.finish();
      return;
    }
    if (ring > bound_ring) {
      // lower_bound is linear in the separation in degrees, and a bound for a wider band of
      // latitudes holds for a narrower one: one evaluation serves the first rings.
      bound_ring = std::max<int64_t>(ring, 3);
      per_deg = dist.lower_bound(1.0, std::min(90.0, std::fabs(p.lat) + (bound_ring + 1) * cd));
    }
    if (search.full()) {
      // Ring r lies (r - 1) cells and p's margin away, across columns or across rows.
      double away_m = ring == 0 ? 0
                                : std::min(((ring - 1) * cd + inner_lon) * per_deg,
                                           ((ring - 1) * cd + inner_lat) * kMetresPerDegLat);
      if (cd * ring > 180 || search.beyond(away_m)) break;
    }
    for (int64_t j = cy - ring; j <= cy + ring; ++j) {
      if (j < 0 || j >= cells_lat) continue;
      bool edge_row = j == cy - ring || j == cy + ring;
      int64_t step = edge_row ? 1 : 2 * ring;
      // A path between two parallels is never shorter than the meridian between them:
      // across rows this bound is tighter than the longitude one (which shrinks with the
      // cosine of latitude).
      double gap_lat_m = gap(j, cy, fy) * kMetresPerDegLat;
      double mid_lat = (static_cast<double>(j) + 0.5) * cd - 90.0;
      for (int64_t i = cx - ring; i <= cx + ring; i += std::max<int64_t>(step, 1)) {
        // Skip a cell that cannot hold anything nearer than the k-th found so far.
        double gap_lon_m = gap(i, cx, fx) * per_deg;
        // Within 10 km the plane is true to a few millionths, far inside the bounds' 0.1 %
        // slack: a cell diagonally away is at least the hypotenuse away.
        double gap_m = gap_lon_m < 1e4 && gap_lat_m < 1e4
                           ? std::sqrt(gap_lon_m * gap_lon_m + gap_lat_m * gap_lat_m)
                           : std::max(gap_lon_m, gap_lat_m);
        if (search.beyond(gap_m)) continue;
        int64_t wrapped = i < 0            ? i + cells_lon
                          : i >= cells_lon ? i - cells_lon
                                           : i;  // no division: cheap
        if (wrapped < 0 || wrapped >= cells_lon)
          wrapped = ((i % cells_lon) + cells_lon) % cells_lon;
        const Slot& s = m.slots[m.slot_index(wrapped, j)];
        // Three lines: the header and up to seven entries (with four workers a cell on average,
        // over a third of the slots hold five or more, past the second line).
        s.prefetch(3);
        ++visited;
        pending[n_pending++] = {&s, gap_m, (static_cast<double>(wrapped) + 0.5) * cd - 180.0,
                                mid_lat};
        if (n_pending == pending.size()) scan_pending();
        if (ring == 0) break;
      }
    }
    if (ring > 0)
      scan_pending();  // p's own cell goes with the first ring: one wait for memory, not two
  }
  search.finish();
}

}  // namespace gridmap
