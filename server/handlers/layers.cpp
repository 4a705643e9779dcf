// GET /api/v1/{layer}[/{id}] for every layer; POST/PATCH for areas, workers, households.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

#include "data/area_service.hpp"
#include "data/features.hpp"
#include "data/roster.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/feature_json.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

const data::Layer kLayers[] = {data::Layer::subdistricts, data::Layer::communities,
                               data::Layer::grids,        data::Layer::workers,
                               data::Layer::households,   data::Layer::petitions};

std::string etag(int64_t version) {
  return "\"v" + std::to_string(version) + "\"";
}

Box bbox_param(const Request& req) {
  std::string s = *req.param("bbox");
  double v[4];
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    size_t end = s.find(',', pos);
    if ((i < 3) != (end != std::string::npos))
      throw_invalid("'bbox' must be min_lon,min_lat,max_lon,max_lat");
    std::string part = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v[i]);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty() || !std::isfinite(v[i]))
      throw_invalid("'bbox' must be four numbers: min_lon,min_lat,max_lon,max_lat");
    pos = end + 1;
  }
  LonLat lo = to_wgs84(req, {v[0], v[1]}), hi = to_wgs84(req, {v[2], v[3]});
  if (lo.lon > hi.lon || lo.lat > hi.lat)
    throw_invalid("'bbox' minimum is greater than its maximum");
  return {lo.lon, lo.lat, hi.lon, hi.lat};
}

}  // namespace

void apply_reach(const Context& ctx, data::FeatureQuery& q) {
  const Principal& p = principal(ctx);
  if (!ctx.own_only()) return;
  q.grid_scope = p.grids;
  q.reporter = p.name;
  q.handler_worker = p.worker_id.value_or(-1);
  q.department = p.department_id.value_or(-1);
}

data::FeatureQuery layer_query(App& app, data::Layer layer, const Request& req, const Context& ctx,
                               std::initializer_list<std::string_view> reserved) {
  data::FeatureQuery q;
  q.layer = layer;
  q.now = App::now();
  if (req.param("bbox")) q.bbox = bbox_param(req);
  q.limit = 100;
  if (auto l = req.param("limit")) {
    long n = 0;
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || p != l->data() + l->size() || n < 1 ||
        static_cast<size_t>(n) > app.options().max_page)
      throw_invalid("'limit' must be an integer from 1 to " +
                    std::to_string(app.options().max_page));
    q.limit = static_cast<size_t>(n);
  }
  q.cursor = req.param("cursor");
  apply_reach(ctx, q);
  for (auto& [k, v] : req.query)
    if (std::find(reserved.begin(), reserved.end(), k) == reserved.end())
      q.filters.emplace_back(k, v);
  return q;
}

namespace {

Response list(App& app, data::Layer layer, const Request& req, const Context& ctx) {
  data::FeatureQuery q =
      layer_query(app, layer, req, ctx, {"bbox", "limit", "cursor", "crs", "from", "to", "mine"});
  if (layer == data::Layer::petitions) {
    q.created_from = time_param(req, "from");
    q.created_to = time_param(req, "to");
    if (auto mine = req.param("mine")) {
      if (*mine != "0" && *mine != "1") throw_invalid("'mine' is 1 (my own cases) or 0");
      if (*mine == "1") {
        const Principal& p = principal(ctx);
        q.mine = data::FeatureQuery::Mine{p.name, p.worker_id};
      }
    }
  } else if (req.param("mine")) {
    throw_invalid("'mine' applies to petitions only");
  }
  if (req.param("crs") && *req.param("crs") != "wgs84")
    throw_invalid("features are served in WGS84; 'crs' applies to the bbox only when it is wgs84");
  return geojson_response(page_json(data::list_features(app.replica_db(ctx), q)));
}

// Whether an own-patch caller may see this record (outside it, it does not exist for them).
bool visible(App& app, data::Layer layer, const Context& ctx, const std::string& key) {
  const Principal& p = principal(ctx);
  if (!ctx.own_only()) return true;
  return data::within_reach(app.read_db(), layer, key,
                            {p.grids, p.name, p.worker_id, p.department_id});
}

Response item(App& app, data::Layer layer, const Request& req, const Context& ctx) {
  auto f = visible(app, layer, ctx, req.path_params.at("id"))
               ? data::get_feature(app.read_db(), layer, req.path_params.at("id"), App::now())
               : std::nullopt;
  if (!f)
    throw Error(ErrorKind::not_found, "no " + std::string(data::to_string(layer)) + " '" +
                                          req.path_params.at("id") + "'");
  std::string tag = etag(f->version);
  if (auto inm = req.header("if-none-match"); inm && *inm == tag) {
    Response r;
    r.status = 304;
    r.headers.emplace_back("ETag", tag);
    return r;
  }
  Response r = geojson_response(feature_json(*f));
  r.headers.emplace_back("ETag", tag);
  return r;
}

const char* parent_key(data::Layer l) {
  return l == data::Layer::communities ? "subdistrict_code" : "community_code";
}

}  // namespace

