// Built tiles, gzip-compressed, with content ETags. A change invalidates exactly the tiles
// whose buffered area holds the changed point or box, at every zoom, in every variant
// (filters, scopes); a tile built while its layer changed is served but not kept.
// Thread-safe; building happens outside the lock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "data/layer.hpp"
#include "geo/types.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/tile_math.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

struct CachedTile {
  std::string gzip;     // the tile, gzip-compressed
  size_t raw_size = 0;  // its uncompressed size
  std::string etag;     // quoted, from the uncompressed bytes
  TileStats stats;
};

struct TileKey {
  data::Layer layer = data::Layer::grids;
  TileId tile;
  std::string variant;  // filter and scope; "" for the plain tile
};

// A strong ETag of tile bytes.
std::string tile_etag(std::string_view raw);

class TileCache {
 public:
  explicit TileCache(size_t max_bytes = size_t{256} << 20);

  // The cached tile or, when absent or expired, the one `build` makes.
  std::shared_ptr<const CachedTile> get(const TileKey& key,
                                        const std::function<BuiltTile()>& build);

  // `margin`: how far (in tiles at their zoom) a point shows beyond a tile; by default the
  // vector tiles' buffer.
  void invalidate_point(data::Layer layer, LonLat p, double margin = (kBuffer + 1) / kExtent);
  void invalidate_bbox(data::Layer layer, Box b);
  void invalidate_layer(data::Layer layer);

  struct Counters {
    uint64_t hits = 0, misses = 0, invalidated = 0;
    size_t entries = 0, bytes = 0;
  };
  Counters counters() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Node {
    std::shared_ptr<const CachedTile> tile;
    TileId id;
    Clock::time_point built;
    std::list<std::pair<size_t, std::string>>::iterator lru;
  };
  template <class Pred>
  void invalidate_if(data::Layer layer, Pred stale);
  void erase(size_t layer, std::unordered_map<std::string, Node>::iterator it);  // lock held

  size_t max_bytes_;
  mutable std::mutex lock_;
  std::array<std::unordered_map<std::string, Node>, 6> entries_;  // by layer
  std::array<std::atomic<uint64_t>, 6> epochs_{};                 // bumped by invalidations
  std::list<std::pair<size_t, std::string>> lru_;                 // front = most recent
  size_t bytes_ = 0;
  Counters counters_;
};

}  // namespace gridmap::tiles
