// GET /heatmap/{z}/{x}/{y}.png (and {y}@2x.png, 512 x 512) and
// GET /tiles/density/{z}/{x}/{y}.mvt: petition heat and density for planners, with the
// petitions tiles' filters. Who is not an admin or a dispatcher gets k-anonymous counts
// (bins below 5 petitions left out); workers are refused by the access table.
#include "server/app.hpp"
#include "server/handlers/tile_params.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {
namespace {

tiles::HeatRequest heat_request(App& app, const Request& req, const Context& ctx, bool image) {
  tiles::HeatRequest h;
  std::string y = req.path_params.at("y");
  if (image && y.size() > 3 && y.ends_with("@2x")) {
    y.resize(y.size() - 3);
    h.scale = 2;
  }
  h.tile = tile_param(req, y);
  h.filter = petition_filter(app, req);
  const std::string& role = principal(ctx).role;
  h.suppress_small = role != "admin" && role != "dispatcher";
  return h;
}

Response heat(App& app, const Request& req, const Context& ctx) {
  tiles::HeatRequest h = heat_request(app, req, ctx, true);
  return tile_response(req, *app.tiles().heat().heat(app.tile_db(), h), "image/png");
}

Response density(App& app, const Request& req, const Context& ctx) {
  tiles::HeatRequest h = heat_request(app, req, ctx, false);
  return tile_response(req, *app.tiles().heat().density(app.tile_db(), h),
                       "application/vnd.mapbox-vector-tile");
}

}  // namespace

void register_heat(Router& r) {
  r.add("GET", "/heatmap/{z}/{x}/{y}.png", "heatmap", heat);
  r.add("GET", "/tiles/density/{z}/{x}/{y}.mvt", "tiles.density", density);
}

}  // namespace gridmap::server