data::AreaEdit area_edit(data::Layer layer, const rapidjson::Value& d, bool create,
                         const std::string& path_code) {
  if (!d.IsObject() || !d.HasMember("properties") || !d["properties"].IsObject())
    throw_invalid("expected a GeoJSON Feature with properties");
  const auto& props = d["properties"];
  data::AreaEdit e;
  e.layer = layer;
  e.create = create;
  e.code = create ? need_string(props, "code") : path_code;
  if (!create)
    if (auto code = opt_string(props, "code"); code && *code != path_code)
      throw_invalid("the body's code '" + *code + "' is not the code in the path");
  e.name = opt_string(props, "name");
  if (layer != data::Layer::subdistricts) e.parent = opt_string(props, parent_key(layer));
  if (d.HasMember("geometry") && !d["geometry"].IsNull()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["geometry"].Accept(w);
    e.geojson = buf.GetString();
  }
  return e;
}

data::Household stamped_household(App& app, LonLat p) {
  data::Household h;
  h.position = p;
  if (const data::GridLineage* gl = app.locator()->locator.locate(p)) {
    h.grid_code = gl->grid_code.value;
    h.community_code = gl->community_code;
    h.subdistrict_code = gl->subdistrict_code;
  }
  return h;
}

namespace {

// POST creates (409 when the code exists), PATCH updates (404 when it does not).
Response write_area(App& app, data::Layer layer, const Request& req, bool create) {
  rapidjson::Document d = parse_json(req.body);
  data::AreaEdit e = area_edit(layer, d, create, create ? "" : req.path_params.at("id"));
  if (!create) e.expected_version = if_match_version(req);
  app.write([&](data::Db& db) {
    data::AreaService(db, app.changes()).write(e);
    return 0;
  });
  auto f = data::get_feature(app.read_db(), layer, e.code, App::now());
  Response r = geojson_response(feature_json(*f), create ? 201 : 200);
  r.headers.emplace_back("ETag", etag(f->version));
  return r;
}

Response patch_worker(App& app, const Request& req, const Context&) {
  rapidjson::Document d = parse_json(req.body);
  const rapidjson::Value& props = d.IsObject() && d.HasMember("properties") ? d["properties"] : d;
  const std::string& key = req.path_params.at("id");
  data::WorkerEdit e;
  auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), e.id);
  if (ec != std::errc() || p != key.data() + key.size())
    throw Error(ErrorKind::not_found, "no worker '" + key + "'");
  e.name = opt_string(props, "name");
  e.on_duty = opt_bool(props, "on_duty");
  if (props.IsObject() && props.HasMember("grids")) {
    if (!props["grids"].IsArray()) throw_invalid("'grids' must be an array of grid codes");
    e.grids.emplace();
    for (auto& g : props["grids"].GetArray()) {
      if (!g.IsString()) throw_invalid("'grids' must be an array of grid codes");
      e.grids->push_back(g.GetString());
    }
  }
  e.expected_version = if_match_version(req);
  app.write([&](data::Db& db) { return data::update_worker(db, app.changes(), e); });
  auto f = data::get_feature(app.read_db(), data::Layer::workers, key, App::now());
  Response r = geojson_response(feature_json(*f));
  r.headers.emplace_back("ETag", etag(f->version));
  return r;
}

Response post_household(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject() || !d.HasMember("geometry") || !d["geometry"].IsObject())
    throw_invalid("expected a GeoJSON Feature with a Point geometry");
  const auto& g = d["geometry"];
  if (!g.HasMember("coordinates") || !g["coordinates"].IsArray() || g["coordinates"].Size() != 2 ||
      !g["coordinates"][0].IsNumber() || !g["coordinates"][1].IsNumber())
    throw_invalid("the household's geometry must be a Point [lon, lat]");
  LonLat p = to_wgs84(req, {g["coordinates"][0].GetDouble(), g["coordinates"][1].GetDouble()});
  data::Household h = stamped_household(app, p);
  if (d.HasMember("properties") && d["properties"].IsObject())
    h.address = opt_string(d["properties"], "address").value_or("");
  if (!in_patch(ctx, h.grid_code))
    throw Error(ErrorKind::forbidden, "the household is outside your grids");
  int64_t id = app.write([&](data::Db& db) { return data::add_household(db, app.changes(), h); });
  auto f =
      data::get_feature(app.read_db(), data::Layer::households, std::to_string(id), App::now());
  Response r = geojson_response(feature_json(*f), 201);
  r.headers.emplace_back("ETag", etag(f->version));
  r.headers.emplace_back("Location", "/api/v1/households/" + std::to_string(id));
  return r;
}

}  // namespace

bool record_visible(App& app, data::Layer layer, const Context& ctx, const std::string& key) {
  return visible(app, layer, ctx, key);
}

void register_layers(Router& r) {
  for (data::Layer layer : kLayers) {
    std::string name(data::to_string(layer));
    std::string base = "/api/v1/" + name;
    r.add("GET", base, name + ".list",
          [layer](App& app, const Request& q, const Context& c) { return list(app, layer, q, c); });
    r.add("GET", base + "/{id}", name + ".item",
          [layer](App& app, const Request& q, const Context& c) { return item(app, layer, q, c); });
    if (data::is_area(layer)) {
      r.add("POST", base, name + ".create", [layer](App& app, const Request& q, const Context&) {
        return write_area(app, layer, q, true);
      });
      r.add("PATCH", base + "/{id}", name + ".update",
            [layer](App& app, const Request& q, const Context&) {
              return write_area(app, layer, q, false);
            });
    }
  }
  r.add("PATCH", "/api/v1/workers/{id}", "workers.update", patch_worker);
  r.add("POST", "/api/v1/households", "households.create", post_household);
}

}  // namespace gridmap::server
