// GET /basemap/{z}/{x}/{y}.{format} and /basemap.json: the optional local base map
// (serve --basemap FILE.mbtiles), tiles as stored in the file; gzip-compressed vector tiles
// pass through to clients that take gzip. ETag / If-None-Match, Cache-Control.
#include <algorithm>
#include <charconv>

#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/conditional.hpp"
#include "tiles/basemap.hpp"
#include "tiles/cache.hpp"
#include "tiles/gzip.hpp"

namespace gridmap::server {
namespace {

constexpr size_t kMaxTileBytes = size_t{64} << 20;

const tiles::Basemap& basemap_of(App& app) {
  if (!app.basemap())
    throw Error(ErrorKind::not_found, "this server has no base map (serve --basemap FILE.mbtiles or FILE.pmtiles)");
  return *app.basemap();
}

uint32_t number(const Request& req, const char* name) {
  const std::string& s = req.path_params.at(name);
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw_invalid(std::string("tile ") + name + " must be a whole number, not '" + s + "'");
  return v;
}

bool is_gzip(const std::string& b) {
  return b.size() >= 18 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

// The uncompressed size a gzip member records in its last four bytes (ISIZE).
size_t gzip_size(const std::string& b) {
  size_t n = 0;
  for (size_t i = 0; i < 4; ++i)
    n |= size_t{static_cast<unsigned char>(b[b.size() - 4 + i])} << (8 * i);
  return n;
}

Response tile(App& app, const Request& req, const Context&) {
  const tiles::Basemap& map = basemap_of(app);
  const tiles::BasemapInfo& info = map.info();
  uint32_t z = number(req, "z");
  tiles::TileId t{static_cast<int>(std::min<uint32_t>(z, 1000)), number(req, "x"),
                  number(req, "y")};
  if (z > 24 || !tiles::is_valid(t))
    throw_invalid("no tile " + req.path_params.at("z") + "/" + req.path_params.at("x") + "/" +
                  req.path_params.at("y") +
                  ": zoom runs from 0 to 24, x and y from 0 to 2^zoom - 1");
  if (req.path_params.at("format") != info.format)
    throw Error(ErrorKind::not_found, "the base map has ." + info.format + " tiles, not ." +
                                          req.path_params.at("format"));
  auto blob = map.tile(t);
  if (!blob)
    throw Error(ErrorKind::not_found, "the base map has no tile " + req.path_params.at("z") + "/" +
                                          req.path_params.at("x") + "/" + req.path_params.at("y"));
  Response r;
  r.content_type = info.content_type();
  std::string etag = tiles::tile_etag(*blob);
  r.headers.emplace_back("ETag", etag);
  // The file is opened read-only for the life of the process.
  r.headers.emplace_back("Cache-Control", "private, max-age=3600");
  bool compressed = !info.raster() && is_gzip(*blob);
  if (compressed) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(req, etag)) {
    r.status = 304;
    return r;
  }
  if (compressed && accepts_gzip(req)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::move(*blob);
  } else if (compressed) {
    size_t size = gzip_size(*blob);
    if (size > kMaxTileBytes)
      throw Error(ErrorKind::unavailable, "a base map tile is too large to unpack");
    r.body = tiles::gunzip(*blob, size);
  } else {
    r.body = std::move(*blob);
  }
  return r;
}

Response tilejson(App& app, const Request&, const Context&) {
  Response r = json_response(basemap_of(app).tilejson(base_url(app)));
  r.headers.emplace_back("Cache-Control", "private, max-age=60");
  return r;
}

}  // namespace

void register_basemap(Router& r) {
  r.add("GET", "/basemap/{z}/{x}/{y}.{format}", "basemap.tile", tile);
  r.add("GET", "/basemap.json", "basemap.tilejson", tilejson);
}

}  // namespace gridmap::server
