#include "geo/worker_index.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap {
namespace {

struct Entry {
  WorkerState w;
  int64_t cell = 0;
};

struct Bucket {
  mutable std::shared_mutex lock;
  std::vector<Entry> items;
};

struct DirectoryStripe {
  std::mutex lock;
  std::unordered_map<int64_t, int64_t> cell_of;  // worker id -> cell key
};

bool passes(const WorkerState& w, const WorkerFilter& f) {
  if (!f.include_off_duty && !w.on_duty) return false;
  if (f.community && w.community != *f.community) return false;
  if (f.grid && std::find(w.grids.begin(), w.grids.end(), *f.grid) == w.grids.end()) return false;
  return true;
}

}  // namespace

struct WorkerIndex::Impl {
  double cell_deg;
  std::vector<Bucket> buckets;
  size_t mask;
  std::vector<DirectoryStripe> directory;
  std::atomic<size_t> count{0};

  Impl(size_t expected, double cell) : cell_deg(cell), directory(64) {
    size_t n = 64;
    while (n < expected / 2) n <<= 1;
    buckets = std::vector<Bucket>(n);
    mask = n - 1;
  }

  int64_t cell_key(int64_t ix, int64_t iy) const { return (iy << 32) ^ (ix & 0xffffffff); }
  int64_t ix(double lon) const { return static_cast<int64_t>(std::floor((lon + 180.0) / cell_deg)); }
  int64_t iy(double lat) const { return static_cast<int64_t>(std::floor((lat + 90.0) / cell_deg)); }
  int64_t cell_of(LonLat p) const { return cell_key(ix(p.lon), iy(p.lat)); }
  Bucket& bucket(int64_t cell) const {
    uint64_t h = static_cast<uint64_t>(cell) * 0x9E3779B97F4A7C15ull;
    return const_cast<Bucket&>(buckets[(h >> 20) & mask]);
  }
  DirectoryStripe& stripe(int64_t id) { return directory[static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull >> 58]; }

  static void check(LonLat p) {
    if (!is_valid_wgs84(p)) throw_invalid("worker position is not a valid WGS84 longitude/latitude");
  }

  // Removes the worker from bucket `cell`, returning it.
  static std::optional<Entry> take(Bucket& b, int64_t id) {
    for (size_t i = 0; i < b.items.size(); ++i)
      if (b.items[i].w.id == id) {
        Entry e = std::move(b.items[i]);
        b.items[i] = std::move(b.items.back());
        b.items.pop_back();
        return e;
      }
    return std::nullopt;
  }

  // Locks two buckets in a fixed order (one when they are the same).
  template <class F>
  static void with_two(Bucket& a, Bucket& b, F&& f) {
    if (&a == &b) {
      std::unique_lock l(a.lock);
      f();
      return;
    }
    Bucket& first = &a < &b ? a : b;
    Bucket& second = &a < &b ? b : a;
    std::unique_lock l1(first.lock), l2(second.lock);
    f();
  }
};

WorkerIndex::WorkerIndex(size_t expected, double cell_deg) : impl_(std::make_unique<Impl>(expected, cell_deg)) {
  if (!(cell_deg > 0 && cell_deg <= 10)) throw_invalid("worker index: cell size must be in (0, 10] degrees");
}
WorkerIndex::~WorkerIndex() = default;

void WorkerIndex::upsert(const WorkerState& w) {
  Impl& m = *impl_;
  Impl::check(w.position);
  DirectoryStripe& d = m.stripe(w.id);
  std::lock_guard dl(d.lock);
  int64_t cell = m.cell_of(w.position);
  auto it = d.cell_of.find(w.id);
  Bucket& to = m.bucket(cell);
  if (it == d.cell_of.end()) {
    std::unique_lock l(to.lock);
    to.items.push_back({w, cell});
    d.cell_of.emplace(w.id, cell);
    ++m.count;
    return;
  }
  Bucket& from = m.bucket(it->second);
  Impl::with_two(from, to, [&] {
    Impl::take(from, w.id);
    to.items.push_back({w, cell});
  });
  it->second = cell;
}

bool WorkerIndex::move(int64_t id, LonLat p) {
  Impl& m = *impl_;
  Impl::check(p);
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  auto it = d.cell_of.find(id);
  if (it == d.cell_of.end()) return false;
  int64_t cell = m.cell_of(p);
  if (cell == it->second) {
    Bucket& b = m.bucket(cell);
    std::unique_lock l(b.lock);
    for (Entry& e : b.items)
      if (e.w.id == id) e.w.position = p;
    return true;
  }
  Bucket& from = m.bucket(it->second);
  Bucket& to = m.bucket(cell);
  Impl::with_two(from, to, [&] {
    std::optional<Entry> e = Impl::take(from, id);
    e->w.position = p;
    e->cell = cell;
    to.items.push_back(std::move(*e));
  });
  it->second = cell;
  return true;
}

