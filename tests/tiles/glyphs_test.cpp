// Glyph ranges for map labels, rendered from the system's WenQuanYi Micro Hei and read back
// with protozero.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "geo/error.hpp"
#include "support/test_support.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/glyphs_decode.hpp"
#include "tiles/gzip.hpp"

using namespace gridmap;

namespace {

const std::string kFont(tiles::kDefaultFontPath);

// The outermost ring of the padded field: at least the buffer's 3 px from any ink.
int ring_max(const test::DecodedGlyph& g) {
  int w = static_cast<int>(g.width) + 6, h = static_cast<int>(g.height) + 6, m = 0;
  for (int x = 0; x < w; ++x) m = std::max({m, g.at(x, 0), g.at(x, h - 1)});
  for (int y = 0; y < h; ++y) m = std::max({m, g.at(0, y), g.at(w - 1, y)});
  return m;
}

int field_max(const test::DecodedGlyph& g) {
  int m = 0;
  for (char c : g.bitmap) m = std::max(m, int(static_cast<unsigned char>(c)));
  return m;
}

}  // namespace

TEST_CASE("a CJK range holds its ideographs as fields of (width + 6) x (height + 6) bytes") {
  tiles::GlyphFont font(kFont);
  CHECK(font.family() == "WenQuanYi Micro Hei");
  auto stacks = test::decode_glyphs(font.render(20736));
  REQUIRE(stacks.size() == 1);
  const test::DecodedStack& s = stacks[0];
  CHECK(s.name == font.family());
  CHECK(s.range == "20736-20991");
  CHECK(s.glyphs.size() > 240);  // U+5100..U+51FF: the font covers (nearly) all of them
  uint32_t previous = 0;
  for (const auto& g : s.glyphs) {
    INFO("U+" << std::hex << g.id);
    CHECK(g.id >= 20736);
    CHECK(g.id <= 20991);
    CHECK(g.id >= previous);
    previous = g.id;
    REQUIRE(g.bitmap.size() == static_cast<size_t>(g.width + 6) * (g.height + 6));
    CHECK(g.width <= 30);
    CHECK(g.height <= 30);
    CHECK(g.advance >= 20);  // ideographs are about one em wide
    CHECK(g.advance <= 28);
    CHECK(ring_max(g) <= 100);  // outside, >= 3 px from the ink
  }
  const test::DecodedGlyph* guang = s.find(0x5149);  // 光
  REQUIRE(guang);
  CHECK(guang->width >= 16);
  CHECK(guang->height >= 16);
  CHECK(field_max(*guang) > 192);  // stroke centres are inside
  CHECK(guang->left >= -2);
  CHECK(guang->left <= 4);
}

TEST_CASE("the hollow of 口 lies far outside the ink: its field falls to 0 there") {
  tiles::GlyphFont font(kFont);
  auto stacks = test::decode_glyphs(font.render(21248));
  REQUIRE(stacks.size() == 1);
  const test::DecodedGlyph* kou = stacks[0].find(0x53E3);  // 口
  REQUIRE(kou);
  int cx = static_cast<int>(kou->width + 6) / 2, cy = static_cast<int>(kou->height + 6) / 2;
  CHECK(kou->at(cx, cy) < 16);
  // Walking left from the centre crosses the left stroke: bright inside it.
  int best = 0;
  for (int x = cx; x >= 0; --x) best = std::max(best, kou->at(x, cy));
  CHECK(best > 192);
}

TEST_CASE("the Latin range has letters with bitmaps, a blank space and no control characters") {
  tiles::GlyphFont font(kFont);
  auto s = test::decode_glyphs(font.render(0)).at(0);
  CHECK(s.range == "0-255");
  const test::DecodedGlyph* a = s.find('A');
  REQUIRE(a);
  CHECK(a->width > 8);
  CHECK(a->height > 12);
  CHECK(a->advance < 20);  // narrower than an ideograph
  CHECK(a->top < 0);       // measured down from the line's top
  const test::DecodedGlyph* space = s.find(' ');
  REQUIRE(space);
  CHECK(space->bitmap.empty());
  CHECK(space->width == 0);
  CHECK(space->advance > 0);
  CHECK(!s.find('\n'));
  CHECK(!s.find(0));
}

TEST_CASE("glyph range names must be 256 code points from a multiple of 256") {
  CHECK(tiles::parse_glyph_range("0-255") == 0);
  CHECK(tiles::parse_glyph_range("20736-20991") == 20736);
  CHECK(tiles::parse_glyph_range("65280-65535") == 65280);
  for (const char* bad : {"1-256", "0-254", "0-511", "256-255", "65536-65791", "0_255", "0-255x",
                          "-0-255", "", "-", "a-b", "0-", "-255", "99999999999-255"}) {
    INFO(bad);
    CHECK_THROWS_AS(tiles::parse_glyph_range(bad), Error);
  }
}

TEST_CASE("a missing or unreadable font file is refused with its path") {
  test::TempDir dir;
  std::string missing = dir.file("no-such-font.ttf"), text = dir.file("not-a-font.ttf");
  test::write_file(text, "this is not a font\n");
  for (const std::string& path : {missing, text}) {
    try {
      tiles::GlyphFont f(path);
      FAIL("no error for " << path);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
  }
}

TEST_CASE("a font serves the stacks that name it, and caches each range once") {
  tiles::GlyphFont font(kFont);
  CHECK(font.serves("WenQuanYi Micro Hei"));
  CHECK(font.serves("Open Sans Regular, WenQuanYi Micro Hei"));
  CHECK(!font.serves("Open Sans Regular"));
  CHECK(!font.serves("WenQuanYi Micro"));
  CHECK(!font.serves(""));
  std::vector<std::shared_ptr<const tiles::GlyphRange>> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] { got[i] = font.range(20736); });
  for (auto& t : threads) t.join();
  for (const auto& r : got) CHECK(r == font.range(20736));
  auto r = font.range(20736);
  CHECK(tiles::gunzip(r->gzip, r->raw_size) == font.render(20736));
  CHECK(r->etag.size() > 2);
  CHECK(font.range(0)->etag != r->etag);
  CHECK_THROWS_AS(font.range(100), Error);
  CHECK_THROWS_AS(font.render(65536), Error);
}
