// Tiles of every layer over the demo cities, decoded with GDAL: validity, attributes,
// filters, scopes, privacy, the size cap and seamless borders between neighbouring grids.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "data/demo.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"
#include "tiles/area_store.hpp"
#include "tiles/decode.hpp"
#include "tiles/layers.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/point_store.hpp"
#include "tiles/wkb.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

constexpr int64_t kNow = 1793462400;  // 2026-11-01 00:00 +08:00, the demo's clock

struct Demo {
  test::TempDir dir;
  data::Db db;
  explicit Demo(data::Preset p) : db(data::Db::open(dir.file("demo.sqlite"))) {
    data::DemoOptions o;
    o.preset = p;
    data::generate_demo(db, o);
  }
};

Demo& tatabu() {
  static Demo d(data::Preset::tatabu);
  return d;
}

BuiltTile build(data::Layer layer, TileId t, PetitionFilter f = {}, TileScope s = {}) {
  TileRequest r;
  r.layer = layer;
  r.tile = t;
  r.filter = std::move(f);
  r.scope = std::move(s);
  r.now = kNow;
  return build_tile(tatabu().db, r);
}

// Tiles over the demo at zooms 0-18: every tile over the city up to zoom 12, then the
// middle of the city with its neighbours and the four corners.
std::vector<TileId> sample_tiles(Box b) {
  std::vector<TileId> out;
  for (int z = 0; z <= 18; ++z) {
    if (z <= 12) {
      auto all = tiles_covering(b, z);
      out.insert(out.end(), all.begin(), all.end());
      continue;
    }
    TileId c = tile_at({(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2}, z);
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) out.push_back({z, c.x + dx, c.y + dy});
    for (LonLat corner : {LonLat{b.min_lon, b.min_lat}, LonLat{b.min_lon, b.max_lat},
                          LonLat{b.max_lon, b.min_lat}, LonLat{b.max_lon, b.max_lat}})
      out.push_back(tile_at(corner, z));
  }
  return out;
}

struct Sample {
  data::Layer layer;
  TileId tile;
  std::string mvt;
  test::DecodedTile decoded;
  bool stored = false;  // an area layer from its in-memory snapshot, as the server makes it
};

// The area layers' snapshots, as the server keeps them.
TileSnapshots area_snapshots(data::Layer layer) {
  TileSnapshots snap;
  static const auto grids = GridAttributes::load(tatabu().db);
  static std::map<data::Layer, std::shared_ptr<const AreaStore>> stores;
  if (!stores.count(layer)) stores[layer] = AreaStore::load(tatabu().db, layer, 10'000'000);
  snap.grids = grids;
  snap.areas = stores[layer];
  return snap;
}

// Every layer from SQL, and the area layers also from their snapshots.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> all = [] {
    std::vector<Sample> out;
    for (TileId t : sample_tiles(data_bounds(tatabu().db)))
      for (data::Layer l : tile_layers()) {
        BuiltTile b = build(l, t);
        Sample s{l, t, b.mvt, test::decode_with_gdal(b.mvt)};
        out.push_back(std::move(s));
        if (!data::is_area(l)) continue;
        TileRequest r;
        r.layer = l;
        r.tile = t;
        r.now = kNow;
        BuiltTile stored = build_tile(tatabu().db, r, area_snapshots(l));
        out.push_back({l, t, stored.mvt, test::decode_with_gdal(stored.mvt), true});
      }
    return out;
  }();
  return all;
}

double area(const GEOSGeometry* g) {
  double a = 0;
  GEOSArea_r(geos::ctx(), g, &a);
  return a;
}

geos::GeomPtr union_of(std::vector<geos::GeomPtr>& parts) {
  std::vector<GEOSGeometry*> raw;
  for (auto& p : parts) raw.push_back(p.release());
  auto all = geos::own(GEOSGeom_createCollection_r(geos::ctx(), GEOS_GEOMETRYCOLLECTION, raw.data(),
                                                   static_cast<unsigned>(raw.size())),
                       "collection");
  parts.clear();
  return geos::own(GEOSUnaryUnion_r(geos::ctx(), all.get()), "union");
}

