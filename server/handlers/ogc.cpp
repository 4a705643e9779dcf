// OGC API - Features, Part 1 (Core, GeoJSON) under /ogc: the landing page, conformance,
// the collections (the six layers, each as the caller's role may read it: the same rules
// and the same patch as /api/v1/{layer}), their items with bbox, datetime (petitions'
// report time), limit and `next` links, and single items. A client that speaks the
// standard (GDAL's OAPIF driver, QGIS) reads the layers without knowing our API.
//
// Links are absolute when `serve --public-url` is set (as clients such as GDAL need for
// `next`), else relative to this server; never built from the request's Host header.
#include <set>

#include "data/features.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/feature_json.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

constexpr const char* kGeoJson = "application/geo+json";
constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

const data::Layer kCollections[] = {data::Layer::subdistricts, data::Layer::communities,
                                    data::Layer::grids,        data::Layer::workers,
                                    data::Layer::households,   data::Layer::petitions};

const char* title_of(data::Layer l) {
  switch (l) {
    case data::Layer::subdistricts:
      return "街道 Subdistricts";
    case data::Layer::communities:
      return "社区 Communities";
    case data::Layer::grids:
      return "网格 Grids";
    case data::Layer::workers:
      return "网格员 Grid workers";
    case data::Layer::households:
      return "住户 Households";
    case data::Layer::petitions:
      return "诉求与事件 Petitions";
  }
  return "";
}

std::string base(App& app) {
  return app.options().public_url + "/ogc";
}

void link(JsonWriter& w, const std::string& href, const char* rel, const char* type,
          const char* title = nullptr) {
  w.StartObject();
  w.Key("href");
  write_string(w, href);
  w.Key("rel");
  w.String(rel);
  w.Key("type");
  w.String(type);
  if (title) {
    w.Key("title");
    write_string(w, title);
  }
  w.EndObject();
}

// The caller's view of a collection: its scope under the layer's own list rule.
std::optional<Context> collection_context(data::Layer layer, const Context& ctx) {
  const AccessRule* rule = rule_for(std::string(data::to_string(layer)) + ".list");
  if (!rule) return std::nullopt;
  Context c = ctx;
  c.scope = scope_of(*rule, principal(ctx).role);
  if (c.scope == Scope::denied) return std::nullopt;
  return c;
}

// The collection named in the path, as the caller may read it; 404 otherwise (a collection
// a role may not read does not exist for it).
std::pair<data::Layer, Context> collection(const Request& req, const Context& ctx) {
  const std::string& id = req.path_params.at("collection");
  auto layer = data::parse_layer(id);
  std::optional<Context> c = layer ? collection_context(*layer, ctx) : std::nullopt;
  if (!c) throw Error(ErrorKind::not_found, "no collection '" + id + "'");
  return {*layer, *c};
}

void write_collection(JsonWriter& w, App& app, data::Layer layer) {
  std::string id(data::to_string(layer));
  std::string here = base(app) + "/collections/" + id;
  w.StartObject();
  w.Key("id");
  write_string(w, id);
  w.Key("title");
  write_string(w, title_of(layer));
  w.Key("itemType");
  w.String("feature");
  w.Key("crs");
  w.StartArray();
  w.String(kCrs84);
  w.EndArray();
  w.Key("links");
  w.StartArray();
  link(w, here, "self", "application/json");
  link(w, here + "/items", "items", kGeoJson, title_of(layer));
  w.EndArray();
  w.EndObject();
}

Response ogc_json(std::string body, const char* type = "application/json") {
  Response r = json_response(std::move(body));
  r.content_type = type;
  return r;
}

// `datetime`: an instant or an interval "start/end" with ".." or "" for an open end.
std::pair<std::optional<int64_t>, std::optional<int64_t>> datetime_param(const Request& req) {
  auto v = req.param("datetime");
  if (!v) return {};
  auto one = [&](const std::string& s) -> std::optional<int64_t> {
    if (s.empty() || s == "..") return std::nullopt;
    auto t = data::parse_time(s);
    if (!t)
      throw_invalid(
          "'datetime' must be an RFC 3339 time or an interval start/end (.. for an open end), not "
          "'" +
          *v + "'");
    return t;
  };
  size_t slash = v->find('/');
  if (slash == std::string::npos) {
    auto t = one(*v);
    if (!t) throw_invalid("'datetime' must name a time");
    return {t, t};
  }
  auto from = one(v->substr(0, slash)), to = one(v->substr(slash + 1));
  if (from && to && *from > *to) throw_invalid("'datetime' starts after it ends");
  return {from, to};
}

