// What the tile builders share (area_tiles.cpp, point_tiles.cpp, layers.cpp): the work
// budget, feature ids, snapping and encoding. Internal to tiles/.
#pragma once

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "data/db.hpp"
#include "geo/error.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles::detail {

using Clock = std::chrono::steady_clock;

class Budget {
 public:
  explicit Budget(std::chrono::milliseconds ms) : end_(Clock::now() + ms) {}
  void check() const {
    if (Clock::now() > end_)
      throw Error(ErrorKind::unavailable,
                  "this tile takes too long to build; zoom in or narrow the filters");
  }

 private:
  Clock::time_point end_;
};

// A numeric code doubles as the feature id (codes are unique per layer); others have none.
inline std::optional<uint64_t> id_of(const std::string& code) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), v);
  if (ec != std::errc() || p != code.data() + code.size() || code.empty()) return std::nullopt;
  return v;
}

inline std::optional<IPoint> snap_point(TileXY t, double lo, double hi) {
  if (!(t.x >= lo && t.x < hi && t.y >= lo && t.y < hi)) return std::nullopt;
  return IPoint{static_cast<int32_t>(std::lround(t.x)), static_cast<int32_t>(std::lround(t.y))};
}

inline std::string encode(const LayerBuilder& a, const LayerBuilder* b, TileStats& s) {
  const LayerBuilder* layers[] = {&a, b};
  std::string out = encode_tile(layers);
  s.features = a.feature_count() + (b ? b->feature_count() : 0);
  s.vertices = a.vertex_count() + (b ? b->vertex_count() : 0);
  s.bytes = out.size();
  return out;
}

// The tile of an area layer (with its label layer from label_minzoom) and of a point layer.
BuiltTile build_area_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                          const Budget& budget);
BuiltTile build_point_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                           const Budget& budget);

}  // namespace gridmap::tiles::detail
