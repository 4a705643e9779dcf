// A small reader of MapLibre glyph ranges (protobuf `glyphs`), with protozero.
#pragma once

#include <protozero/pbf_reader.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::test {

struct DecodedGlyph {
  uint32_t id = 0, width = 0, height = 0, advance = 0;
  int32_t left = 0, top = 0;
  std::string bitmap;
  int at(int x, int y) const {  // a pixel of the padded field
    return static_cast<unsigned char>(bitmap.at(static_cast<size_t>(y) * (width + 6) + x));
  }
};

struct DecodedStack {
  std::string name, range;
  std::vector<DecodedGlyph> glyphs;
  const DecodedGlyph* find(uint32_t id) const {
    for (const auto& g : glyphs)
      if (g.id == id) return &g;
    return nullptr;
  }
};

inline std::vector<DecodedStack> decode_glyphs(std::string_view bytes) {
  std::vector<DecodedStack> out;
  protozero::pbf_reader message(bytes.data(), bytes.size());
  while (message.next(1)) {
    DecodedStack s;
    protozero::pbf_reader stack = message.get_message();
    while (stack.next()) {
      switch (stack.tag()) {
        case 1:
          s.name = stack.get_string();
          break;
        case 2:
          s.range = stack.get_string();
          break;
        case 3: {
          DecodedGlyph g;
          protozero::pbf_reader glyph = stack.get_message();
          while (glyph.next()) {
            switch (glyph.tag()) {
              case 1:
                g.id = glyph.get_uint32();
                break;
              case 2:
                g.bitmap = glyph.get_bytes();
                break;
              case 3:
                g.width = glyph.get_uint32();
                break;
              case 4:
                g.height = glyph.get_uint32();
                break;
              case 5:
                g.left = glyph.get_sint32();
                break;
              case 6:
                g.top = glyph.get_sint32();
                break;
              case 7:
                g.advance = glyph.get_uint32();
                break;
              default:
                glyph.skip();
            }
          }
          s.glyphs.push_back(std::move(g));
          break;
        }
        default:
          stack.skip();
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gridmap::test
