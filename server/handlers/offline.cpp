// A grid worker's offline package: what the phone app needs in the street without a network.
//   GET /api/v1/workers/{id}/offline          the worker, their grids, the households there,
//                                             their open cases, the tiles' and glyphs' URLs
//   GET /api/v1/workers/{id}/offline.pmtiles  every tile over their grids from z12 to z18, each
//                                             one MVT with every layer the style draws, as the
//                                             worker sees it (PMTiles v3)
// Both as that worker sees things (their patch, their cases), for the worker or an admin.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "data/features.hpp"
#include "data/scratch_dir.hpp"
#include "data/time.hpp"
#include "data/workers.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/feature_json.hpp"
#include "server/handlers/tile_params.hpp"
#include "server/json.hpp"
#include "tiles/cache.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/gzip.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {
namespace {

constexpr int kMinZoom = 12, kMaxZoom = 18;
constexpr size_t kMostTiles = 4096;      // a patch of a few grids needs a few hundred
constexpr size_t kMostFeatures = 20000;  // households or cases in one package
const char* const kOpenStatuses =
    "reported,registered,dispatched,in_progress,pending_review,verified,suspended";

struct Patch {
  int64_t worker_id = 0;
  std::string name;
  std::vector<std::string> grids;
  std::string reporter;  // the caller's name when the caller is the worker ("" for an admin)
  Box bounds;
};

// The worker asked for, as the caller may see them: a worker only themself.
Patch patch_of(data::Db& db, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "worker");
  require_self(ctx, id);
  auto w = data::WorkerRepo(db).get(id);
  if (!w) throw Error(ErrorKind::not_found, "no worker " + std::to_string(id));
  if (w->grids.empty())
    throw Error(ErrorKind::conflict,
                "worker " + std::to_string(id) + " has no grid: there is nothing to take offline");
  Patch p{id, w->name, w->grids, "", {}};
  const Principal& me = principal(ctx);
  if (me.worker_id == id) p.reporter = me.name;
  bool first = true;
  for (const auto& g : w->grids) {
    auto b = data::extent_of(db, data::Layer::grids, g);
    if (!b) continue;
    if (first) {
      p.bounds = *b;
      first = false;
    } else {
      p.bounds = {std::min(p.bounds.min_lon, b->min_lon), std::min(p.bounds.min_lat, b->min_lat),
                  std::max(p.bounds.max_lon, b->max_lon), std::max(p.bounds.max_lat, b->max_lat)};
    }
  }
  if (first) throw Error(ErrorKind::conflict, "the worker's grids have no boundary yet");
  return p;
}

// Every page of a layer's list as the worker sees it.
data::FeaturePage everything(data::Db& db, data::FeatureQuery q) {
  q.limit = kMostFeatures;
  data::FeaturePage page = data::list_features(db, q);
  if (page.next)
    throw Error(ErrorKind::too_large, "more than " + std::to_string(kMostFeatures) + " " +
                                          std::string(data::to_string(q.layer)) +
                                          " in the patch: too many to take offline");
  return page;
}

data::FeatureQuery scoped(const Patch& p, data::Layer layer) {
  data::FeatureQuery q;
  q.layer = layer;
  q.now = App::now();
  q.grid_scope = p.grids;
  q.reporter = p.reporter;
  q.handler_worker = p.worker_id;
  return q;
}

std::vector<tiles::TileId> patch_tiles(const Patch& p) {
  std::vector<tiles::TileId> out;
  for (int z = kMinZoom; z <= kMaxZoom; ++z) {
    auto at = tiles::tiles_covering(p.bounds, z);
    out.insert(out.end(), at.begin(), at.end());
    if (out.size() > kMostTiles)
      throw Error(ErrorKind::too_large,
                  "the worker's grids span more than " + std::to_string(kMostTiles) +
                      " tiles from z" + std::to_string(kMinZoom) + " to z" +
                      std::to_string(kMaxZoom) + ": too large to take offline");
  }
  return out;
}

