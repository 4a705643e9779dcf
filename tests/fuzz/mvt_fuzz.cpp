// Vector tiles: features built from the fuzzer's bytes are encoded, decoded here by a
// reader written from the specification (protozero's pbf_reader, nothing of the encoder),
// and compared: ids, properties through the key and value tables, point and ring commands
// with the repeated points, closing points and rings without area dropped and rings
// oriented as the specification requires. Polygons encoded once and placed (EncodedPolygons)
// must give the bytes of the moved polygons.
#include <protozero/pbf_reader.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <vector>

#include "fuzz/fuzz.hpp"
#include "tiles/mvt_encoder.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

struct Prop {
  std::string key;
  std::string text;  // when kind == 0
  double real = 0;
  int64_t integer = 0;
  bool boolean = false;
  int kind = 0;  // 0 string, 1 double, 2 integer, 3 bool
  Value value() const {
    switch (kind) {
      case 0:
        return std::string_view(text);
      case 1:
        return real;
      case 2:
        return integer;
      default:
        return boolean;
    }
  }
};

struct Feature {
  std::optional<uint64_t> id;
  std::vector<Prop> props;
  bool polygon = false;
  std::vector<IPoint> points;
  std::vector<IPolygon> polygons;
};

// ---- what the tile must hold --------------------------------------------------------------

// A ring as the specification wants it written: no repeated consecutive point, no closing
// point, at least three points with an area; exterior clockwise on screen, holes not.
std::optional<IRing> expected_ring(const IRing& in, bool exterior) {
  IRing r;
  for (const IPoint& p : in)
    if (r.empty() || !(r.back() == p)) r.push_back(p);
  while (r.size() > 1 && r.back() == r.front()) r.pop_back();
  if (r.size() < 3) return std::nullopt;
  __int128 area = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const IPoint &a = r[i], &b = r[(i + 1) % r.size()];
    area += static_cast<__int128>(a.x) * b.y - static_cast<__int128>(b.x) * a.y;
  }
  if (area == 0) return std::nullopt;
  if ((area > 0) != exterior) std::reverse(r.begin() + 1, r.end());
  return r;
}

std::vector<IRing> expected_rings(const std::vector<IPolygon>& polygons) {
  std::vector<IRing> out;
  for (const IPolygon& p : polygons)
    for (size_t i = 0; i < p.rings.size(); ++i) {
      auto r = expected_ring(p.rings[i], i == 0);
      if (!r && i == 0) break;  // no exterior: no polygon
      if (r) out.push_back(std::move(*r));
    }
  return out;
}

// ---- the decoder ------------------------------------------------------------------------

struct DecodedValue {
  int field = 0;  // 1 string, 3 double, 5 uint, 6 sint, 7 bool
  std::string text;
  uint64_t bits = 0;  // double bits, integers, bool
};

struct DecodedFeature {
  std::optional<uint64_t> id;
  std::vector<std::pair<std::string, DecodedValue>> props;
  int type = 0;
  std::vector<uint32_t> geometry;
};

struct DecodedLayer {
  std::string name;
  uint32_t version = 1, extent = 4096;
  std::vector<DecodedFeature> features;
};

DecodedValue decode_value(protozero::pbf_reader v) {
  DecodedValue out;
  int fields = 0;
  while (v.next()) {
    ++fields;
    out.field = v.tag();
    switch (v.tag()) {
      case 1:
        out.text = v.get_string();
        break;
      case 3:
        out.bits = std::bit_cast<uint64_t>(v.get_double());
        break;
      case 5:
        out.bits = v.get_uint64();
        break;
      case 6:
        out.bits = static_cast<uint64_t>(v.get_sint64());
        break;
      case 7:
        out.bits = v.get_bool();
        break;
      default:
        fuzz::fail(__FILE__, __LINE__, "value type", "field " + std::to_string(v.tag()));
    }
  }
  FUZZ_CHECK(fields == 1, "a Value with " + std::to_string(fields) + " fields");
  return out;
}