int holes(const GEOSGeometry* g) {
  int n = 0;
  for (int i = 0; i < GEOSGetNumGeometries_r(geos::ctx(), g); ++i) {
    const GEOSGeometry* part = GEOSGetGeometryN_r(geos::ctx(), g, i);
    if (GEOSGeomTypeId_r(geos::ctx(), part) == GEOS_POLYGON)
      n += GEOSGetNumInteriorRings_r(geos::ctx(), part);
  }
  return n;
}

geos::GeomPtr clip_to_tile(const GEOSGeometry* g) {
  return geos::own(GEOSClipByRect_r(geos::ctx(), g, 0, 0, kExtent, kExtent), "clip");
}

// The stored grids in GDAL's coordinates for a lone tile (tile units, y up).
std::vector<geos::GeomPtr> original_grids(TileId t) {
  TileProjection proj(t, kExtent);
  std::vector<geos::GeomPtr> out;
  data::Statement st(tatabu().db, "SELECT AsBinary(geom) FROM grids");
  while (st.step()) {
    for (const LonLatPolygon& p : polygons_from_wkb(st.blob(0))) {
      std::vector<std::vector<LonLat>> rings;
      for (const auto& r : p.rings) {
        std::vector<LonLat> ring;
        for (const LonLat& q : r) {
          TileXY xy = proj(q);
          ring.push_back(LonLat{xy.x, kExtent - xy.y});
        }
        rings.push_back(ring);
      }
      out.push_back(geos::polygon(rings));
    }
  }
  return out;
}

std::string where(const Sample& s) {
  return std::string(data::to_string(s.layer)) + " " + std::to_string(s.tile.z) + "/" +
         std::to_string(s.tile.x) + "/" + std::to_string(s.tile.y) +
         (s.stored ? " (snapshot)" : " (SQL)");
}

}  // namespace

TEST_CASE(
    "every layer at zooms 0 to 18 over the demo decodes with GDAL into valid geometries with the "
    "documented attributes") {
  std::map<std::string, size_t> features_by_layer;
  for (const Sample& s : samples()) {
    INFO(where(s));
    CHECK(s.mvt.size() <= kMaxTileBytes);
    const TileLayerInfo& info = layer_info(s.layer);
    for (const auto& [name, features] : s.decoded) {
      INFO("source layer " << name);
      auto vl = std::find_if(info.vector_layers.begin(), info.vector_layers.end(),
                             [&n = name](const VectorLayerInfo& v) { return v.id == n; });
      REQUIRE(vl != info.vector_layers.end());  // only documented layers
      CHECK(s.tile.z >= vl->minzoom);
      CHECK(s.tile.z <= vl->maxzoom);
      features_by_layer[name] += features.size();
      for (const auto& f : features) {
        REQUIRE(f.geom);
        INFO(geos::to_wkt(f.geom.get(), 2));
        CHECK(geos::invalid_reason(f.geom.get()).empty());
        CHECK(f.id >= 0);
        for (const auto& [key, value] : f.attrs) {
          INFO("attribute " << key << " = " << value);
          auto field = std::find_if(vl->fields.begin(), vl->fields.end(),
                                    [&k = key](const FieldInfo& fi) { return fi.name == k; });
          REQUIRE(field != vl->fields.end());  // only documented attributes
          OGRFieldType t = f.types.at(key);
          if (field->type == "String")
            CHECK(t == OFTString);
          else if (field->type == "Number")
            CHECK((t == OFTInteger || t == OFTInteger64 || t == OFTReal));
          else
            CHECK((t == OFTInteger || t == OFTString));  // GDAL shows booleans as 0/1 integers
        }
        for (const FieldInfo& field : vl->fields)
          if (field.name != "worker")
            CHECK(f.attrs.count(std::string(field.name)) == 1);  // worker: when the grid has one
      }
    }
  }
  // Every kind of content showed up somewhere.
  for (const char* name : {"subdistricts", "subdistricts_label", "communities", "communities_label",
                           "grids", "grids_label", "households", "households_clusters", "petitions",
                           "petitions_clusters", "workers"}) {
    INFO(name);
    CHECK(features_by_layer[name] > 0);
  }
}

