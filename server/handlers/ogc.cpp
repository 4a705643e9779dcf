// OGC API - Features under /ogc: Part 1 (Core, GeoJSON): the landing page, conformance,
// the collections (the six layers, each as the caller's role may read it: the same rules
// and the same patch as /api/v1/{layer}), their items with bbox, datetime (petitions'
// report time), limit and `next` links, and single items; Part 2 (CRS): `crs` and
// `bbox-crs` with CRS84, EPSG:4326, EPSG:4490 (CGCS2000), EPSG:3857 and GCJ-02/BD-09 under
// our own URNs; Part 3 (Filtering): `filter` in CQL2 text (basic comparisons, AND/OR/NOT)
// over the collection's queryables. A client that speaks the standard (GDAL's OAPIF driver,
// QGIS) reads the layers without knowing our API.
//
// Links are absolute when `serve --public-url` is set (as clients such as GDAL need for
// `next`), else relative to this server; never built from the request's Host header.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/text.hpp"
#include "data/area_service.hpp"
#include "data/features.hpp"
#include "data/roster.hpp"
#include "geo/crs.hpp"
#include "server/cql2.hpp"
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

// The CRSs items can be read in (Part 2), by URI. EPSG:4326 and EPSG:4490 put latitude
// first, as their definitions do; CRS84 and the others longitude (or x) first. GCJ-02 and
// BD-09 have no EPSG code: they are named by URNs of our own (README, "Coordinates").
struct OgcCrs {
  const char* uri;
  const char* name;  // for crs::parse
  bool lat_first;
};
constexpr OgcCrs kCrsList[] = {
    {kCrs84, "wgs84", false},
    {"http://www.opengis.net/def/crs/EPSG/0/4326", "wgs84", true},
    {"http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490", true},
    {"http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857", false},
    {"urn:gridmap:def:crs:GCJ-02", "gcj02", false},
    {"urn:gridmap:def:crs:BD-09", "bd09", false},
};

const OgcCrs& ogc_crs(const std::string& uri, const char* param) {
  for (const OgcCrs& c : kCrsList)
    if (uri == c.uri) return c;
  std::string known;
  for (const OgcCrs& c : kCrsList) known += (known.empty() ? "" : ", ") + std::string(c.uri);
  throw_invalid(std::string("'") + param + "' must be one of " + known + ", not '" + uri + "'");
}

// The `crs` an answer is in (CRS84 when absent).
const OgcCrs& answer_crs(const Request& req) {
  auto v = req.param("crs");
  return v ? ogc_crs(*v, "crs") : kCrsList[0];
}

// Rewrites a feature's geometry into `c` (nothing to do for CRS84).
void to_crs(data::Feature& f, const OgcCrs& c, crs::Transformer& t) {
  if (!f.geometry || (c.uri == kCrsList[0].uri)) return;
  bool projected = std::string_view(c.name).rfind("EPSG:3857", 0) == 0;
  f.geometry = reproject_geometry(*f.geometry, [&](LonLat p) { return t(p); }, c.lat_first,
                                  projected ? 3 : 7);
}

// `bbox` in `bbox-crs` (CRS84 when absent), as a WGS84 box: the corners (and edge midpoints,
// for a projected CRS) converted.
std::optional<Box> bbox_param(const Request& req) {
  auto v = req.param("bbox");
  if (!v) return std::nullopt;
  const OgcCrs& c = req.param("bbox-crs") ? ogc_crs(*req.param("bbox-crs"), "bbox-crs") : kCrsList[0];
  std::vector<double> n;
  for (std::string_view piece : split(*v, ',')) {
    std::string part(piece);
    char* end = nullptr;
    double d = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0' || !std::isfinite(d))
      throw_invalid("'bbox' must be four numbers (six with heights), not '" + *v + "'");
    n.push_back(d);
  }
  if (n.size() == 6) n = {n[0], n[1], n[3], n[4]};  // heights are not used
  if (n.size() != 4) throw_invalid("'bbox' must be four numbers (six with heights)");
  if (c.lat_first) n = {n[1], n[0], n[3], n[2]};
  if (n[0] > n[2] || n[1] > n[3]) throw_invalid("'bbox' minimum is greater than its maximum");
  crs::Transformer to_wgs84(crs::parse(c.name), crs::Crs{});
  Box b{INFINITY, INFINITY, -INFINITY, -INFINITY};
  for (double x : {n[0], (n[0] + n[2]) / 2, n[2]})
    for (double y : {n[1], (n[1] + n[3]) / 2, n[3]}) {
      LonLat p = to_wgs84({x, y});
      if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
        throw_invalid("'bbox' is outside what " + std::string(c.uri) + " can express");
      b.min_lon = std::min(b.min_lon, p.lon);
      b.min_lat = std::min(b.min_lat, p.lat);
      b.max_lon = std::max(b.max_lon, p.lon);
      b.max_lat = std::max(b.max_lat, p.lat);
    }
  b.min_lon = std::max(b.min_lon, -180.0);
  b.max_lon = std::min(b.max_lon, 180.0);
  b.min_lat = std::max(b.min_lat, -90.0);
  b.max_lat = std::min(b.max_lat, 90.0);
  return b;
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
  for (const OgcCrs& c : kCrsList) w.String(c.uri);
  w.EndArray();
  w.Key("storageCrs");
  w.String(kCrs84);
  w.Key("links");
  w.StartArray();
  link(w, here, "self", "application/json");
  link(w, here + "/items", "items", kGeoJson, title_of(layer));
  link(w, here + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
       "application/schema+json", "the properties a filter may name");
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
      "\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson\","
      "\"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs\","
      "\"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables\","
      "\"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters\","
      "\"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter\","
      "\"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter\","
      "\"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text\"]}");
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