Response landing(App& app, const Request&, const Context&) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("title");
  w.String("gridmap: 网格化社会管理 (OGC API - Features)");
  w.Key("description");
  w.String("Subdistricts, communities and grids, grid workers, households and petitions.");
  w.Key("links");
  w.StartArray();
  link(w, base(app), "self", "application/json", "this document");
  link(w, base(app) + "/conformance", "conformance", "application/json", "conformance classes");
  link(w, base(app) + "/collections", "data", "application/json", "the collections");
  w.EndArray();
  w.EndObject();
  return ogc_json(buf.GetString());
}

Response conformance(App&, const Request&, const Context&) {
  return ogc_json(
      "{\"conformsTo\":[\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core\","
      "\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson\"]}");
}

Response collections(App& app, const Request&, const Context& ctx) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("links");
  w.StartArray();
  link(w, base(app) + "/collections", "self", "application/json");
  w.EndArray();
  w.Key("collections");
  w.StartArray();
  for (data::Layer layer : kCollections)
    if (collection_context(layer, ctx)) write_collection(w, app, layer);
  w.EndArray();
  w.EndObject();
  return ogc_json(buf.GetString());
}

Response one_collection(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_collection(w, app, layer);
  return ogc_json(buf.GetString());
}

Response items(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  if (auto crs = req.param("crs"); crs && *crs != kCrs84)
    throw_invalid("items are served in CRS84 only (crs=" + std::string(kCrs84) + ")");
  if (auto crs = req.param("bbox-crs"); crs && *crs != kCrs84)
    throw_invalid("bbox is read in CRS84 only (bbox-crs=" + std::string(kCrs84) + ")");
  data::FeatureQuery q = layer_query(
      app, layer, req, c, {"bbox", "limit", "cursor", "datetime", "crs", "bbox-crs", "f"});
  if (auto f = req.param("f"); f && *f != "json" && *f != "geojson")
    throw_invalid("'f' is json (GeoJSON) here, not '" + *f + "'");
  auto [from, to] = datetime_param(req);
  if (from || to) {
    if (layer != data::Layer::petitions)
      throw_invalid("'datetime' applies to petitions (their report time) only");
    q.created_from = from;
    if (to) q.created_to = *to + 1;  // the interval's end is in it; the query's bound is not
  }
  data::FeaturePage page = data::list_features(app.read_db(), q);
  // The query this page answered, for the self and next links.
  std::string query;
  for (const auto& [k, v] : req.query)
    if (k != "cursor")
      query += (query.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  std::string here = base(app) + "/collections/" + std::string(data::to_string(layer)) + "/items";
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_collection_members(w, page);
  w.Key("numberReturned");
  w.Uint64(page.features.size());
  w.Key("timeStamp");
  write_string(w, data::format_time(App::now()));
  w.Key("links");
  w.StartArray();
  std::string self = here + (query.empty() ? "" : "?" + query);
  if (auto cursor = req.param("cursor"))
    self += std::string(query.empty() ? "?" : "&") + "cursor=" + percent_encode(*cursor);
  link(w, self, "self", kGeoJson);
  if (page.next)
    link(w,
         here + "?" + query + (query.empty() ? "" : "&") + "cursor=" + percent_encode(*page.next),
         "next", kGeoJson, "the next page");
  link(w, base(app) + "/collections/" + std::string(data::to_string(layer)), "collection",
       "application/json");
  w.EndArray();
  w.EndObject();
  return ogc_json(buf.GetString(), kGeoJson);
}

Response item(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  const std::string& id = req.path_params.at("item");
  auto f = record_visible(app, layer, c, id)
               ? data::get_feature(app.read_db(), layer, id, App::now())
               : std::nullopt;
  if (!f)
    throw Error(ErrorKind::not_found,
                "no item '" + id + "' in " + std::string(data::to_string(layer)));
  std::string here = base(app) + "/collections/" + std::string(data::to_string(layer));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_feature_members(w, *f);
  w.Key("links");
  w.StartArray();
  link(w, here + "/items/" + percent_encode(id), "self", kGeoJson);
  link(w, here, "collection", "application/json");
  w.EndArray();
  w.EndObject();
  Response r = ogc_json(buf.GetString(), kGeoJson);
  r.headers.emplace_back("ETag", "\"v" + std::to_string(f->version) + "\"");
  return r;
}

}  // namespace

void register_ogc(Router& r) {
  r.add("GET", "/ogc", "ogc.landing", landing);
  r.add("GET", "/ogc/conformance", "ogc.conformance", conformance);
  r.add("GET", "/ogc/collections", "ogc.collections", collections);
  r.add("GET", "/ogc/collections/{collection}", "ogc.collection", one_collection);
  r.add("GET", "/ogc/collections/{collection}/items", "ogc.items", items);
  r.add("GET", "/ogc/collections/{collection}/items/{item}", "ogc.item", item);
}

}  // namespace gridmap::server
