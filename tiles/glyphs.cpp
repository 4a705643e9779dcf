#include "tiles/glyphs.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <mutex>
#include <protozero/pbf_writer.hpp>
#include <vector>

#include "geo/error.hpp"
#include "tiles/cache.hpp"
#include "tiles/gzip.hpp"
#include "tiles/sdf.hpp"

namespace gridmap::tiles {
namespace {

// protobuf field numbers of the glyphs message (MapLibre's glyphs.proto).
namespace pb {
constexpr protozero::pbf_tag_type glyphs_stacks = 1;
constexpr protozero::pbf_tag_type stack_name = 1, stack_range = 2, stack_glyphs = 3;
constexpr protozero::pbf_tag_type glyph_id = 1, glyph_bitmap = 2, glyph_width = 3, glyph_height = 4,
                                  glyph_left = 5, glyph_top = 6, glyph_advance = 7;
}  // namespace pb

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

// FreeType objects are not thread-safe: one lock guards the library and the face.
struct GlyphFont::Impl {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  std::string family;
  int ascender = 0;  // pixels above the baseline at kGlyphPixels
  mutable std::mutex render_lock;
  std::mutex cache_lock;
  std::array<std::shared_ptr<const GlyphRange>, 256> cache;
  std::array<std::shared_ptr<const GlyphRange>, 256> subsets;  // of the alphabet below
  std::string subsets_version;

  ~Impl() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

uint32_t parse_glyph_range(std::string_view range) {
  auto number = [&](std::string_view s) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size())
      throw_invalid("glyph range '" + std::string(range) + "' must be START-END, e.g. 0-255");
    return v;
  };
  size_t dash = range.find('-');
  if (dash == std::string_view::npos)
    throw_invalid("glyph range '" + std::string(range) + "' must be START-END, e.g. 0-255");
  uint32_t start = number(range.substr(0, dash)), end = number(range.substr(dash + 1));
  if (start % 256 != 0 || end != start + 255 || end > 65535)
    throw_invalid("glyph range '" + std::string(range) +
                  "' must span 256 code points from a multiple of 256, up to 65535");
  return start;
}

GlyphFont::GlyphFont(const std::string& path) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec))
    throw_invalid("font file " + path +
                  " not found (install fonts-wqy-microhei or pass --font FILE)");
  if (FT_Init_FreeType(&impl_->library) != 0)
    throw Error(ErrorKind::unavailable, "cannot start FreeType");
  if (FT_New_Face(impl_->library, path.c_str(), 0, &impl_->face) != 0 ||
      !FT_IS_SCALABLE(impl_->face))
    throw_invalid(path + " is not a scalable font FreeType can read");
  if (FT_Set_Pixel_Sizes(impl_->face, 0, kGlyphPixels) != 0)
    throw_invalid(path + ": cannot size the font to " + std::to_string(kGlyphPixels) + " px");
  impl_->family = impl_->face->family_name ? impl_->face->family_name : "";
  if (impl_->family.empty()) throw_invalid(path + " has no family name");
  impl_->ascender = static_cast<int>((impl_->face->size->metrics.ascender + 32) >> 6);
}

GlyphFont::~GlyphFont() = default;

const std::string& GlyphFont::family() const noexcept {
  return impl_->family;
}

bool GlyphFont::serves(std::string_view fontstack) const {
  while (true) {
    size_t comma = fontstack.find(',');
    if (trim(fontstack.substr(0, comma)) == impl_->family) return true;
    if (comma == std::string_view::npos) return false;
    fontstack.remove_prefix(comma + 1);
  }
}

LabelAlphabet label_alphabet(const std::vector<std::string>& texts) {
  std::vector<uint32_t> cps;
  for (uint32_t c = 0x20; c < 0x7f; ++c) cps.push_back(c);
  for (const std::string& s : texts)
    for (size_t i = 0; i < s.size();) {
      auto c = static_cast<unsigned char>(s[i]);
      size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      if (n == 0 || i + n > s.size()) {
        ++i;
        continue;
      }
      uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
      bool ok = true;
      for (size_t k = 1; k < n; ++k) {
        auto b = static_cast<unsigned char>(s[i + k]);
        ok = ok && (b >> 6) == 2;
        cp = (cp << 6) | (b & 0x3f);
      }
      if (ok && cp <= 0xffff) cps.push_back(cp);
      i += ok ? n : 1;
    }
  std::sort(cps.begin(), cps.end());
  cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
  // FNV-1a over the code points.
  uint64_t h = 1469598103934665603ull;
  for (uint32_t cp : cps)
    for (int k = 0; k < 4; ++k) {
      h ^= (cp >> (8 * k)) & 0xff;
      h *= 1099511628211ull;
    }
  static const char* const kHex = "0123456789abcdef";
  std::string version(16, '0');
  for (int k = 0; k < 16; ++k) version[15 - k] = kHex[(h >> (4 * k)) & 0xf];
  return {std::move(cps), std::move(version)};
}