TEST_CASE(
    "no tile holds personal data: no resident, phone, ID number, reporter contact, description or "
    "note") {
  data::Db& db = tatabu().db;
  std::set<std::string> personal, workers;
  data::Statement w(db, "SELECT name, phone FROM workers");
  while (w.step()) {
    workers.insert(w.text(0));  // workers' names are shown on their grids, by design
    if (!w.is_null(1)) personal.insert(w.text(1));
  }
  data::Statement r(db, "SELECT name, phone, id_number FROM residents");
  while (r.step())
    for (int i = 0; i < 3; ++i)
      if (!r.is_null(i) && !workers.count(r.text(i))) personal.insert(r.text(i));
  data::Statement p(db, "SELECT reporter_contact, description FROM petitions");
  while (p.step())
    for (int i = 0; i < 2; ++i)
      if (!p.is_null(i) && !p.text(i).empty()) personal.insert(p.text(i));
  data::Statement e(db, "SELECT note FROM petition_events WHERE note <> ''");
  while (e.step()) personal.insert(e.text(0));
  data::Statement h(db, "SELECT address FROM households WHERE address <> ''");
  while (h.step()) personal.insert(h.text(0));
  REQUIRE(personal.size() > 10000);
  size_t values = 0;
  for (const Sample& s : samples()) {
    INFO(where(s));
    for (const auto& [name, features] : s.decoded)
      for (const auto& f : features)
        for (const auto& [key, value] : f.attrs) {
          ++values;
          INFO(key << " = " << value);
          CHECK(personal.count(value) == 0);
        }
  }
  CHECK(values > 1000);
  // And no phone or ID number anywhere in the bytes.
  data::Statement ids(db, "SELECT phone, id_number FROM residents LIMIT 300");
  while (ids.step())
    for (const Sample& s : samples()) {
      CHECK(s.mvt.find(ids.text(0)) == std::string::npos);
      CHECK(s.mvt.find(ids.text(1)) == std::string::npos);
    }
}

TEST_CASE("neighbouring grids leave no gap and no overlap inside a tile at zooms 10 to 18") {
  size_t checked = 0, stored = 0;
  for (const Sample& s : samples()) {
    if (s.layer != data::Layer::grids || s.tile.z < 10 || !s.decoded.count("grids")) continue;
    stored += s.stored;
    INFO(where(s));
    std::vector<geos::GeomPtr> decoded;
    double sum = 0;
    for (const auto& f : s.decoded.at("grids")) {
      decoded.push_back(clip_to_tile(f.geom.get()));
      sum += area(decoded.back().get());
    }
    auto got = union_of(decoded);
    std::vector<geos::GeomPtr> originals;
    double perimeter = 0;
    for (auto& g : original_grids(s.tile)) originals.push_back(clip_to_tile(g.get()));
    auto want = union_of(originals);
    GEOSLength_r(geos::ctx(), want.get(), &perimeter);
    double a = area(got.get());
    CHECK(sum == Approx(a).epsilon(1e-9));         // no overlaps between neighbours
    CHECK(holes(got.get()) == holes(want.get()));  // no gaps between them
    // The outline moves by at most the simplification tolerance plus rounding.
    CHECK(std::abs(a - area(want.get())) <= 4.5 * perimeter + 1);
    ++checked;
  }
  CHECK(checked > 40);
  CHECK(stored > 20);
}

