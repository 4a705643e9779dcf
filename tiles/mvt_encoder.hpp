// Mapbox Vector Tile 2.1 encoding with protozero: one LayerBuilder per layer collects
// features (with their ids, deduplicated key and value tables and geometry command
// streams); encode_tile() writes the layers as one tile.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "tiles/tile_geometry.hpp"

namespace gridmap::tiles {

constexpr uint32_t kExtent = 4096;

// A property value; integers are written as uint_value when non-negative, else sint_value.
using Value = std::variant<std::string_view, double, int64_t, bool>;

struct Property {
  std::string_view key;
  Value value;
};

// Polygons encoded once for many tiles: the command stream add_polygons() writes, less its
// first MoveTo, whose point is kept apart, since only it depends on where the tile lies (the
// stream is relative from there on). The rest is `rest.size` bytes of packed varints at
// `rest.offset` of a buffer kept by the caller.
struct EncodedPolygons {
  IPoint first;
  struct {
    uint32_t offset = 0, size = 0;
  } rest;
  uint32_t vertices = 0;  // 0: nothing to draw
};
// Appends the stream after the first MoveTo to `rest`.
EncodedPolygons encode_polygons(std::span<const IPolygon> polygons, std::string& rest);

class LayerBuilder {
 public:
  explicit LayerBuilder(std::string name, uint32_t extent = kExtent);
  LayerBuilder(const LayerBuilder&) = delete;  // keys_ point into its own map
  LayerBuilder& operator=(const LayerBuilder&) = delete;
  LayerBuilder(LayerBuilder&&) = default;
  LayerBuilder& operator=(LayerBuilder&&) = default;

  // Room for about `features` features of `values` values each, so that the value table
  // and the buffers are not grown (and rehashed) while they are added. Only a hint.
  void reserve(size_t features, size_t values);

  // One POINT feature (a multipoint when there are several); false when there is no point.
  bool add_points(std::optional<uint64_t> id, std::span<const IPoint> points,
                  std::span<const Property> properties);
  // One POLYGON feature (a multipolygon when there are several). Rings are oriented as the
  // specification requires, repeated points and zero-length segments are dropped, rings
  // left with no area are skipped (a polygon whose exterior has none entirely); false when
  // nothing is left.
  bool add_polygons(std::optional<uint64_t> id, std::span<const IPolygon> polygons,
                    std::span<const Property> properties);
  // The same feature from polygons encoded by encode_polygons() into `rest`, moved by -origin
  // (their coordinates' origin in the tile's): the bytes add_polygons() would write for the
  // moved polygons.
  bool add_polygons(std::optional<uint64_t> id, const EncodedPolygons& polygons,
                    std::string_view rest, IPoint origin, std::span<const Property> properties);

  const std::string& name() const noexcept { return name_; }
  uint32_t extent() const noexcept { return extent_; }
  size_t feature_count() const noexcept { return features_.size(); }
  size_t vertex_count() const noexcept { return vertices_; }
  bool empty() const noexcept { return features_.empty(); }

 private:
  friend std::string encode_tile(std::span<const LayerBuilder* const> layers);
  struct Span {
    size_t offset, size;
  };
  uint32_t key_index(std::string_view key);
  uint32_t value_index(const Value& v);
  template <class WriteGeometry>
  void add_feature(std::optional<uint64_t> id, int type, std::span<const Property> properties,
                   WriteGeometry&& geometry);
  void write(std::string& out) const;

  // Looked up by string_view, so that finding a known key allocates nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Index = std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>>;

  std::string name_;
  uint32_t extent_;
  Index key_ids_;
  std::vector<const std::string*> keys_;  // in id order; the map's nodes stay where they are
  // The last keys looked up (pointing into key_ids_), tried before hashing.
  struct KeySeen {
    const std::string* key = nullptr;
    uint32_t id = 0;
  };
  std::array<KeySeen, 8> recent_keys_{};
  size_t recent_next_ = 0;
  // Values, mostly distinct (codes, names): their encoded Value messages back to back (value
  // v is [value_ends_[v - 1], value_ends_[v])), found again through an open-addressing table
  // of (hash, id + 1) slots, 0 marking a free one. No allocation per value.
  std::string value_bytes_;
  std::vector<uint32_t> value_ends_;
  struct ValueSlot {
    uint32_t hash = 0, id = 0;
  };
  std::vector<ValueSlot> value_slots_;  // a power of two in size, at most half full
  std::string feature_bytes_;           // encoded Feature messages, back to back
  std::vector<Span> features_;
  std::vector<uint32_t> tags_, geometry_;  // scratch
  IRing ring_;                             // scratch
  size_t vertices_ = 0;
};

// The tile: every non-empty layer in order. An empty string is a valid empty tile.
std::string encode_tile(std::span<const LayerBuilder* const> layers);

}  // namespace gridmap::tiles
