// Parameters and answers shared by the tile, heat map and hotspot handlers (defined in
// handlers/tiles.cpp and handlers/stats.cpp).
#pragma once

#include <string>
#include <vector>

#include "server/http/message.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {

class App;
struct Context;

// The petition filters of the query (status, category, kind, from, to; anything else is
// refused), validated.
tiles::PetitionFilter petition_filter(App& app, const Request& req);
// The {z}/{x}/{y} of the path; the second form with `y` in place of the path's.
tiles::TileId tile_param(const Request& req);
tiles::TileId tile_param(const Request& req, const std::string& y);
// A cached tile as the answer, with ETag / If-None-Match, Cache-Control and gzip when the
// client takes it.
Response tile_response(const Request& req, const tiles::CachedTile& tile, std::string content_type);
// The tile layers the caller's role may read, in drawing order: what its style draws.
std::vector<data::Layer> drawn_layers(const Context& ctx);
// from, to, category, kind, value of the hotspots route and tiles; throws invalid_input.
data::HotspotQuery hotspot_query(App& app, const Request& req);

}  // namespace gridmap::server
