// The in-memory snapshot of the area layers (AreaStore): its index, the tiles it makes
// against the SQL path, its size cap, and the tile service replacing it when an area changes.
// Validity, attributes and seamless borders of its tiles are checked with every other tile
// in layers_test.cpp.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "data/demo.hpp"
#include "support/test_support.hpp"
#include "tiles/area_store.hpp"
#include "tiles/decode.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/service.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

struct Demo {
  test::TempDir dir;
  data::Db db;
  explicit Demo(data::Preset p) : db(data::Db::open(dir.file("demo.sqlite"))) {
    data::DemoOptions o;
    o.preset = p;
    data::generate_demo(db, o);
  }
};

Demo& demo() {
  static Demo d(data::Preset::tatabu);
  return d;
}

const std::vector<data::Layer> kAreaLayers = {data::Layer::subdistricts, data::Layer::communities,
                                              data::Layer::grids};

TileSnapshots snapshots(data::Db& db, data::Layer layer) {
  TileSnapshots s;
  s.grids = GridAttributes::load(db);
  s.areas = AreaStore::load(db, layer, 10'000'000);
  REQUIRE(s.areas);
  return s;
}

// Tiles over the city's middle and a corner at zoom z.
std::vector<TileId> some_tiles(data::Db& db, int z) {
  Box b = data_bounds(db);
  if (z <= 12) return tiles_covering(b, z);
  std::vector<TileId> out;
  TileId c = tile_at({(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2}, z);
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) out.push_back({z, c.x + dx, c.y + dy});
  out.push_back(tile_at({b.min_lon, b.max_lat}, z));
  return out;
}

// Each feature of a layer as "id code name [other attributes]".
std::multiset<std::string> features_of(const std::string& mvt, const std::string& layer) {
  std::multiset<std::string> out;
  for (const auto& f : test::decode_layer(mvt, layer)) {
    std::string s = std::to_string(f.id);
    for (const auto& [k, v] : f.attrs) s += " " + k + "=" + v;
    out.insert(s);
  }
  return out;
}

}  // namespace

TEST_CASE("the area snapshot finds exactly the areas whose boxes meet a box, in code order") {
  auto store = AreaStore::load(demo().db, data::Layer::grids, 10'000'000);
  REQUIRE(store);
  REQUIRE(store->size() > 20);
  for (size_t i = 1; i < store->size(); ++i) CHECK(store->area(i - 1).code < store->area(i).code);
  WorldBox all{1, 1, 0, 0};
  for (size_t i = 0; i < store->size(); ++i) {
    const WorldBox& b = store->area(static_cast<uint32_t>(i)).box;
    all = {std::min(all.x0, b.x0), std::min(all.y0, b.y0), std::max(all.x1, b.x1),
           std::max(all.y1, b.y1)};
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-0.2, 1.2);
  std::vector<uint32_t> got;
  size_t found = 0;
  for (int k = 0; k < 300; ++k) {
    double w = all.x1 - all.x0, h = all.y1 - all.y0, size = std::pow(10.0, -3 * u(rng));
    double x = all.x0 + u(rng) * w, y = all.y0 + u(rng) * h;
    WorldBox q{x, y, x + size * w, y + size * h};
    store->query(q, got);
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < store->size(); ++i) {
      const WorldBox& b = store->area(i).box;
      if (b.x0 <= q.x1 && b.x1 >= q.x0 && b.y0 <= q.y1 && b.y1 >= q.y0) want.push_back(i);
    }
    CHECK(got == want);
    found += got.size();
  }
  CHECK(found > 300);
  store->query({2, 2, 3, 3}, got);  // outside the world
  CHECK(got.empty());
}

TEST_CASE(
    "above zoom 16 and with a coarser tolerance, snapshot tiles are the SQL tiles byte for "
    "byte") {
  data::Db& db = demo().db;
  size_t nonempty = 0;
  for (data::Layer layer : kAreaLayers) {
    TileSnapshots snap = snapshots(db, layer);
    TileSnapshots sql;
    sql.grids = snap.grids;
    for (int z : {11, 14, 17, 18})
      for (TileId t : some_tiles(db, z)) {
        INFO(data::to_string(layer) << " " << z << "/" << t.x << "/" << t.y);
        TileRequest r;
        r.layer = layer;
        r.tile = t;
        if (z <= AreaStore::kMaxBandZoom) r.tolerance = 8;
        BuiltTile a = build_tile(db, r, snap), b = build_tile(db, r, sql);
        CHECK(a.mvt == b.mvt);
        nonempty += !a.mvt.empty();
      }
  }
  CHECK(nonempty > 30);
}

