// GET /heatmap/{z}/{x}/{y}.png (and {y}@2x.png, 512 x 512) and
// GET /tiles/density/{z}/{x}/{y}.mvt: petition heat and density for planners, with the
// petitions tiles' filters. Who is not an admin or a dispatcher gets k-anonymous counts
// (bins below 5 petitions left out); workers are refused by the access table.
#include "server/app.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {
namespace {

tiles::HeatRequest heat_request(App& app, Request& req, bool image) {
  tiles::HeatRequest h;
  std::string& y = req.path_params.at("y");
  if (image && y.size() > 3 && y.ends_with("@2x")) {
    y.resize(y.size() - 3);
    h.scale = 2;
  }
  h.tile = tile_param(req);
  h.filter = petition_filter(app, req);
  const std::string& role = principal(req).role;
  h.suppress_small = role != "admin" && role != "dispatcher";
  return h;
}

Response heat(App& app, Request& req) {
  tiles::HeatRequest h = heat_request(app, req, true);
  return tile_response(req, *app.tiles().heat().heat(app.read_db(), h), "image/png");
}

Response density(App& app, Request& req) {
  tiles::HeatRequest h = heat_request(app, req, false);
  return tile_response(req, *app.tiles().heat().density(app.read_db(), h),
                       "application/vnd.mapbox-vector-tile");
}

}  // namespace

void register_heat(Router& r, App& app) {
  r.add("GET", "/heatmap/{z}/{x}/{y}.png", "heatmap", [&app](Request& q) { return heat(app, q); });
  r.add("GET", "/tiles/density/{z}/{x}/{y}.mvt", "tiles.density",
        [&app](Request& q) { return density(app, q); });
}

}  // namespace gridmap::server