Response queryables(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  std::string here = base(app) + "/collections/" + std::string(data::to_string(layer));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("$schema");
  w.String("https://json-schema.org/draft/2020-12/schema");
  w.Key("$id");
  write_string(w, here + "/queryables");
  w.Key("type");
  w.String("object");
  w.Key("title");
  write_string(w, title_of(layer));
  w.Key("properties");
  w.StartObject();
  for (const data::Queryable& q : data::queryables(layer)) {
    w.Key(q.name.c_str());
    w.StartObject();
    w.Key("type");
    w.String(q.type);
    if (q.time) {
      w.Key("format");
      w.String("date-time");
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("additionalProperties");
  w.Bool(false);
  w.EndObject();
  return ogc_json(buf.GetString(), "application/schema+json");
}

Response items(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  const OgcCrs& out = answer_crs(req);
  if (auto lang = req.param("filter-lang"); lang && *lang != "cql2-text")
    throw_invalid("'filter-lang' is cql2-text here, not '" + *lang + "'");
  if (auto fc = req.param("filter-crs"); fc && *fc != kCrs84)
    throw_invalid("'filter-crs' is CRS84 here (filters compare properties, not geometries)");
  // The layer reads the paging and its property filters; bbox, crs and the filter are read
  // here (in the CRSs of Part 2, which the layer does not know).
  Request rest = req;
  for (const char* k : {"bbox", "bbox-crs", "crs", "filter", "filter-lang", "filter-crs"})
    rest.query.erase(k);
  data::FeatureQuery q = layer_query(app, layer, rest, c, {"limit", "cursor", "datetime", "f"});
  q.bbox = bbox_param(req);
  if (auto filter = req.param("filter")) q.condition = parse_cql2_text(*filter);
  if (auto f = req.param("f"); f && *f != "json" && *f != "geojson")
    throw_invalid("'f' is json (GeoJSON) here, not '" + *f + "'");
  auto [from, to] = datetime_param(req);
  if (from || to) {
    if (layer != data::Layer::petitions)
      throw_invalid("'datetime' applies to petitions (their report time) only");
    q.created_from = from;
    if (to) q.created_to = *to + 1;  // the interval's end is in it; the query's bound is not
  }
  data::FeaturePage page = data::list_features(app.replica_db(ctx), q);
  crs::Transformer t(crs::Crs{}, crs::parse(out.name));
  for (data::Feature& f : page.features) to_crs(f, out, t);
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
  Response r = ogc_json(buf.GetString(), kGeoJson);
  r.headers.emplace_back("Content-Crs", "<" + std::string(out.uri) + ">");
  return r;
}

// One feature with its self and collection links and its version as ETag (read or edited).
Response feature_answer(App& app, data::Layer layer, const data::Feature& f, const std::string& id) {
  std::string here = base(app) + "/collections/" + std::string(data::to_string(layer));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_feature_members(w, f);
  w.Key("links");
  w.StartArray();
  link(w, here + "/items/" + percent_encode(id), "self", kGeoJson);
  link(w, here, "collection", "application/json");
  w.EndArray();
  w.EndObject();
  Response r = ogc_json(buf.GetString(), kGeoJson);
  r.headers.emplace_back("ETag", "\"v" + std::to_string(f.version) + "\"");
  return r;
}

Response item(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  const OgcCrs& out = answer_crs(req);
  const std::string& id = req.path_params.at("item");
  auto f = record_visible(app, layer, c, id)
               ? data::get_feature(app.read_db(), layer, id, App::now())
               : std::nullopt;
  if (!f)
    throw Error(ErrorKind::not_found,
                "no item '" + id + "' in " + std::string(data::to_string(layer)));
  crs::Transformer t(crs::Crs{}, crs::parse(out.name));
  to_crs(*f, out, t);
  Response r = feature_answer(app, layer, *f, id);
  r.headers.emplace_back("Content-Crs", "<" + std::string(out.uri) + ">");
  return r;
}

// ---- Part 4: create, replace, update, delete (boundaries and households) ----

bool editable(data::Layer l) { return data::is_area(l) || l == data::Layer::households; }

// A read-only collection: 405, with the methods it takes.
Response read_only(data::Layer layer) {
  Response r = problem(405, "method_not_allowed", "Method not allowed",
                       "the " + std::string(data::to_string(layer)) +
                           " collection is read-only here (boundaries and households are edited)");
  r.headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

// Boundaries are an admin's to edit; households an admin's, or a worker's in their patch
// (the route's own scope).
void check_editor(data::Layer layer, const Context& ctx) {
  if (data::is_area(layer) && principal(ctx).role != "admin")
    throw Error(ErrorKind::forbidden, "only an admin edits boundaries");
}

// The body's geometry in WGS84: Content-Crs names its CRS (Part 4 with Part 2), CRS84 when
// absent.
std::optional<std::string> body_geometry(const Request& req, const rapidjson::Value& d) {
  if (!d.IsObject() || !d.HasMember("geometry") || d["geometry"].IsNull()) return std::nullopt;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  d["geometry"].Accept(w);
  std::string g = buf.GetString();
  auto header = req.header("content-crs");
  if (!header) return g;
  std::string uri = *header;
  if (uri.size() >= 2 && uri.front() == '<' && uri.back() == '>') uri = uri.substr(1, uri.size() - 2);
  const OgcCrs& c = ogc_crs(uri, "Content-Crs");
  if (c.uri == kCrsList[0].uri) return g;
  if (c.lat_first) g = reproject_geometry(g, [](LonLat p) { return p; }, true, 15);
  crs::Transformer to_wgs84(crs::parse(c.name), crs::Crs{});
  return reproject_geometry(g, [&](LonLat p) { return to_wgs84(p); }, false, 9);
}

LonLat point_of(const std::string& geometry) {
  rapidjson::Document g = parse_json(geometry);
  if (!g.IsObject() || !g.HasMember("type") || !g["type"].IsString() ||
      std::string(g["type"].GetString()) != "Point" || !g.HasMember("coordinates") ||
      !g["coordinates"].IsArray() || g["coordinates"].Size() < 2 || !g["coordinates"][0].IsNumber() ||
      !g["coordinates"][1].IsNumber())
    throw_invalid("a household's geometry is a Point");
  LonLat p{g["coordinates"][0].GetDouble(), g["coordinates"][1].GetDouble()};
  if (!is_valid_wgs84(p)) throw_invalid("the household's point is out of range");
  return p;
}

Response edited_item(App& app, data::Layer layer, const std::string& id, int status) {
  auto f = data::get_feature(app.read_db(), layer, id, App::now());
  if (!f) throw_internal("an edited item is gone");
  Response r = feature_answer(app, layer, *f, id);
  r.status = status;
  if (status == 201)
    r.headers.emplace_back("Location", base(app) + "/collections/" + std::string(data::to_string(layer)) +
                                           "/items/" + percent_encode(id));
  return r;
}

// A change needs the version it was made against (optimistic locking): 428 without If-Match.
std::optional<int64_t> required_version(const Request& req) {
  if (!req.header("if-match"))
    throw Error(ErrorKind::precondition_required,
                "send If-Match with the item's ETag (read it first): changes are checked against "
                "the version they were made on");
  return if_match_version(req);
}

Response create_item(App& app, const Request& req, const Context& ctx) {
  auto [layer, c] = collection(req, ctx);
  if (!editable(layer)) return read_only(layer);
  check_editor(layer, ctx);
  rapidjson::Document d = parse_json(req.body);
  auto geometry = body_geometry(req, d);
  if (data::is_area(layer)) {
    data::AreaEdit e = area_edit(layer, d, true, "");
    e.geojson = geometry;
    app.write([&](data::Db& db) {
      data::AreaService(db, app.changes()).write(e);
      return 0;
    });
    return edited_item(app, layer, e.code, 201);
  }
  if (!geometry) throw_invalid("a household needs a Point geometry");
  data::Household h = stamped_household(app, point_of(*geometry));
  if (d.HasMember("properties") && d["properties"].IsObject())
    h.address = opt_string(d["properties"], "address").value_or("");
  if (!in_patch(c, h.grid_code)) throw Error(ErrorKind::forbidden, "the household is outside your grids");
  int64_t id = app.write([&](data::Db& db) { return data::add_household(db, app.changes(), h); });
  return edited_item(app, layer, std::to_string(id), 201);
}

// PUT replaces (every member given), PATCH changes what is given.
Response change_item(App& app, const Request& req, const Context& ctx, bool replace) {
  auto [layer, c] = collection(req, ctx);
  if (!editable(layer)) return read_only(layer);
  check_editor(layer, ctx);
  const std::string& id = req.path_params.at("item");
  if (!record_visible(app, layer, c, id))
    throw Error(ErrorKind::not_found, "no item '" + id + "' in " + std::string(data::to_string(layer)));
  std::optional<int64_t> version = required_version(req);
  rapidjson::Document d = parse_json(req.body);
  auto geometry = body_geometry(req, d);
  if (replace && !geometry) throw_invalid("a replacement (PUT) gives the geometry; PATCH changes part");
  if (data::is_area(layer)) {
    data::AreaEdit e = area_edit(layer, d, false, id);
    e.geojson = geometry;
    if (replace && (!e.name || (layer != data::Layer::subdistricts && !e.parent)))
      throw_invalid(std::string("a replacement (PUT) gives name") +
                    (layer != data::Layer::subdistricts ? " and the parent's code" : ""));
    e.expected_version = version;
    app.write([&](data::Db& db) {
      data::AreaService(db, app.changes()).write(e);
      return 0;
    });
    return edited_item(app, layer, id, 200);
  }
  data::HouseholdEdit e;
  e.id = std::stoll(id);
  e.expected_version = version;
  if (d.IsObject() && d.HasMember("properties") && d["properties"].IsObject())
    e.address = opt_string(d["properties"], "address");
  if (replace && !e.address) throw_invalid("a replacement (PUT) gives the address");
  if (geometry) {
    e.moved_to = stamped_household(app, point_of(*geometry));
    if (!in_patch(c, e.moved_to->grid_code))
      throw Error(ErrorKind::forbidden, "the household would move outside your grids");
  }
  app.write([&](data::Db& db) { return data::update_household(db, app.changes(), e); });
  return edited_item(app, layer, id, 200);
}

Response delete_item(App& app, const Request& req, const Context& ctx) {
  auto [found, c] = collection(req, ctx);
  data::Layer layer = found;  // (a lambda below takes it: not a structured binding)
  if (!editable(layer)) return read_only(layer);
  check_editor(layer, ctx);
  const std::string& id = req.path_params.at("item");
  if (!record_visible(app, layer, c, id))
    throw Error(ErrorKind::not_found, "no item '" + id + "' in " + std::string(data::to_string(layer)));
  std::optional<int64_t> version = required_version(req);
  app.write([&](data::Db& db) {
    if (data::is_area(layer))
      data::AreaService(db, app.changes()).remove(layer, id, version);
    else
      data::remove_household(db, app.changes(), std::stoll(id), version);
    return 0;
  });
  return no_content();
}

}  // namespace

void register_ogc(Router& r) {
  r.add("GET", "/ogc", "ogc.landing", landing);
  r.add("GET", "/ogc/conformance", "ogc.conformance", conformance);
  r.add("GET", "/ogc/collections", "ogc.collections", collections);
  r.add("GET", "/ogc/collections/{collection}", "ogc.collection", one_collection);
  r.add("GET", "/ogc/collections/{collection}/queryables", "ogc.queryables", queryables);
  r.add("GET", "/ogc/collections/{collection}/items", "ogc.items", items);
  r.add("GET", "/ogc/collections/{collection}/items/{item}", "ogc.item", item);
  r.add("POST", "/ogc/collections/{collection}/items", "ogc.create", create_item);
  r.add("PUT", "/ogc/collections/{collection}/items/{item}", "ogc.replace",
        [](App& app, const Request& req, const Context& ctx) { return change_item(app, req, ctx, true); });
  r.add("PATCH", "/ogc/collections/{collection}/items/{item}", "ogc.update",
        [](App& app, const Request& req, const Context& ctx) { return change_item(app, req, ctx, false); });
  r.add("DELETE", "/ogc/collections/{collection}/items/{item}", "ogc.delete", delete_item);
}

}  // namespace gridmap::server
