// The MVT encoder: exact bytes of a small tile, and encode -> decode with GDAL's MVT driver.
#include <catch2/catch.hpp>

#include <protozero/pbf_reader.hpp>
#include <set>

#include "tiles/decode.hpp"
#include "tiles/mvt_encoder.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += std::string{digits[c >> 4], digits[c & 15], ' '};
  if (!out.empty()) out.pop_back();
  return out;
}

std::string encode(std::initializer_list<const LayerBuilder*> layers) {
  std::vector<const LayerBuilder*> v(layers);
  return encode_tile(v);
}

// GDAL reports a lone tile with y up: y' = extent - y.
std::string wkt_of(const test::DecodedFeature& f) {
  return geos::to_wkt(f.geom.get(), 3);
}

IRing ring(std::initializer_list<IPoint> pts) {
  return IRing(pts);
}

}  // namespace

TEST_CASE(
    "the encoder writes the exact bytes of a small tile, worked out by hand from the "
    "specification") {
  LayerBuilder layer("t");
  IPoint p{25, 17};
  Property point_props[] = {{"name", std::string_view("x")}, {"n", int64_t{3}}};
  REQUIRE(layer.add_points(1, std::span<const IPoint>(&p, 1), point_props));
  // Given counter-clockwise on screen; written clockwise (positive area), starting at (0,0).
  IPolygon square{{ring({{0, 0}, {0, 10}, {10, 10}, {10, 0}})}};
  Property polygon_props[] = {{"name", std::string_view("y")}};
  REQUIRE(layer.add_polygons(std::nullopt, std::span<const IPolygon>(&square, 1), polygon_props));
  std::string expected =
      "1a 45"                                       // Tile.layers, 69 bytes
      " 78 02"                                      // version 2
      " 0a 01 74"                                   // name "t"
      " 12 0f 08 01 12 04 00 00 01 01 18 01"        // feature: id 1, tags [0 0 1 1], POINT
      " 22 03 09 32 22"                             //   MoveTo(1) +25 +17
      " 12 13 12 02 00 02 18 03"                    // feature: no id, tags [0 2], POLYGON
      " 22 0b 09 00 00 1a 14 00 00 14 13 00 0f"     // MoveTo(0,0) LineTo(3) +10,0 0,+10 -10,0 Close
      " 1a 04 6e 61 6d 65 1a 01 6e"                 // keys "name" "n"
      " 22 03 0a 01 78 22 02 28 03 22 03 0a 01 79"  // values "x" 3 "y"
      " 28 80 20";                                  // extent 4096
  auto no_spaces = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
  };
  CHECK(no_spaces(hex(encode({&layer}))) == no_spaces(expected));
}

TEST_CASE("an encoded tile decodes with GDAL to the same features, attributes and geometries") {
  LayerBuilder areas("areas"), points("points");
  // A square with a square hole, and a second part: one multipolygon feature.
  std::vector<IPolygon> multi{{{ring({{100, 100}, {1100, 100}, {1100, 1100}, {100, 1100}}),
                                ring({{400, 400}, {400, 700}, {700, 700}, {700, 400}})}},
                              {{ring({{2000, 2000}, {2500, 2000}, {2500, 2600}})}}};
  Property area_props[] = {{"code", std::string_view("150102001001001")},
                           {"name", std::string_view("光明社区第1网格")},
                           {"households", int64_t{290}},
                           {"share", 0.25},
                           {"delta", int64_t{-7}},
                           {"open", true}};
  REQUIRE(areas.add_polygons(150102001001001ull, multi, area_props));
  std::vector<IPoint> pts{{-30, 4100}, {4095, 0}};
  Property point_props[] = {{"status", std::string_view("reported")}};
  REQUIRE(points.add_points(42, pts, point_props));
  test::DecodedTile d = test::decode_with_gdal(encode({&areas, &points}));
  REQUIRE(d.count("areas") == 1);
  REQUIRE(d.count("points") == 1);
  REQUIRE(d["areas"].size() == 1);
  const auto& a = d["areas"][0];
  CHECK(a.id == 150102001001001);
  CHECK(a.attrs.at("code") == "150102001001001");
  CHECK(a.attrs.at("name") == "光明社区第1网格");
  CHECK(a.attrs.at("households") == "290");
  CHECK(a.attrs.at("delta") == "-7");
  CHECK(std::stod(a.attrs.at("share")) == 0.25);
  CHECK((a.attrs.at("open") == "1" || a.attrs.at("open") == "true"));
  // GDAL flips y; the shapes are the same (GEOS topological equality).
  auto expected = geos::from_wkt(
      "MULTIPOLYGON (((100 3996, 1100 3996, 1100 2996, 100 2996, 100 3996), (400 3696, 400 3396, "
      "700 3396, 700 3696, 400 3696)),"
      " ((2000 2096, 2500 2096, 2500 1496, 2000 2096)))");
  INFO(wkt_of(a));
  CHECK(GEOSEquals_r(geos::ctx(), a.geom.get(), expected.get()) == 1);
  CHECK(geos::invalid_reason(a.geom.get()).empty());
  REQUIRE(d["points"].size() == 1);
  CHECK(d["points"][0].id == 42);
  CHECK(d["points"][0].attrs.at("status") == "reported");
  auto mp = geos::from_wkt("MULTIPOINT ((-30 -4), (4095 4096))");
  CHECK(GEOSEquals_r(geos::ctx(), d["points"][0].geom.get(), mp.get()) == 1);
}

