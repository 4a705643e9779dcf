#include "tiles/cache.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "tiles/gzip.hpp"
#include "tiles/mvt_encoder.hpp"

namespace gridmap::tiles {
namespace {

// How long a tile stays good without a change: petitions show ages and overdue flags that
// move with the clock; worker positions arrive in batches and are not invalidated one by one.
std::chrono::seconds max_age(data::Layer l) {
  if (l == data::Layer::petitions) return std::chrono::minutes(10);
  if (l == data::Layer::workers) return std::chrono::seconds(5);
  return std::chrono::hours(24 * 365);
}

// The tile's area grown by the buffer (and a unit for rounding), in tiles at its zoom.
struct Span {
  double x0, y0, x1, y1;
};
Span span_of(TileId t, double b = (kBuffer + 1) / kExtent) {
  return {t.x - b, t.y - b, t.x + 1 + b, t.y + 1 + b};
}

}  // namespace

std::string tile_etag(std::string_view raw) {
  // FNV-1a-like, 64 bits, over 8-byte words in four independent lanes (then the last bytes
  // one by one): tiles run to hundreds of kilobytes, and one chain of multiplications, each
  // waiting for the last, was a visible part of a cold tile.
  uint64_t lane[4] = {1469598103934665603ull, 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full,
                      0x165667b19e3779f9ull};
  size_t i = 0;
  for (; i + 32 <= raw.size(); i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, raw.data() + i + 8 * l, 8);
      lane[l] = (lane[l] ^ w) * 1099511628211ull;
      lane[l] ^= lane[l] >> 29;
    }
  uint64_t h = lane[0];
  for (int l = 1; l < 4; ++l) h = ((h ^ lane[l]) * 1099511628211ull) ^ (h >> 29);
  for (; i + 8 <= raw.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, raw.data() + i, 8);
    h = (h ^ w) * 1099511628211ull;
    h ^= h >> 29;
  }
  for (; i < raw.size(); ++i) h = (h ^ static_cast<unsigned char>(raw[i])) * 1099511628211ull;
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

TileCache::TileCache(size_t max_bytes) : max_bytes_(max_bytes) {}

std::shared_ptr<const CachedTile> TileCache::get(const TileKey& key,
                                                 const std::function<BuiltTile()>& build) {
  size_t layer = static_cast<size_t>(key.layer);
  std::string k = std::to_string(key.tile.z) + "/" + std::to_string(key.tile.x) + "/" +
                  std::to_string(key.tile.y) + "?" + key.variant;
  {
    std::lock_guard l(lock_);
    auto it = entries_[layer].find(k);
    if (it != entries_[layer].end()) {
      if (Clock::now() - it->second.built < max_age(key.layer)) {
        ++counters_.hits;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.tile;
      }
      erase(layer, it);
    }
    ++counters_.misses;
  }
  uint64_t epoch = epochs_[layer].load();
  Clock::time_point started = Clock::now();
  BuiltTile built = build();
  auto tile = std::make_shared<CachedTile>();
  tile->gzip = gzip(built.mvt, 1);
  tile->raw_size = built.mvt.size();
  tile->etag = tile_etag(built.mvt);
  tile->stats = built.stats;
  std::lock_guard l(lock_);
  if (epochs_[layer].load() != epoch) return tile;  // the data changed while it was built
  auto [it, fresh] = entries_[layer].try_emplace(k);
  if (!fresh) {
    bytes_ -= it->second.tile->gzip.size();
    lru_.erase(it->second.lru);
  }
  lru_.emplace_front(layer, k);
  it->second = Node{tile, key.tile, started, lru_.begin()};
  bytes_ += tile->gzip.size();
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto [victim_layer, victim] = lru_.back();
    erase(victim_layer, entries_[victim_layer].find(victim));
  }
  return tile;
}

void TileCache::erase(size_t layer, std::unordered_map<std::string, Node>::iterator it) {
  bytes_ -= it->second.tile->gzip.size();
  lru_.erase(it->second.lru);
  entries_[layer].erase(it);
}

template <class Pred>
void TileCache::invalidate_if(data::Layer layer, Pred stale) {
  size_t i = static_cast<size_t>(layer);
  std::lock_guard l(lock_);
  ++epochs_[i];
  for (auto it = entries_[i].begin(); it != entries_[i].end();) {
    auto next = std::next(it);
    if (stale(it->second.id)) {
      erase(i, it);
      ++counters_.invalidated;
    }
    it = next;
  }
}

void TileCache::invalidate_point(data::Layer layer, LonLat p, double margin) {
  WorldXY w = to_world(p);
  invalidate_if(layer, [w, margin](TileId t) {
    double n = std::ldexp(1.0, t.z);
    Span s = span_of(t, margin);
    return w.x * n >= s.x0 && w.x * n <= s.x1 && w.y * n >= s.y0 && w.y * n <= s.y1;
  });
}

void TileCache::invalidate_bbox(data::Layer layer, Box b) {
  WorldXY lo = to_world({b.min_lon, b.max_lat}), hi = to_world({b.max_lon, b.min_lat});
  invalidate_if(layer, [lo, hi](TileId t) {
    double n = std::ldexp(1.0, t.z);
    Span s = span_of(t);
    return hi.x * n >= s.x0 && lo.x * n <= s.x1 && hi.y * n >= s.y0 && lo.y * n <= s.y1;
  });
}

void TileCache::invalidate_layer(data::Layer layer) {
  invalidate_if(layer, [](TileId) { return true; });
}

TileCache::Counters TileCache::counters() const {
  std::lock_guard l(lock_);
  Counters c = counters_;
  c.bytes = bytes_;
  for (const auto& m : entries_) c.entries += m.size();
  return c;
}

}  // namespace gridmap::tiles