TEST_CASE("petition filters change the tile, and clusters count exactly the matching petitions") {
  data::Db& db = tatabu().db;
  TileId world{0, 0, 0};
  auto total = [&](const BuiltTile& b) {
    int64_t n = 0;
    for (const auto& f : test::decode_layer(b.mvt, "petitions_clusters"))
      n += std::stoll(f.attrs.at("count"));
    return n;
  };
  auto count_sql = [&](const std::string& where) {
    data::Statement st(db, "SELECT count(*) FROM petitions WHERE " + where);
    st.step();
    return st.int64(0);
  };
  CHECK(total(build(data::Layer::petitions, world)) == count_sql("1"));
  PetitionFilter open;
  open.status = {"in_progress", "pending_review"};
  CHECK(total(build(data::Layer::petitions, world, open)) ==
        count_sql("status IN ('in_progress', 'pending_review')"));
  PetitionFilter noise;
  noise.category = {"noise"};
  noise.kind = {"appeal"};
  noise.from = 1767196800;  // 2026-01-01 +08:00
  CHECK(total(build(data::Layer::petitions, world, noise)) ==
        count_sql("category = 'noise' AND kind = 'appeal' AND created_at >= 1767196800"));
  // Single petitions at zoom 14 obey the filter.
  Box b = data_bounds(db);
  TileId mid = tile_at({(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2}, 14);
  auto all = test::decode_layer(build(data::Layer::petitions, mid).mvt, "petitions");
  PetitionFilter closed;
  closed.status = {"closed"};
  closed.category = {"noise", "traffic"};
  auto some = test::decode_layer(build(data::Layer::petitions, mid, closed).mvt, "petitions");
  REQUIRE(all.size() > 0);
  CHECK(some.size() < all.size());
  for (const auto& f : some) {
    CHECK(f.attrs.at("status") == "closed");
    CHECK((f.attrs.at("category") == "noise" || f.attrs.at("category") == "traffic"));
  }
  PetitionFilter bad;
  bad.category = {"ufo"};
  CHECK_THROWS_AS(validate(db, bad), Error);
  bad = {};
  bad.status = {"lost"};
  CHECK_THROWS_AS(validate(db, bad), Error);
  TileRequest households;
  households.layer = data::Layer::households;
  households.filter = closed;
  CHECK_THROWS_AS(build_tile(db, households), Error);
}

TEST_CASE("a worker's tiles show only the households of their grids") {
  data::Db& db = tatabu().db;
  std::string grid = "150102001001001";
  TileScope mine;
  mine.own_only = true;
  mine.grids = {grid};
  mine.reporter = "worker1";
  mine.worker_id = 1;
  data::Statement st(db, "SELECT count(*) FROM households WHERE grid_code = ?1");
  st.bind(1, grid);
  st.step();
  int64_t expected = st.int64(0);
  REQUIRE(expected > 0);
  int64_t counted = 0;
  for (const auto& f : test::decode_layer(build(data::Layer::households, {0, 0, 0}, {}, mine).mvt,
                                          "households_clusters"))
    counted += std::stoll(f.attrs.at("count"));
  CHECK(counted == expected);
  size_t seen = 0;
  for (TileId t : tiles_covering(data_bounds(db), 15))
    for (const auto& f :
         test::decode_layer(build(data::Layer::households, t, {}, mine).mvt, "households")) {
      CHECK(f.attrs.at("grid_code") == grid);
      ++seen;
    }
  CHECK(seen >= static_cast<size_t>(expected));  // some twice: in the buffers of neighbours
}

TEST_CASE("the in-memory snapshots give the same tiles as SQL") {
  data::Db& db = tatabu().db;
  TileSnapshots snap;
  snap.petitions = PointStore::load(db, data::Layer::petitions, 1000000);
  snap.households = PointStore::load(db, data::Layer::households, 1000000);
  snap.grids = GridAttributes::load(db);
  REQUIRE(snap.petitions);
  CHECK_FALSE(PointStore::load(db, data::Layer::petitions, 100));  // too many: SQL serves them
  Box b = data_bounds(db);
  TileScope mine;
  mine.own_only = true;
  mine.grids = {"150102001001001"};
  mine.worker_id = 3;
  for (int z : {0, 11, 13, 14, 16})
    for (TileId t : tiles_covering(b, z)) {
      if (z == 16 && (t.x + t.y) % 7) continue;
      for (data::Layer l : {data::Layer::petitions, data::Layer::households, data::Layer::grids})
        for (const TileScope& scope : {TileScope{}, mine}) {
          INFO(data::to_string(l) << " " << z << "/" << t.x << "/" << t.y << " own "
                                  << scope.own_only);
          TileRequest r;
          r.layer = l;
          r.tile = t;
          r.now = kNow;
          r.scope = scope;
          CHECK(build_tile(db, r, snap).mvt == build_tile(db, r).mvt);
        }
    }
}

TEST_CASE("a tile over the byte cap is simplified further, then thinned, until it fits") {
  Box b = data_bounds(tatabu().db);
  TileRequest r;
  r.layer = data::Layer::grids;
  r.tile = tile_at({(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2}, 11);
  r.now = kNow;
  BuiltTile full = build_tile(tatabu().db, r);
  for (double share : {0.8, 0.3}) {
    r.max_bytes = static_cast<size_t>(full.mvt.size() * share);
    BuiltTile small = build_tile(tatabu().db, r);
    CHECK(small.mvt.size() <= r.max_bytes);
    CHECK(small.stats.tolerance > full.stats.tolerance);
    for (const auto& [name, features] : test::decode_with_gdal(small.mvt))
      for (const auto& f : features) CHECK(geos::invalid_reason(f.geom.get()).empty());
  }
}

TEST_CASE("area tiles carry label points from the zoom the style names the areas at") {
  Box b = data_bounds(tatabu().db);
  LonLat mid{(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2};
  for (data::Layer l : {data::Layer::communities, data::Layer::grids}) {
    std::string labels = std::string(data::to_string(l)) + "_label";
    int from = label_minzoom(l);
    INFO(labels << " from zoom " << from);
    REQUIRE(from > 0);
    BuiltTile below = build(l, tile_at(mid, from - 1)), at = build(l, tile_at(mid, from));
    CHECK(test::decode_layer(below.mvt, std::string(data::to_string(l))).size() > 0);
    CHECK(test::decode_layer(below.mvt, labels).empty());
    CHECK(test::decode_layer(at.mvt, labels).size() > 0);
    // TileJSON says the same.
    bool listed = false;
    for (const VectorLayerInfo& v : layer_info(l).vector_layers)
      if (v.id == labels) {
        listed = true;
        CHECK(v.minzoom == from);
      }
    CHECK(listed);
  }
  CHECK(test::decode_layer(build(data::Layer::subdistricts, tile_at(mid, 8)).mvt,
                           "subdistricts_label")
            .size() > 0);
}

TEST_CASE("out-of-range tiles are refused") {
  CHECK_THROWS_AS(build(data::Layer::grids, {3, 8, 0}), Error);
  CHECK_THROWS_AS(build(data::Layer::grids, {23, 0, 0}), Error);
  CHECK_NOTHROW(build(data::Layer::grids, {22, 0, 0}));
}

TEST_CASE("on the city preset no grids tile is over 500 KB, the whole city at zoom 10 included") {
  Demo city(data::Preset::city);
  Box b = data_bounds(city.db);
  TileSnapshots snap;
  snap.grids = GridAttributes::load(city.db);
  size_t grids_at_10 = 0;
  for (int z : {8, 9, 10, 11}) {
    for (TileId t : tiles_covering(b, z)) {
      INFO(z << "/" << t.x << "/" << t.y);
      TileRequest r;
      r.layer = data::Layer::grids;
      r.tile = t;
      BuiltTile tile = build_tile(city.db, r, snap);
      CHECK(tile.mvt.size() <= kMaxTileBytes);
      auto decoded = test::decode_layer(tile.mvt, "grids");
      if (z == 10) grids_at_10 += decoded.size();
      for (const auto& f : decoded) CHECK(geos::invalid_reason(f.geom.get()).empty());
    }
  }
  CHECK(grids_at_10 >= 1500);  // every grid is there (those on a tile edge twice)
}