TEST_CASE(
    "exterior rings are written clockwise on screen and holes counter-clockwise, whatever the "
    "input") {
  IRing outer = ring({{0, 0}, {100, 0}, {100, 100}, {0, 100}});  // clockwise on screen (y down)
  IRing hole = ring({{20, 20}, {20, 80}, {80, 80}, {80, 20}});   // counter-clockwise on screen
  for (bool flip_outer : {false, true})
    for (bool flip_hole : {false, true}) {
      IPolygon p{{outer, hole}};
      if (flip_outer) std::reverse(p.rings[0].begin(), p.rings[0].end());
      if (flip_hole) std::reverse(p.rings[1].begin(), p.rings[1].end());
      LayerBuilder l("l");
      REQUIRE(l.add_polygons(1, std::span<const IPolygon>(&p, 1), {}));
      std::string tile = encode({&l});
      // Decode the command stream by hand: ring areas by the specification's formula.
      protozero::pbf_reader t(tile);
      REQUIRE(t.next(3));
      protozero::pbf_reader layer = t.get_message();
      std::vector<int64_t> areas;
      while (layer.next())
        if (layer.tag() == 2) {
          protozero::pbf_reader feature = layer.get_message();
          while (feature.next(4)) {
            auto g = feature.get_packed_uint32();
            std::vector<uint32_t> cmds(g.begin(), g.end());
            int32_t x = 0, y = 0;
            IRing r;
            for (size_t i = 0; i < cmds.size();) {
              uint32_t id = cmds[i] & 7, count = cmds[i] >> 3;
              ++i;
              if (id == 7) {
                areas.push_back(twice_area(r));
                r.clear();
                continue;
              }
              for (uint32_t k = 0; k < count; ++k, i += 2) {
                auto unzig = [](uint32_t v) {
                  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
                };
                x += unzig(cmds[i]), y += unzig(cmds[i + 1]);
                r.push_back({x, y});
              }
            }
          }
        } else {
          layer.skip();
        }
      REQUIRE(areas.size() == 2);
      CHECK(areas[0] > 0);
      CHECK(areas[1] < 0);
    }
}

TEST_CASE("repeated points, zero-length segments and rings without area are not written") {
  LayerBuilder l("l");
  // A square with repeated vertices and its closing point given explicitly.
  IPolygon p{{ring({{0, 0}, {0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}})}};
  REQUIRE(l.add_polygons(1, std::span<const IPolygon>(&p, 1), {}));
  CHECK(l.vertex_count() == 4);
  // A hole that collapsed to a line is skipped; an exterior with no area drops the polygon.
  IPolygon with_flat_hole{
      {ring({{0, 0}, {10, 0}, {10, 10}, {0, 10}}), ring({{2, 2}, {5, 5}, {8, 8}})}};
  IPolygon flat{{ring({{0, 0}, {5, 0}, {10, 0}})}};
  LayerBuilder m("m");
  REQUIRE(m.add_polygons(2, std::span<const IPolygon>(&with_flat_hole, 1), {}));
  CHECK(m.vertex_count() == 4);
  CHECK_FALSE(m.add_polygons(3, std::span<const IPolygon>(&flat, 1), {}));
  CHECK(m.feature_count() == 1);
  auto d = test::decode_with_gdal(encode({&l, &m}));
  REQUIRE(d["l"].size() == 1);
  CHECK(GEOSGetNumCoordinates_r(geos::ctx(), d["l"][0].geom.get()) == 5);  // 4 + closing
  CHECK(geos::invalid_reason(d["m"][0].geom.get()).empty());
}

TEST_CASE("keys and values are stored once per layer however many features use them") {
  LayerBuilder l("l");
  for (int i = 0; i < 100; ++i) {
    IPoint p{i, i};
    Property props[] = {{"status", std::string_view(i % 2 ? "closed" : "reported")},
                        {"n", int64_t{i % 3}}};
    l.add_points(static_cast<uint64_t>(i), std::span<const IPoint>(&p, 1), props);
  }
  std::string tile = encode({&l});
  protozero::pbf_reader t(tile);
  REQUIRE(t.next(3));
  protozero::pbf_reader layer = t.get_message();
  int keys = 0, values = 0, features = 0;
  while (layer.next()) {
    if (layer.tag() == 2) ++features;
    if (layer.tag() == 3) ++keys;
    if (layer.tag() == 4) ++values;
    layer.skip();
  }
  CHECK(features == 100);
  CHECK(keys == 2);
  CHECK(values == 2 + 3);
}