std::string GlyphFont::render(uint32_t start, const LabelAlphabet* only) const {
  if (start % 256 != 0 || start > 65280) throw_invalid("glyph ranges start at multiples of 256");
  std::string out;
  protozero::pbf_writer message(out);
  protozero::pbf_writer stack(message, pb::glyphs_stacks);
  stack.add_string(pb::stack_name, impl_->family);
  stack.add_string(pb::stack_range, std::to_string(start) + "-" + std::to_string(start + 255));
  std::lock_guard l(impl_->render_lock);
  FT_Face face = impl_->face;
  std::vector<uint8_t> alpha;
  std::vector<uint32_t> wanted;
  if (only) {
    auto lo = std::lower_bound(only->code_points.begin(), only->code_points.end(), start);
    auto hi = std::upper_bound(lo, only->code_points.end(), start + 255);
    wanted.assign(lo, hi);
  } else {
    for (uint32_t cp = start; cp <= start + 255; ++cp) wanted.push_back(cp);
  }
  for (uint32_t cp : wanted) {
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;  // control characters draw nothing
    FT_UInt index = FT_Get_Char_Index(face, cp);
    if (index == 0) continue;  // not in the font: MapLibre leaves it out of the label
    // Unhinted outlines: the field is scaled on screen, hinting for 24 px would distort it.
    if (FT_Load_Glyph(face, index, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) != 0 ||
        FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL) != 0)
      continue;
    const FT_GlyphSlot slot = face->glyph;
    const FT_Bitmap& bm = slot->bitmap;
    int width = static_cast<int>(bm.width), height = static_cast<int>(bm.rows);
    if (width > 0 && height > 0 && bm.pixel_mode != FT_PIXEL_MODE_GRAY) continue;
    alpha.assign(static_cast<size_t>(width) * height, 0);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        alpha[static_cast<size_t>(y) * width + x] = bm.buffer[y * bm.pitch + x];
    protozero::pbf_writer glyph(stack, pb::stack_glyphs);
    glyph.add_uint32(pb::glyph_id, cp);
    if (width > 0 && height > 0) {
      SdfOptions o;
      o.buffer = kGlyphBuffer;
      std::vector<uint8_t> field = signed_distance_field(alpha, width, height, o);
      glyph.add_bytes(pb::glyph_bitmap, reinterpret_cast<const char*>(field.data()), field.size());
    }
    glyph.add_uint32(pb::glyph_width, static_cast<uint32_t>(width));
    glyph.add_uint32(pb::glyph_height, static_cast<uint32_t>(height));
    glyph.add_sint32(pb::glyph_left, slot->bitmap_left);
    // MapLibre measures `top` from a line whose baseline sits an ascender below it.
    glyph.add_sint32(pb::glyph_top, slot->bitmap_top - impl_->ascender);
    glyph.add_uint32(pb::glyph_advance, static_cast<uint32_t>((slot->advance.x + 32) >> 6));
  }
  stack.commit();
  std::string bytes = std::move(out);  // the writers must not touch it after this
  return bytes;
}

std::shared_ptr<const GlyphRange> GlyphFont::range(uint32_t start, const LabelAlphabet* only) {
  if (start % 256 != 0 || start > 65280) throw_invalid("glyph ranges start at multiples of 256");
  size_t slot = start / 256;
  auto& cache = only ? impl_->subsets : impl_->cache;
  {
    std::lock_guard l(impl_->cache_lock);
    if (only && impl_->subsets_version != only->version) {
      impl_->subsets = {};
      impl_->subsets_version = only->version;
    }
    if (cache[slot]) return cache[slot];
  }
  auto r = std::make_shared<GlyphRange>();
  std::string raw = render(start, only);
  r->raw_size = raw.size();
  r->etag = tile_etag(raw);
  r->gzip = gzip(raw, 6);
  std::lock_guard l(impl_->cache_lock);
  if (only && impl_->subsets_version != only->version) return r;  // another alphabet came
  if (!cache[slot]) cache[slot] = std::move(r);
  return cache[slot];
}

}  // namespace gridmap::tiles
