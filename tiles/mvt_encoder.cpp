#include "tiles/mvt_encoder.hpp"

#include <algorithm>
#include <cstring>
#include <protozero/pbf_writer.hpp>

namespace gridmap::tiles {
namespace {

// Geometry types and commands of the specification (4.3).
enum GeomType { kPoint = 1, kPolygon = 3 };
constexpr uint32_t kMoveTo = 1, kLineTo = 2, kClosePath = 7;

uint32_t command(uint32_t id, uint32_t count) {
  return (id & 0x7) | (count << 3);
}
// a - b modulo 2^32, as a decoder adding the deltas up in 32 bits gets it back: exact for
// coordinates less than 2^31 apart, and never a signed overflow.
int32_t delta(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
uint32_t zigzag(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
int32_t unzigzag(uint32_t v) {
  return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1);
}

// The ring without repeated consecutive points or a closing point, into `r`; empty when
// fewer than three points remain. Returns twice its signed area (0 when empty).
int64_t clean_ring(const IRing& in, IRing& r) {
  r.clear();
  for (const IPoint& p : in)
    if (r.empty() || r.back() != p) r.push_back(p);
  while (r.size() > 1 && r.back() == r.front()) r.pop_back();
  int64_t area = r.size() < 3 ? 0 : twice_area(r);
  if (area == 0) r.clear();
  return area;
}

// A fast hash of a short byte string (an encoded Value: a tag, a length and some text).
uint32_t hash_bytes(std::string_view s) noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

}  // namespace

LayerBuilder::LayerBuilder(std::string name, uint32_t extent)
    : name_(std::move(name)), extent_(extent) {}

uint32_t LayerBuilder::key_index(std::string_view key) {
  // Features mostly repeat the same few keys: compared with the last ones before hashing.
  for (const KeySeen& k : recent_keys_)
    if (k.key && *k.key == key) return k.id;
  uint32_t id;
  if (auto it = key_ids_.find(key); it != key_ids_.end()) {
    id = it->second;
  } else {
    id = static_cast<uint32_t>(keys_.size());
    it = key_ids_.emplace(std::string(key), id).first;
    keys_.push_back(&it->first);
  }
  recent_keys_[recent_next_] = {keys_[id], id};
  recent_next_ = (recent_next_ + 1) % recent_keys_.size();
  return id;
}

void LayerBuilder::reserve(size_t features, size_t values) {
  features_.reserve(features);
  size_t n = features * values;
  value_ends_.reserve(n);
  value_bytes_.reserve(n * 16);
  feature_bytes_.reserve(features * 32);
  // As value_index() would grow it: a power of two, at least twice the values.
  size_t slots = 64;
  while (2 * (n + 1) > slots) slots *= 2;
  if (value_slots_.empty() && value_ends_.empty()) value_slots_.assign(slots, ValueSlot{});
}

uint32_t LayerBuilder::value_index(const Value& v) {
  // The encoded Value message is its own canonical key: equal values, equal bytes. It is
  // written at the end of value_bytes_ and taken back when it is already there.
  size_t start = value_bytes_.size();
  {
    protozero::pbf_writer w(value_bytes_);
    if (auto* s = std::get_if<std::string_view>(&v)) {
      w.add_string(1, s->data(), s->size());
    } else if (auto* d = std::get_if<double>(&v)) {
      w.add_double(3, *d);
    } else if (auto* i = std::get_if<int64_t>(&v)) {
      if (*i >= 0)
        w.add_uint64(5, static_cast<uint64_t>(*i));
      else
        w.add_sint64(6, *i);
    } else {
      w.add_bool(7, std::get<bool>(v));
    }
  }
  std::string_view bytes(value_bytes_.data() + start, value_bytes_.size() - start);
  uint32_t hash = hash_bytes(bytes);
  if (2 * (value_ends_.size() + 1) > value_slots_.size()) {
    // Grow (or start) the table; the slots keep their hashes, so nothing is hashed again.
    std::vector<ValueSlot> slots(std::max<size_t>(64, 2 * value_slots_.size()));
    size_t mask = slots.size() - 1;
    for (const ValueSlot& s : value_slots_) {
      if (!s.id) continue;
      size_t k = s.hash & mask;
      while (slots[k].id) k = (k + 1) & mask;
      slots[k] = s;
    }
    value_slots_.swap(slots);
  }
  size_t mask = value_slots_.size() - 1;
  for (size_t k = hash & mask;; k = (k + 1) & mask) {
    ValueSlot& s = value_slots_[k];
    if (!s.id) {
      s = {hash, static_cast<uint32_t>(value_ends_.size() + 1)};
      value_ends_.push_back(static_cast<uint32_t>(value_bytes_.size()));
      return s.id - 1;
    }
    if (s.hash != hash) continue;
    uint32_t begin = s.id > 1 ? value_ends_[s.id - 2] : 0;
    if (std::string_view(value_bytes_.data() + begin, value_ends_[s.id - 1] - begin) == bytes) {
      value_bytes_.resize(start);
      return s.id - 1;
    }
  }
}

template <class WriteGeometry>
void LayerBuilder::add_feature(std::optional<uint64_t> id, int type,
                               std::span<const Property> properties, WriteGeometry&& geometry) {
  tags_.clear();
  for (const Property& p : properties) {
    tags_.push_back(key_index(p.key));
    tags_.push_back(value_index(p.value));
  }
  size_t offset = feature_bytes_.size();
  {
    protozero::pbf_writer f(feature_bytes_);
    if (id) f.add_uint64(1, *id);
    if (!tags_.empty()) f.add_packed_uint32(2, tags_.begin(), tags_.end());
    f.add_enum(3, type);
    geometry(f);
  }
  features_.push_back({offset, feature_bytes_.size() - offset});
}

bool LayerBuilder::add_points(std::optional<uint64_t> id, std::span<const IPoint> points,
                              std::span<const Property> properties) {
  if (points.empty()) return false;
  geometry_.clear();
  geometry_.push_back(command(kMoveTo, static_cast<uint32_t>(points.size())));
  IPoint cursor;
  for (const IPoint& p : points) {
    geometry_.push_back(zigzag(delta(p.x, cursor.x)));
    geometry_.push_back(zigzag(delta(p.y, cursor.y)));
    cursor = p;
  }
  vertices_ += points.size();
  add_feature(id, kPoint, properties, [this](protozero::pbf_writer& f) {
    f.add_packed_uint32(4, geometry_.begin(), geometry_.end());
  });
  return true;
}

namespace {

// The command stream of polygons (see add_polygons()) into `geometry`; the vertices written.
size_t polygon_commands(std::span<const IPolygon> polygons, std::vector<uint32_t>& geometry,
                        IRing& ring) {
  geometry.clear();
  IPoint cursor;
  size_t vertices = 0;
  for (const IPolygon& polygon : polygons) {
    for (size_t i = 0; i < polygon.rings.size(); ++i) {
      IRing& r = ring;
      int64_t area = clean_ring(polygon.rings[i], r);
      if (r.empty()) {
        if (i == 0) break;  // no exterior: no polygon, its holes go with it
        continue;
      }
      // Exterior rings have positive area (clockwise with y down), holes negative.
      bool exterior = i == 0;
      if ((area > 0) != exterior) std::reverse(r.begin() + 1, r.end());
      geometry.push_back(command(kMoveTo, 1));
      geometry.push_back(zigzag(delta(r[0].x, cursor.x)));
      geometry.push_back(zigzag(delta(r[0].y, cursor.y)));
      cursor = r[0];
      geometry.push_back(command(kLineTo, static_cast<uint32_t>(r.size() - 1)));
      for (size_t k = 1; k < r.size(); ++k) {
        geometry.push_back(zigzag(delta(r[k].x, cursor.x)));
        geometry.push_back(zigzag(delta(r[k].y, cursor.y)));
        cursor = r[k];
      }
      geometry.push_back(command(kClosePath, 1));
      vertices += r.size();
    }
  }
  return vertices;
}

}  // namespace

EncodedPolygons encode_polygons(std::span<const IPolygon> polygons, std::string& rest) {
  std::vector<uint32_t> geometry;
  IRing ring;
  EncodedPolygons e;
  e.vertices = static_cast<uint32_t>(polygon_commands(polygons, geometry, ring));
  if (!e.vertices) return e;
  e.first = {unzigzag(geometry[1]), unzigzag(geometry[2])};
  size_t begin = rest.size();
  for (size_t i = 3; i < geometry.size(); ++i) protozero::add_varint_to_buffer(&rest, geometry[i]);
  e.rest = {static_cast<uint32_t>(begin), static_cast<uint32_t>(rest.size() - begin)};
  return e;
}

bool LayerBuilder::add_polygons(std::optional<uint64_t> id, std::span<const IPolygon> polygons,
                                std::span<const Property> properties) {
  size_t vertices = polygon_commands(polygons, geometry_, ring_);
  if (geometry_.empty()) return false;
  vertices_ += vertices;
  add_feature(id, kPolygon, properties, [this](protozero::pbf_writer& f) {
    f.add_packed_uint32(4, geometry_.begin(), geometry_.end());
  });
  return true;
}

bool LayerBuilder::add_polygons(std::optional<uint64_t> id, const EncodedPolygons& polygons,
                                std::string_view rest, IPoint origin,
                                std::span<const Property> properties) {
  if (!polygons.vertices) return false;
  // The first MoveTo, the only command that depends on the origin, then the stored rest.
  char head[16];
  char* end = head;
  for (uint32_t v : {command(kMoveTo, 1), zigzag(delta(polygons.first.x, origin.x)),
                     zigzag(delta(polygons.first.y, origin.y))})
    end += protozero::write_varint(end, v);
  vertices_ += polygons.vertices;
  add_feature(id, kPolygon, properties, [&](protozero::pbf_writer& f) {
    f.add_bytes_vectored(4, protozero::data_view(head, size_t(end - head)),
                         rest.substr(polygons.rest.offset, polygons.rest.size));
  });
  return true;
}

void LayerBuilder::write(std::string& out) const {
  protozero::pbf_writer tile(out);
  protozero::pbf_writer layer(tile, 3);  // Tile.layers
  layer.add_uint32(15, 2);               // version
  layer.add_string(1, name_);
  for (const Span& f : features_) layer.add_message(2, feature_bytes_.data() + f.offset, f.size);
  for (const std::string* k : keys_) layer.add_string(3, *k);
  for (size_t v = 0, begin = 0; v < value_ends_.size(); begin = value_ends_[v++])
    layer.add_message(4, value_bytes_.data() + begin, value_ends_[v] - begin);
  layer.add_uint32(5, extent_);
}

std::string encode_tile(std::span<const LayerBuilder* const> layers) {
  std::string out;
  for (const LayerBuilder* l : layers)
    if (l && !l->empty()) l->write(out);
  return out;
}

}  // namespace gridmap::tiles