TEST_CASE("thousands of distinct values each get one entry, and every feature its own") {
  // Enough values to grow the value table several times; names repeat every 700 features,
  // numbers come in five, one value of each type besides.
  LayerBuilder l("l");
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    IPoint p{i % 4096, i / 4096};
    std::string code = "1501020" + std::to_string(1000000 + i);
    std::string name = "网格 " + std::to_string(i % 700);
    Property props[] = {{"code", std::string_view(code)},
                        {"name", std::string_view(name)},
                        {"n", int64_t{i % 5 - 2}},
                        {"x", 0.5},
                        {"b", i % 2 == 0}};
    l.add_points(static_cast<uint64_t>(i), std::span<const IPoint>(&p, 1), props);
  }
  std::string tile = encode({&l});
  protozero::pbf_reader t(tile);
  REQUIRE(t.next(3));
  protozero::pbf_reader layer = t.get_message();
  std::vector<std::string> keys, values;
  std::vector<std::vector<uint32_t>> tags;
  while (layer.next()) {
    if (layer.tag() == 2) {
      protozero::pbf_reader f = layer.get_message();
      tags.emplace_back();
      while (f.next()) {
        if (f.tag() == 2) {
          auto packed = f.get_packed_uint32();
          tags.back().assign(packed.begin(), packed.end());
        } else {
          f.skip();
        }
      }
    } else if (layer.tag() == 3) {
      keys.push_back(layer.get_string());
    } else if (layer.tag() == 4) {
      values.push_back(layer.get_string());  // the Value message's bytes
    } else {
      layer.skip();
    }
  }
  REQUIRE(tags.size() == size_t(n));
  CHECK(keys == std::vector<std::string>{"code", "name", "n", "x", "b"});
  CHECK(values.size() == size_t(n + 700 + 5 + 1 + 2));
  std::set<std::string> distinct(values.begin(), values.end());
  CHECK(distinct.size() == values.size());
  auto string_value = [&](uint32_t v) {
    REQUIRE(v < values.size());
    protozero::pbf_reader m(values[v]);
    REQUIRE(m.next(1));
    return m.get_string();
  };
  for (int i = 0; i < n; i += 7) {
    REQUIRE(tags[i].size() == 10);
    CHECK(string_value(tags[i][1]) == "1501020" + std::to_string(1000000 + i));
    CHECK(string_value(tags[i][3]) == "网格 " + std::to_string(i % 700));
    protozero::pbf_reader num(values.at(tags[i][5]));
    REQUIRE(num.next());
    if (i % 5 - 2 >= 0)
      CHECK(num.get_uint64() == uint64_t(i % 5 - 2));
    else
      CHECK(num.get_sint64() == i % 5 - 2);
    // Equal values share their entry.
    if (i + 700 < n) CHECK(tags[i][3] == tags[i + 700][3]);
    CHECK(tags[i][7] == tags[0][7]);
  }
}

TEST_CASE("polygons encoded once and placed in a tile give the bytes of the moved polygons") {
  // World coordinates: a square with a hole (both wound the wrong way), a repeated point, a
  // second part, a part with no area; then a feature with nothing left at all.
  IPolygon holed{{ring({{1000, 1000}, {1000, 1100}, {1100, 1100}, {1100, 1100}, {1100, 1000}}),
                  ring({{1020, 1020}, {1080, 1020}, {1080, 1080}, {1020, 1080}})}};
  IPolygon second{{ring({{1200, 1000}, {1300, 1000}, {1250, 1090}})}};
  IPolygon flat{{ring({{1400, 1000}, {1500, 1000}, {1450, 1000}})}};
  std::vector<IPolygon> features[] = {{holed, second, flat}, {flat}, {second}};
  std::string rest;
  std::vector<EncodedPolygons> encoded;
  for (const auto& f : features) encoded.push_back(encode_polygons(f, rest));
  CHECK(encoded[1].vertices == 0);
  CHECK(encoded[0].vertices == 4 + 4 + 3);
  for (IPoint origin : {IPoint{0, 0}, IPoint{1024, 960}, IPoint{-50, 3000}}) {
    LayerBuilder direct("l"), placed("l");
    for (size_t k = 0; k < std::size(features); ++k) {
      std::vector<IPolygon> moved = features[k];
      for (IPolygon& p : moved)
        for (IRing& r : p.rings)
          for (IPoint& v : r) v = {v.x - origin.x, v.y - origin.y};
      Property props[] = {{"k", int64_t(k)}};
      bool a = direct.add_polygons(k, moved, props);
      bool b = placed.add_polygons(k, encoded[k], rest, origin, props);
      CHECK(a == b);
    }
    CHECK(direct.vertex_count() == placed.vertex_count());
    CHECK(hex(encode({&direct})) == hex(encode({&placed})));
  }
}

TEST_CASE("an empty tile is zero bytes and layers without features are left out") {
  LayerBuilder empty("nothing");
  CHECK(encode({&empty}).empty());
  CHECK_FALSE(empty.add_points(1, {}, {}));
}