std::vector<DecodedLayer> decode(const std::string& tile) {
  std::vector<DecodedLayer> layers;
  protozero::pbf_reader t(tile);
  while (t.next()) {
    FUZZ_CHECK(t.tag() == 3, "a tile field other than layers");
    protozero::pbf_reader l = t.get_message();
    DecodedLayer layer;
    std::vector<std::string> keys;
    std::vector<DecodedValue> values;
    std::vector<std::pair<DecodedFeature, std::vector<uint32_t>>> raw;  // with their tags
    while (l.next()) {
      switch (l.tag()) {
        case 15:
          layer.version = l.get_uint32();
          break;
        case 1:
          layer.name = l.get_string();
          break;
        case 3:
          keys.push_back(l.get_string());
          break;
        case 4:
          values.push_back(decode_value(l.get_message()));
          break;
        case 5:
          layer.extent = l.get_uint32();
          break;
        case 2: {
          protozero::pbf_reader f = l.get_message();
          DecodedFeature d;
          std::vector<uint32_t> tags;
          while (f.next()) {
            switch (f.tag()) {
              case 1:
                d.id = f.get_uint64();
                break;
              case 2:
                for (uint32_t x : f.get_packed_uint32()) tags.push_back(x);
                break;
              case 3:
                d.type = f.get_enum();
                break;
              case 4:
                for (uint32_t x : f.get_packed_uint32()) d.geometry.push_back(x);
                break;
              default:
                fuzz::fail(__FILE__, __LINE__, "feature field", std::to_string(f.tag()));
            }
          }
          raw.emplace_back(std::move(d), std::move(tags));
          break;
        }
        default:
          fuzz::fail(__FILE__, __LINE__, "layer field", std::to_string(l.tag()));
      }
    }
    for (auto& [d, tags] : raw) {
      FUZZ_CHECK(tags.size() % 2 == 0, "an odd number of tags");
      for (size_t i = 0; i < tags.size(); i += 2) {
        FUZZ_CHECK(tags[i] < keys.size() && tags[i + 1] < values.size(), "a tag out of the tables");
        d.props.emplace_back(keys[tags[i]], values[tags[i + 1]]);
      }
      layer.features.push_back(std::move(d));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

// Geometry commands back to points: the deltas are parameter integers (zigzag sint32),
// added up modulo 2^32.
struct Commands {
  const std::vector<uint32_t>& g;
  size_t at = 0;
  uint32_t x = 0, y = 0;
  uint32_t next() {
    FUZZ_CHECK(at < g.size(), "the geometry ends inside a command");
    return g[at++];
  }
  static uint32_t unzigzag(uint32_t v) { return (v >> 1) ^ (0u - (v & 1)); }
  IPoint point() {
    x += unzigzag(next());
    y += unzigzag(next());
    return {static_cast<int32_t>(x), static_cast<int32_t>(y)};
  }
};

void check_points(const DecodedFeature& d, const Feature& f) {
  Commands c{d.geometry};
  uint32_t head = c.next();
  FUZZ_CHECK((head & 7) == 1 && (head >> 3) == f.points.size(), "a MoveTo of every point");
  for (const IPoint& p : f.points) FUZZ_CHECK(c.point() == p, "a point moved");
  FUZZ_CHECK(c.at == d.geometry.size(), "commands after the points");
}

void check_polygons(const DecodedFeature& d, const Feature& f) {
  std::vector<IRing> expected = expected_rings(f.polygons);
  Commands c{d.geometry};
  for (const IRing& want : expected) {
    FUZZ_CHECK(c.next() == (1u | 1u << 3), "a ring starts with one MoveTo");
    IRing got{c.point()};
    uint32_t line = c.next();
    FUZZ_CHECK((line & 7) == 2, "a LineTo follows");
    for (uint32_t k = 0; k < (line >> 3); ++k) got.push_back(c.point());
    FUZZ_CHECK(c.next() == (7u | 1u << 3), "a ring ends with ClosePath");
    FUZZ_CHECK(got == want, "a ring of " + std::to_string(want.size()) + " points came out as " +
                                std::to_string(got.size()));
  }
  FUZZ_CHECK(c.at == d.geometry.size(), "commands after the rings");
}

void check_props(const DecodedFeature& d, const Feature& f) {
  FUZZ_CHECK(d.props.size() == f.props.size(), "properties lost");
  for (size_t i = 0; i < f.props.size(); ++i) {
    const Prop& p = f.props[i];
    const auto& [key, v] = d.props[i];
    FUZZ_CHECK(key == p.key, "key " + p.key + " became " + key);
    switch (p.kind) {
      case 0:
        FUZZ_CHECK(v.field == 1 && v.text == p.text, "string value of " + p.key);
        break;
      case 1:
        FUZZ_CHECK(v.field == 3 && v.bits == std::bit_cast<uint64_t>(p.real), "double of " + p.key);
        break;
      case 2:
        FUZZ_CHECK(v.field == (p.integer >= 0 ? 5 : 6) && v.bits == static_cast<uint64_t>(p.integer),
                   "integer of " + p.key);
        break;
      default:
        FUZZ_CHECK(v.field == 7 && v.bits == p.boolean, "bool of " + p.key);
    }
  }
}

// ---- features from the fuzzer's bytes ----------------------------------------------------

// Points anywhere in 32 bits when wide; polygons, whose area the encoder works out in 64
// bits, within 2^24 of the tile (layers clip them to the tile's buffer).
IPoint point(fuzz::Input& in, bool wide, bool polygon) {
  if (wide && !polygon) return {in.integral<int32_t>(), in.integral<int32_t>()};
  int32_t lo = wide ? -(1 << 24) : -256, hi = wide ? 1 << 24 : 4352;
  return {static_cast<int32_t>(in.in_range(lo, hi)), static_cast<int32_t>(in.in_range(lo, hi))};
}

Feature feature(fuzz::Input& in, bool wide) {
  Feature f;
  if (in.flag()) f.id = in.integral<uint64_t>();
  f.polygon = in.flag();
  static const char* keys[] = {"code", "name", "status", "count"};
  for (int i = 0, n = static_cast<int>(in.in_range(0, 4)); i < n; ++i) {
    Prop p;
    p.key = in.flag() ? std::string(keys[in.in_range(0, 3)]) : in.text(8);
    p.kind = static_cast<int>(in.in_range(0, 3));
    p.text = in.text(12);
    p.real = in.any_real();
    p.integer = in.flag() ? in.in_range(-3, 3) : in.integral<int64_t>();
    p.boolean = in.flag();
    f.props.push_back(std::move(p));
  }
  if (!f.polygon) {
    f.points.resize(in.in_range(0, 6));
    for (auto& p : f.points) p = point(in, wide, false);
    return f;
  }
  f.polygons.resize(in.in_range(0, 3));
  for (auto& poly : f.polygons) {
    poly.rings.resize(in.in_range(0, 3));
    for (auto& r : poly.rings) {
      r.resize(in.in_range(0, 10));
      for (auto& p : r) p = in.flag() && !r.empty() && &p != &r.front() ? *(&p - 1) : point(in, wide, true);
    }
  }
  return f;
}

std::vector<Property> properties(const Feature& f) {
  std::vector<Property> out;
  for (const Prop& p : f.props) out.push_back({p.key, p.value()});
  return out;
}

IPolygon moved(const IPolygon& p, IPoint by) {
  IPolygon out = p;
  for (auto& r : out.rings)
    for (auto& q : r) q = {q.x - by.x, q.y - by.y};
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  // Coordinates of a tile and its buffer, or (rarely) anything 32 bits hold.
  bool wide = in.byte() < 16;
  std::string name = in.text(10);
  uint32_t extent = in.flag() ? 4096 : static_cast<uint32_t>(in.in_range(1, 1 << 16));
  LayerBuilder layer(name, extent);
  std::vector<Feature> written;
  for (int i = 0, n = static_cast<int>(in.in_range(0, 8)); i < n; ++i) {
    Feature f = feature(in, wide);
    std::vector<Property> props = properties(f);
    bool added = f.polygon ? layer.add_polygons(f.id, f.polygons, props)
                           : layer.add_points(f.id, f.points, props);
    bool expect = f.polygon ? !expected_rings(f.polygons).empty() : !f.points.empty();
    FUZZ_CHECK(added == expect, "feature " + std::to_string(i) + (added ? " added" : " not added"));
    if (added) written.push_back(std::move(f));
  }
  const LayerBuilder* layers[] = {&layer};
  std::string tile = encode_tile(layers);
  FUZZ_CHECK(tile.empty() == written.empty(), "an empty layer is not written, others are");

  std::vector<DecodedLayer> decoded = decode(tile);
  FUZZ_CHECK(decoded.size() == (written.empty() ? 0 : 1), "one layer");
  if (!written.empty()) {
    const DecodedLayer& l = decoded[0];
    FUZZ_CHECK(l.name == name && l.version == 2 && l.extent == extent, "layer header");
    FUZZ_CHECK(l.features.size() == written.size(), "features lost");
    for (size_t i = 0; i < written.size(); ++i) {
      const DecodedFeature& d = l.features[i];
      const Feature& f = written[i];
      FUZZ_CHECK(d.id == f.id, "feature id");
      FUZZ_CHECK(d.type == (f.polygon ? 3 : 1), "feature type");
      check_props(d, f);
      if (f.polygon)
        check_polygons(d, f);
      else
        check_points(d, f);
    }
  }

  // Encoded once, then placed: the same bytes as the moved polygons encoded directly.
  if (!wide) {
    IPoint origin{static_cast<int32_t>(in.in_range(-4096, 4096)),
                  static_cast<int32_t>(in.in_range(-4096, 4096))};
    LayerBuilder direct("p"), placed("p");
    std::string rest = in.text(4);  // whatever the caller's buffer already holds
    for (const Feature& f : written) {
      if (!f.polygon) continue;
      std::vector<IPolygon> m;
      for (const IPolygon& p : f.polygons) m.push_back(moved(p, origin));
      std::vector<Property> props = properties(f);
      bool a = direct.add_polygons(f.id, m, props);
      EncodedPolygons e = encode_polygons(f.polygons, rest);
      bool b = placed.add_polygons(f.id, e, rest, origin, props);
      FUZZ_CHECK(a == b, "placed and direct polygons disagree on being empty");
    }
    const LayerBuilder* da[] = {&direct};
    const LayerBuilder* pa[] = {&placed};
    FUZZ_CHECK(encode_tile(da) == encode_tile(pa), "placed polygons differ from moved ones");
  }
  return 0;
}
