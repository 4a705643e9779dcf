// GET /api/v1/locate, POST /api/v1/locate (batch)

#include "geo/error.hpp"
#include "geo/geojson.hpp"
#include "server/app.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

void write_area(JsonWriter& w, const char* key, const std::optional<std::string>& code,
                const data::PlaceNames::Names& names) {
  w.Key(key);
  if (!code) return (void)w.Null();
  w.StartObject();
  w.Key("code");
  write_string(w, *code);
  w.Key("name");
  write_string(w, data::PlaceNames::of(names, *code));
  w.EndObject();
}

Response locate_one(App& app, const Request& req, const Context&) {
  LonLat p = lonlat_param(req);
  auto st = app.locator();
  data::Location loc = st->locator.locate_detail(p);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("grid");
  if (loc.grid) {
    w.StartObject();
    w.Key("code");
    write_string(w, loc.grid->grid_code.value);
    w.Key("name");
    write_string(w, data::PlaceNames::of(st->names.grids, loc.grid->grid_code.value));
    w.EndObject();
  } else {
    w.Null();
  }
  write_area(w, "community", loc.grid ? loc.grid->community_code : std::nullopt,
             st->names.communities);
  write_area(w, "subdistrict", loc.grid ? loc.grid->subdistrict_code : std::nullopt,
             st->names.subdistricts);
  w.Key("workers");
  w.StartArray();
  if (loc.grid)
    if (auto it = st->names.workers_by_grid.find(loc.grid->grid_code.value);
        it != st->names.workers_by_grid.end())
      for (auto& [id, name] : it->second) {
        w.StartObject();
        w.Key("id");
        w.Int64(id);
        w.Key("name");
        write_string(w, name);
        w.EndObject();
      }
  w.EndArray();
  w.Key("on_edge");
  w.Bool(loc.on_edge);
  w.Key("other_grids");
  w.StartArray();
  for (auto* n : loc.neighbours) write_string(w, n->grid_code.value);
  w.EndArray();
  w.Key("distance_to_edge_m");
  if (loc.grid)
    write_number(w, loc.distance_to_edge_m, 2);
  else
    w.Null();
  w.Key("nearest_grid");
  if (loc.nearest) {
    w.StartObject();
    w.Key("code");
    write_string(w, loc.nearest->grid_code.value);
    w.Key("distance_m");
    write_number(w, loc.nearest_distance_m, 2);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return json_response(buf.GetString());
}

Response locate_batch(App& app, const Request& req, const Context&) {
  std::vector<LonLat> pts = points_body(app, req);
  size_t n = pts.size();
  auto st = app.locator();
  std::vector<uint32_t> grid(n);
  st->locator.index().locate_many(pts.data(), n, grid.data());  // in its memory's order
  std::string out;
  out.reserve(n * 18 + 2);
  out += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    if (grid[i] == GridIndex::kNone)
      out += "null";
    else
      append_json_string(out, st->locator.grids()[grid[i]].grid_code.value);
  }
  out += ']';
  return json_response(std::move(out));
}

}  // namespace

void register_locate(Router& r) {
  r.add("GET", "/api/v1/locate", "locate", locate_one);
  r.add("POST", "/api/v1/locate", "locate.batch", locate_batch);
}

}  // namespace gridmap::server
