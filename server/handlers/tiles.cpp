// GET /tiles/{layer}/{z}/{x}/{y}.mvt, /tiles/{layer}.json (TileJSON), /style.json, and the
// hotspots layer /tiles/hotspots/{z}/{x}/{y}.mvt, /tiles/hotspots.json.
// Parses the request into a tiles::TileRequest and answers from the tile service: gzip as
// stored when the client takes it, ETag / If-None-Match, Cache-Control.
#include <cctype>
#include <charconv>
#include <set>

#include "core/text.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/conditional.hpp"
#include "server/handlers/tile_params.hpp"
#include "tiles/basemap.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/service.hpp"
#include "tiles/tilejson.hpp"

namespace gridmap::server {
namespace {

uint32_t tile_number(const std::string& s, const char* name) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    throw_invalid(std::string("tile ") + name + " must be a whole number, not '" + s + "'");
  return v;
}

std::vector<std::string> list_param(const Request& req, const char* name) {
  std::vector<std::string> out;
  auto range = req.query.equal_range(name);
  for (auto it = range.first; it != range.second; ++it)
    for (std::string_view part : split(it->second, ','))
      if (!part.empty()) out.emplace_back(part);
  return out;
}

tiles::PetitionFilter filter_of(App& app, data::Layer layer, const Request& req) {
  if (layer == data::Layer::petitions) return petition_filter(app, req);
  for (const auto& [k, v] : req.query)
    throw_invalid("unknown parameter '" + k + "' (only petitions tiles take filters)");
  return {};
}

tiles::TileScope tile_scope(const Context& ctx) {
  tiles::TileScope s;
  const Principal& p = principal(ctx);
  if (!ctx.own_only()) return s;
  s.own_only = true;
  s.grids = p.grids;
  s.reporter = p.name;
  s.worker_id = p.worker_id;
  return s;
}

Response tile(App& app, data::Layer layer, const Request& req, const Context& ctx) {
  tiles::TileRequest t;
  t.layer = layer;
  t.tile = tile_param(req);
  t.filter = filter_of(app, layer, req);
  t.scope = tile_scope(ctx);
  t.now = App::now();
  return tile_response(req, *app.tiles().tile(app.tile_db(), t),
                       "application/vnd.mapbox-vector-tile");
}

// The grids with their Gi* class, for the same parameters as GET /api/v1/hotspots.
Response hotspot_tile(App& app, const Request& req, const Context&) {
  tiles::TileRequest t;
  t.layer = data::Layer::grids;
  t.tile = tile_param(req);
  t.now = App::now();
  data::HotspotQuery q = hotspot_query(app, req);
  return tile_response(req, *app.tiles().hotspot_tile(app.tile_db(), t, q),
                       "application/vnd.mapbox-vector-tile");
}

Response tilejson(App& app, data::Layer layer, const Request& req) {
  tiles::PetitionFilter f = filter_of(app, layer, req);
  Response r = json_response(
      tiles::tilejson(layer, tiles::data_bounds(app.read_db()), base_url(app), f.canonical()));
  r.headers.emplace_back("Cache-Control", "private, max-age=60");
  return r;
}

// The query is kept as given (`to` absent stays absent: the window follows the clock).
Response hotspots_tilejson(App& app, const Request& req, const Context&) {
  hotspot_query(app, req);  // refuses what the tiles would refuse
  std::string query;
  for (const char* k : {"from", "to", "category", "kind", "value"})
    if (auto v = req.param(k)) {
      // Appended piece by piece: GCC 12 at -O3 sees a false -Wrestrict in "" + string.
      if (!query.empty()) query.push_back('&');
      query.append(k).append("=").append(percent_encode(*v, ":"));  // times keep their colons
    }
  Response r = json_response(
      tiles::hotspots_tilejson(tiles::data_bounds(app.read_db()), base_url(app), query));
  r.headers.emplace_back("Cache-Control", "private, max-age=60");
  return r;
}

// The style shows the layers the caller's role may read.
Response style(App& app, const Request&, const Context& ctx) {
  std::vector<data::Layer> visible = drawn_layers(ctx);
  tiles::StyleExtras extras;
  if (app.font()) {
    extras.label_font = app.font()->family();
    extras.glyphs_version = app.label_alphabet()->version;
  }
  if (app.basemap()) extras.basemap = &app.basemap()->info();
  Response r = json_response(
      tiles::style_json(visible, tiles::data_bounds(app.read_db()), base_url(app), extras));
  r.headers.emplace_back("Cache-Control", "private, max-age=60");
  return r;
}

}  // namespace

