// Label glyphs for the web map, in the glyphs protocol of MapLibre styles: each range of
// 256 code points is a protobuf `glyphs` message holding one font stack of signed distance
// fields (tiles/sdf.hpp) rendered with FreeType from one font file at 24 px. Ranges are
// rendered on first request and kept, gzip-compressed, for the life of the process (at
// most 256 of them; a CJK range is some 100 kB). The map's labels are the areas' names: a
// range can hold only the characters they use (a LabelAlphabet), a few kB instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::tiles {

constexpr int kGlyphPixels = 24;  // the size MapLibre scales glyphs from
constexpr int kGlyphBuffer = 3;   // blank pixels around each bitmap (MapLibre's border)

// The default label font: Debian's fonts-wqy-microhei, which covers Chinese and Latin.
inline constexpr std::string_view kDefaultFontPath =
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

struct GlyphRange {
  std::string gzip;     // the protobuf message, gzip-compressed
  size_t raw_size = 0;  // its uncompressed size
  std::string etag;     // quoted, from the uncompressed bytes
};

// The characters the map's labels use, sorted, and a version that changes with them.
struct LabelAlphabet {
  std::vector<uint32_t> code_points;
  std::string version;  // 16 hex digits
};
// The alphabet of these texts (UTF-8; bytes that are not valid UTF-8 are skipped), with the
// digits and Latin letters always in.
LabelAlphabet label_alphabet(const std::vector<std::string>& texts);

// The first code point of a range name "START-END"; throws invalid_input unless START is a
// multiple of 256, END = START + 255 and END <= 65535.
uint32_t parse_glyph_range(std::string_view range);

class GlyphFont {
 public:
  // Opens the font file (the first face of a collection). Throws invalid_input when the file
  // is missing or FreeType cannot read it as a scalable font.
  explicit GlyphFont(const std::string& path);
  ~GlyphFont();
  GlyphFont(const GlyphFont&) = delete;
  GlyphFont& operator=(const GlyphFont&) = delete;

  // The font's family name ("WenQuanYi Micro Hei"): the stack name styles ask for.
  const std::string& family() const noexcept;
  // Whether a comma-separated font stack names this font (blanks around names ignored).
  bool serves(std::string_view fontstack) const;
  // The encoded range starting at `start` (a multiple of 256), rendered now; with `only`,
  // just its code points in the range. Thread-safe.
  std::string render(uint32_t start, const LabelAlphabet* only = nullptr) const;
  // The range, from memory or rendered once; with `only`, its subset, kept until another
  // alphabet is asked for. Thread-safe.
  std::shared_ptr<const GlyphRange> range(uint32_t start, const LabelAlphabet* only = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap::tiles