bool WorkerIndex::set_on_duty(int64_t id, bool on_duty) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  auto it = d.cell_of.find(id);
  if (it == d.cell_of.end()) return false;
  Bucket& b = m.bucket(it->second);
  std::unique_lock l(b.lock);
  for (Entry& e : b.items)
    if (e.w.id == id) e.w.on_duty = on_duty;
  return true;
}

bool WorkerIndex::remove(int64_t id) {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  auto it = d.cell_of.find(id);
  if (it == d.cell_of.end()) return false;
  Bucket& b = m.bucket(it->second);
  {
    std::unique_lock l(b.lock);
    Impl::take(b, id);
  }
  d.cell_of.erase(it);
  --m.count;
  return true;
}

std::optional<WorkerState> WorkerIndex::get(int64_t id) const {
  Impl& m = *impl_;
  DirectoryStripe& d = m.stripe(id);
  std::lock_guard dl(d.lock);
  auto it = d.cell_of.find(id);
  if (it == d.cell_of.end()) return std::nullopt;
  Bucket& b = m.bucket(it->second);
  std::shared_lock l(b.lock);
  for (const Entry& e : b.items)
    if (e.w.id == id) return e.w;
  return std::nullopt;
}

size_t WorkerIndex::size() const { return impl_->count.load(); }

std::vector<WorkerDistance> WorkerIndex::nearest(LonLat p, size_t k, const WorkerFilter& filter) const {
  const Impl& m = *impl_;
  Impl::check(p);
  std::vector<WorkerDistance> best;  // sorted, at most k
  if (k == 0 || m.count.load() == 0) return best;
  DistanceFrom dist(p);
  auto better = [](const WorkerDistance& a, const WorkerDistance& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.id < b.id;
  };
  int64_t cx = m.ix(p.lon), cy = m.iy(p.lat);
  int64_t cells_lon = static_cast<int64_t>(std::ceil(360.0 / m.cell_deg));
  int64_t cells_lat = static_cast<int64_t>(std::ceil(180.0 / m.cell_deg));
  int64_t max_ring = std::max(cells_lon, cells_lat);
  // The offset of p inside its cell gives a tighter bound for the first rings.
  double fx = (p.lon + 180.0) / m.cell_deg - cx, fy = (p.lat + 90.0) / m.cell_deg - cy;
  double inner = std::min({fx, 1 - fx, fy, 1 - fy}) * m.cell_deg;
  auto consider = [&](const Entry& e) {
    if (!passes(e.w, filter)) return;
    WorkerDistance c{e.w.id, dist.metres(e.w.position)};
    if (best.size() == k && !better(c, best.back())) return;
    auto dup = std::find_if(best.begin(), best.end(), [&](const WorkerDistance& x) { return x.id == c.id; });
    if (dup != best.end()) return;  // seen twice while it moved between buckets
    best.insert(std::upper_bound(best.begin(), best.end(), c, better), c);
    if (best.size() > k) best.pop_back();
  };
  size_t visited = 0;
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if (visited > 4 * m.buckets.size()) {
      // Few matching workers spread far apart: one pass over everything is cheaper.
      best.clear();
      for (const Bucket& b : m.buckets) {
        std::shared_lock l(b.lock);
        for (const Entry& e : b.items) consider(e);
      }
      return best;
    }
    if (best.size() == k) {
      double away = ring == 0 ? 0 : (ring - 1) * m.cell_deg + inner;
      double max_lat = std::min(90.0, std::fabs(p.lat) + (ring + 1) * m.cell_deg);
      if (m.cell_deg * ring > 180 || dist.lower_bound(away, max_lat) > best.back().distance_m) break;
    }
    for (int64_t j = cy - ring; j <= cy + ring; ++j) {
      if (j < 0 || j >= cells_lat) continue;
      bool edge_row = j == cy - ring || j == cy + ring;
      int64_t step = edge_row ? 1 : 2 * ring;
      for (int64_t i = cx - ring; i <= cx + ring; i += std::max<int64_t>(step, 1)) {
        int64_t wrapped = ((i % cells_lon) + cells_lon) % cells_lon;
        int64_t cell = m.cell_key(wrapped, j);
        const Bucket& b = m.bucket(cell);
        ++visited;
        std::shared_lock l(b.lock);
        for (const Entry& e : b.items)
          if (e.cell == cell) consider(e);
        if (ring == 0) break;
      }
    }
  }
  return best;
}

}  // namespace gridmap