// ---- shared with the heat map and hotspot routes (see handlers/tile_params.hpp) ----

std::vector<data::Layer> drawn_layers(const Context& ctx) {
  std::vector<data::Layer> out;
  for (data::Layer l : tiles::tile_layers())
    if (const AccessRule* rule = rule_for("tiles." + std::string(data::to_string(l))))
      if (scope_of(*rule, principal(ctx).role) != Scope::denied) out.push_back(l);
  return out;
}

tiles::PetitionFilter petition_filter(App& app, const Request& req) {
  static const std::set<std::string> params{"status", "category", "kind", "from", "to"};
  for (const auto& [k, v] : req.query)
    if (!params.count(k))
      throw_invalid("unknown parameter '" + k +
                    "' (petitions tiles and heat maps take status, category, kind, from, to)");
  tiles::PetitionFilter f;
  f.status = list_param(req, "status");
  f.category = list_param(req, "category");
  f.kind = list_param(req, "kind");
  f.from = time_param(req, "from");
  f.to = time_param(req, "to");
  tiles::validate(app.read_db(), f);
  return f;
}

tiles::TileId tile_param(const Request& req) {
  return tile_param(req, req.path_params.at("y"));
}

tiles::TileId tile_param(const Request& req, const std::string& y) {
  const std::string& zs = req.path_params.at("z");
  const std::string& xs = req.path_params.at("x");
  uint32_t z = tile_number(zs, "z");
  tiles::TileId t{static_cast<int>(std::min<uint32_t>(z, 1000)), tile_number(xs, "x"),
                  tile_number(y, "y")};
  if (z > tiles::kMaxTileZoom || !tiles::is_valid(t))
    throw_invalid("no tile " + zs + "/" + xs + "/" + y + ": zoom runs from 0 to " +
                  std::to_string(tiles::kMaxTileZoom) + ", x and y from 0 to 2^zoom - 1");
  return t;
}

Response tile_response(const Request& req, const tiles::CachedTile& tile,
                       std::string content_type) {
  Response r;
  r.content_type = std::move(content_type);
  r.headers.emplace_back("ETag", tile.etag);
  // Tiles depend on who asks and change with the data: always revalidate (a 304 is cheap).
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(req, tile.etag)) {
    r.status = 304;
    return r;
  }
  if (accepts_gzip(req)) {
    r.body = tile.gzip;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = tiles::gunzip(tile.gzip, tile.raw_size);
  }
  return r;
}

std::string base_url(const App& app) {
  std::string url = app.options().public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void register_tiles(Router& r) {
  // One route per layer, so that the access table says who may read which layer.
  for (data::Layer layer : tiles::tile_layers()) {
    std::string name(data::to_string(layer));
    r.add("GET", "/tiles/" + name + "/{z}/{x}/{y}.mvt", "tiles." + name,
          [layer](App& app, const Request& q, const Context& c) { return tile(app, layer, q, c); });
    r.add("GET", "/tiles/" + name + ".json", "tilejson." + name,
          [layer](App& app, const Request& q, const Context&) { return tilejson(app, layer, q); });
  }
  r.add("GET", "/tiles/hotspots/{z}/{x}/{y}.mvt", "tiles.hotspots", hotspot_tile);
  r.add("GET", "/tiles/hotspots.json", "tilejson.hotspots", hotspots_tilejson);
  r.add("GET", "/style.json", "style", style);
}

}  // namespace gridmap::server
