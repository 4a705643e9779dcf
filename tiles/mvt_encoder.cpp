#include "tiles/mvt_encoder.hpp"

#include <algorithm>
#include <protozero/pbf_writer.hpp>

namespace gridmap::tiles {
namespace {

// Geometry types and commands of the specification (4.3).
enum GeomType { kPoint = 1, kPolygon = 3 };
constexpr uint32_t kMoveTo = 1, kLineTo = 2, kClosePath = 7;

uint32_t command(uint32_t id, uint32_t count) {
  return (id & 0x7) | (count << 3);
}
uint32_t zigzag(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}

// The ring without repeated consecutive points or a closing point; empty when fewer than
// three points or no area remain.
IRing clean_ring(const IRing& in) {
  IRing r;
  r.reserve(in.size());
  for (const IPoint& p : in)
    if (r.empty() || r.back() != p) r.push_back(p);
  while (r.size() > 1 && r.back() == r.front()) r.pop_back();
  if (r.size() < 3 || twice_area(r) == 0) r.clear();
  return r;
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

uint32_t LayerBuilder::value_index(const Value& v) {
  // The encoded Value message is its own canonical key: equal values, equal bytes.
  std::string& bytes = value_scratch_;
  bytes.clear();
  protozero::pbf_writer w(bytes);
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
  auto it = value_ids_.find(std::string_view(bytes));
  if (it != value_ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(values_.size());
  it = value_ids_.emplace(bytes, id).first;
  values_.push_back(&it->first);
  return id;
}

void LayerBuilder::add_feature(std::optional<uint64_t> id, int type,
                               std::span<const Property> properties) {
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
    f.add_packed_uint32(4, geometry_.begin(), geometry_.end());
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
    geometry_.push_back(zigzag(p.x - cursor.x));
    geometry_.push_back(zigzag(p.y - cursor.y));
    cursor = p;
  }
  vertices_ += points.size();
  add_feature(id, kPoint, properties);
  return true;
}

bool LayerBuilder::add_polygons(std::optional<uint64_t> id, std::span<const IPolygon> polygons,
                                std::span<const Property> properties) {
  geometry_.clear();
  IPoint cursor;
  size_t vertices = 0;
  for (const IPolygon& polygon : polygons) {
    for (size_t i = 0; i < polygon.rings.size(); ++i) {
      IRing r = clean_ring(polygon.rings[i]);
      if (r.empty()) {
        if (i == 0) break;  // no exterior: no polygon, its holes go with it
        continue;
      }
      // Exterior rings have positive area (clockwise with y down), holes negative.
      bool exterior = i == 0;
      if ((twice_area(r) > 0) != exterior) std::reverse(r.begin() + 1, r.end());
      geometry_.push_back(command(kMoveTo, 1));
      geometry_.push_back(zigzag(r[0].x - cursor.x));
      geometry_.push_back(zigzag(r[0].y - cursor.y));
      cursor = r[0];
      geometry_.push_back(command(kLineTo, static_cast<uint32_t>(r.size() - 1)));
      for (size_t k = 1; k < r.size(); ++k) {
        geometry_.push_back(zigzag(r[k].x - cursor.x));
        geometry_.push_back(zigzag(r[k].y - cursor.y));
        cursor = r[k];
      }
      geometry_.push_back(command(kClosePath, 1));
      vertices += r.size();
    }
  }
  if (geometry_.empty()) return false;
  vertices_ += vertices;
  add_feature(id, kPolygon, properties);
  return true;
}

void LayerBuilder::write(std::string& out) const {
  protozero::pbf_writer tile(out);
  protozero::pbf_writer layer(tile, 3);  // Tile.layers
  layer.add_uint32(15, 2);               // version
  layer.add_string(1, name_);
  for (const Span& f : features_) layer.add_message(2, feature_bytes_.data() + f.offset, f.size);
  for (const std::string* k : keys_) layer.add_string(3, *k);
  for (const std::string* v : values_) layer.add_message(4, *v);
  layer.add_uint32(5, extent_);
}

std::string encode_tile(std::span<const LayerBuilder* const> layers) {
  std::string out;
  for (const LayerBuilder* l : layers)
    if (l && !l->empty()) l->write(out);
  return out;
}

}  // namespace gridmap::tiles