Response package(App& app, const Request& req, const Context& ctx) {
  data::Db& db = app.read_db();
  Patch p = patch_of(db, req, ctx);
  std::vector<data::Layer> layers = drawn_layers(ctx);
  size_t tile_count = patch_tiles(p).size();  // refuses a patch too large before the work

  data::FeatureQuery grids = scoped(p, data::Layer::grids);
  grids.grid_scope.reset();  // boundaries are public; the condition picks the worker's
  data::Condition any;
  any.kind = data::Condition::Kind::any;
  for (const auto& g : p.grids) {
    data::Condition c;
    c.property = "code";
    c.value = g;
    any.children.push_back(std::move(c));
  }
  grids.condition = std::move(any);
  data::FeatureQuery households = scoped(p, data::Layer::households);
  data::FeatureQuery cases = scoped(p, data::Layer::petitions);
  cases.mine = data::FeatureQuery::Mine{p.reporter, p.worker_id};
  cases.filters.emplace_back("status", kOpenStatuses);
  std::string id = std::to_string(p.worker_id);

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("generated_at");
  write_string(w, data::format_time(App::now()));
  w.Key("worker");
  w.StartObject();
  w.Key("id");
  w.Int64(p.worker_id);
  w.Key("name");
  write_string(w, p.name);
  w.Key("grids");
  w.StartArray();
  for (const auto& g : p.grids) write_string(w, g);
  w.EndArray();
  w.EndObject();
  auto raw = [&](const char* key, const std::string& json) {
    w.Key(key);
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  };
  raw("grids", page_json(everything(db, grids)));
  raw("households", page_json(everything(db, households)));
  raw("cases", page_json(everything(db, cases)));
  w.Key("tiles");
  w.StartObject();
  w.Key("url");
  write_string(w, "/api/v1/workers/" + id + "/offline.pmtiles");
  w.Key("minzoom");
  w.Int(kMinZoom);
  w.Key("maxzoom");
  w.Int(kMaxZoom);
  w.Key("tiles");
  w.Uint64(tile_count);
  w.Key("bounds");
  w.StartArray();
  for (double v : {p.bounds.min_lon, p.bounds.min_lat, p.bounds.max_lon, p.bounds.max_lat})
    write_number(w, v, 7);
  w.EndArray();
  w.Key("layers");
  w.StartArray();
  for (data::Layer l : layers) write_string(w, data::to_string(l));
  w.EndArray();
  w.EndObject();
  // Same-origin URLs the app should keep for the street: the style, the forms, the glyphs of
  // the names on the map.
  w.Key("precache");
  w.StartArray();
  for (const char* u : {"/style.json", "/api/v1/catalogue", "/api/v1/visit-form"})
    write_string(w, u);
  if (tiles::GlyphFont* font = app.font()) {
    // Every range of the label alphabet, as the style's glyphs URL asks for them: the map
    // around the patch names neighbouring areas too (a range holds a few kB of the names'
    // characters, tiles::LabelAlphabet).
    std::string stack = percent_encode(font->family());
    auto alphabet = app.label_alphabet();
    std::set<uint32_t> ranges;
    for (uint32_t cp : alphabet->code_points) ranges.insert(cp / 256);
    for (uint32_t r : ranges)
      write_string(w, "/fonts/" + stack + "/" + std::to_string(r * 256) + "-" +
                          std::to_string(r * 256 + 255) + ".pbf?v=" + alphabet->version);
  }
  w.EndArray();
  w.EndObject();
  Response r = json_response(buf.GetString());
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  return r;
}

Response package_tiles(App& app, const Request& req, const Context& ctx) {
  data::Db& db = app.read_db();
  Patch p = patch_of(db, req, ctx);
  std::vector<tiles::TileId> all = patch_tiles(p);
  std::vector<data::Layer> layers = drawn_layers(ctx);
  Response later;
  later.deferred = [&app, p, all, layers]() {
    data::Db db = data::Db::open(app.options().db_path, false);
    data::ScratchDir scratch(std::filesystem::temp_directory_path(), "gridmap-offline");
    std::string path = scratch.file("offline.pmtiles");
    tiles::pmtiles::Writer out(path);
    tiles::TileScope scope;
    scope.own_only = true;
    scope.grids = p.grids;
    scope.reporter = p.reporter;
    scope.worker_id = p.worker_id;
    int64_t now = App::now();
    size_t written = 0;
    for (const tiles::TileId& t : all) {
      // One tile of every layer: layers in an MVT are independent messages, so their bytes
      // laid end to end are one tile holding them all.
      std::string mvt;
      for (data::Layer l : layers) {
        tiles::TileRequest rq;
        rq.layer = l;
        rq.tile = t;
        rq.scope = scope;
        rq.now = now;
        auto built = app.tiles().tile(db, rq);
        if (built->raw_size) mvt += tiles::gunzip(built->gzip, built->raw_size);
      }
      if (mvt.empty()) continue;
      out.put(t, tiles::gzip(mvt, 6));
      ++written;
    }
    if (!written) throw Error(ErrorKind::conflict, "nothing to draw over the worker's grids");
    tiles::TileSetInfo info;
    info.name = "gridmap offline: worker " + std::to_string(p.worker_id);
    info.description = "the patch of " + p.name;
    info.bounds = p.bounds;
    info.center = {(p.bounds.min_lon + p.bounds.max_lon) / 2,
                   (p.bounds.min_lat + p.bounds.max_lat) / 2};
    info.center_zoom = 16;
    info.minzoom = kMinZoom;
    info.maxzoom = kMaxZoom;
    std::string json = "{\"vector_layers\":[";
    for (size_t i = 0; i < layers.size(); ++i)
      json += std::string(i ? "," : "") + "{\"id\":\"" + std::string(data::to_string(layers[i])) +
              "\",\"fields\":{}}";
    info.json = json + "]}";
    out.finish(info);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    Response r;
    r.content_type = "application/vnd.pmtiles";
    r.body = bytes.str();
    r.headers.emplace_back("Cache-Control", "private, no-cache");
    r.headers.emplace_back(
        "Content-Disposition",
        "attachment; filename=\"worker-" + std::to_string(p.worker_id) + "-offline.pmtiles\"");
    return r;
  };
  return later;
}

}  // namespace

void register_offline(Router& r) {
  r.add("GET", "/api/v1/workers/{id}/offline", "workers.offline", package);
  r.add("GET", "/api/v1/workers/{id}/offline.pmtiles", "workers.offline_tiles", package_tiles);
}

}  // namespace gridmap::server