TEST_CASE("snapshot tiles at zooms 0 to 16 hold the same areas, attributes and labels as SQL") {
  data::Db& db = demo().db;
  size_t features = 0, differ = 0;
  for (data::Layer layer : kAreaLayers) {
    TileSnapshots snap = snapshots(db, layer);
    TileSnapshots sql;
    sql.grids = snap.grids;
    std::string name(data::to_string(layer));
    for (int z = 0; z <= 16; ++z)
      for (TileId t : some_tiles(db, z)) {
        INFO(name << " " << z << "/" << t.x << "/" << t.y);
        TileRequest r;
        r.layer = layer;
        r.tile = t;
        BuiltTile a = build_tile(db, r, snap), b = build_tile(db, r, sql);
        CHECK(a.mvt.size() <= kMaxTileBytes);
        CHECK(a.stats.tolerance == b.stats.tolerance);
        auto fa = features_of(a.mvt, name), fb = features_of(b.mvt, name);
        features += fa.size();
        // Slivers below a pixel at the buffer's edge may come out either way.
        std::vector<std::string> only;
        std::set_symmetric_difference(fa.begin(), fa.end(), fb.begin(), fb.end(),
                                      std::back_inserter(only));
        differ += only.size();
        CHECK(only.size() <= 2);
        CHECK(features_of(a.mvt, name + "_label") == features_of(b.mvt, name + "_label"));
      }
  }
  CHECK(features > 500);
  CHECK(differ * 100 <= features);
}

TEST_CASE("each area's grid attributes are found once per attributes snapshot") {
  data::Db& db = demo().db;
  auto store = AreaStore::load(db, data::Layer::grids, 10'000'000);
  REQUIRE(store);
  CHECK_FALSE(store->attributes_by_area(nullptr));
  auto grids = GridAttributes::load(db);
  auto index = store->attributes_by_area(grids);
  REQUIRE(index);
  REQUIRE(index->size() == store->size());
  size_t found = 0;
  for (uint32_t i = 0; i < store->size(); ++i) {
    CHECK((*index)[i] == grids->find(store->area(i).code));
    found += (*index)[i] != nullptr;
  }
  CHECK(found > 0);
  CHECK(store->attributes_by_area(grids) == index);  // the same snapshot: kept
  // Another snapshot (as after a household changes) gets its own entries, even when the
  // first one is gone.
  std::string code = store->area(0).code;
  auto recounted = grids->with_households_of(db, code);
  auto other = store->attributes_by_area(recounted);
  REQUIRE(other);
  CHECK(other != index);
  CHECK((*other)[0] == recounted->find(code));
  CHECK((*other)[0] != (*index)[0]);
  grids.reset();
  index.reset();
  auto again = GridAttributes::load(db);
  auto fresh = store->attributes_by_area(again);
  CHECK(fresh != other);
  CHECK((*fresh)[0] == again->find(code));
}

TEST_CASE("an area layer over the vertex cap gets no snapshot") {
  CHECK_FALSE(AreaStore::load(demo().db, data::Layer::grids, 10));
  CHECK(AreaStore::load(demo().db, data::Layer::grids, 10'000'000));
  CHECK_THROWS(AreaStore::load(demo().db, data::Layer::households, 10'000'000));
}

TEST_CASE("the tile service replaces the area snapshot when an area changes shape") {
  Demo d(data::Preset::tatabu);
  TileService service;
  std::string code;
  Box before;
  {
    data::Statement st(d.db,
                       "SELECT code, MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) "
                       "FROM grids ORDER BY code LIMIT 1 OFFSET 40");
    REQUIRE(st.step());
    code = st.text(0);
    before = {st.real(1), st.real(2), st.real(3), st.real(4)};
  }
  // Half the grid's width eastwards, in the deepest tile that holds it before and after.
  double dx = (before.max_lon - before.min_lon) / 2;
  TileRequest r;
  r.layer = data::Layer::grids;
  for (int z = 16; z >= 0; --z) {
    r.tile = tile_at({before.min_lon, before.max_lat}, z);
    if (r.tile == tile_at({before.max_lon + dx, before.min_lat}, z)) break;
  }
  INFO("tile " << r.tile.z << "/" << r.tile.x << "/" << r.tile.y);
  auto x_range = [&](const std::shared_ptr<const CachedTile>& tile) {
    std::string raw = gunzip(tile->gzip, tile->raw_size);
    for (const auto& f : test::decode_layer(raw, "grids"))
      if (f.attrs.at("code") == code) {
        double x0 = 0, x1 = 0;
        GEOSGeom_getXMin_r(geos::ctx(), f.geom.get(), &x0);
        GEOSGeom_getXMax_r(geos::ctx(), f.geom.get(), &x1);
        return std::pair{x0, x1};
      }
    FAIL("grid " << code << " is not in the tile");
    return std::pair{0.0, 0.0};
  };
  auto old_x = x_range(service.tile(d.db, r));
  data::Statement(d.db, "UPDATE grids SET geom = ShiftCoords(geom, ?1, 0) WHERE code = ?2")
      .bind(1, dx)
      .bind(2, code)
      .run();
  Box after{before.min_lon + dx, before.min_lat, before.max_lon + dx, before.max_lat};
  CHECK(x_range(service.tile(d.db, r)) == old_x);  // cached until told
  service.area_changed(data::Layer::grids, before, after);
  auto new_x = x_range(service.tile(d.db, r));
  double moved = TileProjection(r.tile, kExtent)(LonLat{before.min_lon + dx, 0}).x -
                 TileProjection(r.tile, kExtent)(LonLat{before.min_lon, 0}).x;
  REQUIRE(moved > 50);
  CHECK(new_x.first - old_x.first == Approx(moved).margin(8));
  CHECK(new_x.second - old_x.second == Approx(moved).margin(8));
}
