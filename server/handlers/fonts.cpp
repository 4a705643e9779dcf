// GET /fonts/{fontstack}/{start}-{end}.pbf: label glyphs for the web map's style (MapLibre
// glyphs protocol), rendered by tiles::GlyphFont and kept in memory; gzip when the client
// takes it, ETag / If-None-Match, long Cache-Control. A range holds the glyphs of the
// characters the areas' names use (tiles::LabelAlphabet); the style's URL carries that
// alphabet's version, so a renamed area's new characters come under a new URL.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/conditional.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/gzip.hpp"

namespace gridmap::server {
namespace {

Response glyphs(App& app, const Request& req, const Context&) {
  uint32_t start = tiles::parse_glyph_range(req.path_params.at("range"));
  tiles::GlyphFont* font = app.font();
  if (!font) throw Error(ErrorKind::not_found, "this server draws no labels (serve --font FILE)");
  const std::string& stack = req.path_params.at("fontstack");
  if (!font->serves(stack))
    throw Error(ErrorKind::not_found,
                "no font stack '" + stack + "' here; this server has '" + font->family() + "'");
  // The characters of the areas' names only: a few kB where the whole range is some 100 kB.
  // (`v`, the alphabet's version in the style's URL, makes a new one a new URL for caches.)
  auto alphabet = app.label_alphabet();
  auto range = font->range(start, alphabet.get());
  Response r;
  r.content_type = "application/x-protobuf";
  r.headers.emplace_back("ETag", range->etag);
  r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(req, range->etag)) {
    r.status = 304;
    return r;
  }
  if (accepts_gzip(req)) {
    r.body = range->gzip;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = tiles::gunzip(range->gzip, range->raw_size);
  }
  return r;
}

}  // namespace

void register_fonts(Router& r) {
  r.add("GET", "/fonts/{fontstack}/{range}.pbf", "fonts", glyphs);
}

}  // namespace gridmap::server
