// gridmap tiles export: a standard MBTiles file that GDAL reads.
#include <catch2/catch.hpp>

#include <gdal.h>
#include <ogr_api.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include "data/db.hpp"
#include "support/test_support.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/mbtiles.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;

TEST_CASE("tiles export writes an MBTiles file that GDAL reads, with its metadata and TMS rows") {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite"), out = dir.file("grids.mbtiles");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  auto r = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "14", "--out", out, "--db", db});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("exported") != std::string::npos);
  // GDAL's MBTiles driver opens it as vector tiles with our layers.
  GDALAllRegister();
  const char* drivers[] = {"MBTiles", nullptr};
  GDALDatasetH ds =
      GDALOpenEx(out.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr);
  REQUIRE(ds);
  OGRLayerH grids = GDALDatasetGetLayerByName(ds, "grids");
  REQUIRE(grids);
  CHECK(OGR_L_GetFeatureCount(grids, TRUE) >= 41);
  // Grid labels start at zoom 15: a file of zooms 10 to 14 does not declare them.
  CHECK_FALSE(GDALDatasetGetLayerByName(ds, "grids_label"));
  GDALClose(ds);
  // The tables, read through a scratch gridmap database.
  data::Db scratch = data::Db::open(dir.file("scratch.sqlite"));
  data::Statement attach(scratch, "ATTACH DATABASE ?1 AS m");
  attach.bind(1, out).run();
  std::map<std::string, std::string> meta;
  data::Statement st(scratch, "SELECT name, value FROM m.metadata");
  while (st.step()) meta[st.text(0)] = st.text(1);
  CHECK(meta["format"] == "pbf");
  CHECK(meta["minzoom"] == "10");
  CHECK(meta["maxzoom"] == "14");
  CHECK(meta["json"].find("\"vector_layers\"") != std::string::npos);
  CHECK(meta["json"].find("\"households\":\"Number\"") != std::string::npos);
  CHECK(std::count(meta["bounds"].begin(), meta["bounds"].end(), ',') == 3);
  // Rows count from the south: the tile over a household is at 2^z - 1 - y.
  data::Db source = data::Db::open(db, false);
  data::Statement p(source, "SELECT X(geom), Y(geom) FROM households WHERE id = 42");
  REQUIRE(p.step());
  LonLat at{p.real(0), p.real(1)};
  for (int z = 10; z <= 14; ++z) {
    tiles::TileId t = tiles::tile_at(at, z);
    data::Statement tile(scratch,
                         "SELECT tile_data FROM m.tiles WHERE zoom_level = ?1 AND tile_column = ?2 "
                         "AND tile_row = ?3");
    tile.bind(1, z).bind(2, static_cast<int64_t>(t.x)).bind(3, (int64_t{1} << z) - 1 - t.y);
    INFO("zoom " << z);
    REQUIRE(tile.step());
    std::string blob = tile.blob(0);
    CHECK(static_cast<unsigned char>(blob[0]) == 0x1f);  // gzip
    CHECK(static_cast<unsigned char>(blob[1]) == 0x8b);
  }
  data::Statement count(scratch, "SELECT count(*), min(zoom_level), max(zoom_level) FROM m.tiles");
  count.step();
  CHECK(count.int64(0) > 5);
  CHECK(count.int64(1) == 10);
  CHECK(count.int64(2) == 14);
  // Bad input exits 2 with a reason.
  auto bad = test::run_gridmap({"tiles", "export", "--layer", "rivers", "--out", out, "--db", db});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("unknown layer") != std::string::npos);
  CHECK(test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "9", "--maxzoom",
                           "3", "--out", out, "--db", db})
            .exit_code == 2);
  CHECK(test::run_gridmap({"tiles", "build", "--db", db}).exit_code == 2);
}

namespace {

// Every tile of an MBTiles file, in key order, with its bytes.
std::vector<std::tuple<int64_t, int64_t, int64_t, std::string>> tiles_of(data::Db& scratch,
                                                                         const std::string& file) {
  data::Statement attach(scratch, "ATTACH DATABASE ?1 AS m");
  attach.bind(1, file).run();
  std::vector<std::tuple<int64_t, int64_t, int64_t, std::string>> out;
  {
    data::Statement st(scratch,
                       "SELECT zoom_level, tile_column, tile_row, tile_data FROM m.tiles ORDER BY "
                       "zoom_level, tile_column, tile_row");
    while (st.step()) out.emplace_back(st.int64(0), st.int64(1), st.int64(2), st.blob(3));
  }
  scratch.exec("DETACH DATABASE m");
  return out;
}

}  // namespace

TEST_CASE("tiles export on several threads writes exactly the tiles of one thread") {
  test::TempDir dir;
  std::string path = dir.file("tatabu.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", path, "--preset", "tatabu"}).exit_code == 0);
  data::Db db = data::Db::open(path, false);
  data::Db scratch = data::Db::open(dir.file("scratch.sqlite"));
  for (data::Layer layer :
       {data::Layer::grids, data::Layer::communities, data::Layer::households}) {
    INFO("layer " << data::to_string(layer));
    tiles::MbtilesOptions o;
    o.layer = layer;
    o.minzoom = 8;
    o.maxzoom = 15;
    o.now = 1'700'000'000;
    o.threads = 1;
    o.out = dir.file("one.mbtiles");
    tiles::MbtilesResult one = tiles::export_mbtiles(db, o);
    o.threads = 3;
    o.out = dir.file("three.mbtiles");
    int64_t last = 0, calls = 0;
    o.progress = [&](int64_t done, int64_t total) {
      CHECK(done == last + 1);
      CHECK(done <= total);
      last = done, ++calls;
    };
    tiles::MbtilesResult three = tiles::export_mbtiles(db, o);
    CHECK(one.tiles > 10);
    CHECK(three.tiles == one.tiles);
    CHECK(three.empty == one.empty);
    CHECK(three.bytes == one.bytes);
    CHECK(calls == one.tiles + one.empty);
    auto a = tiles_of(scratch, dir.file("one.mbtiles")),
         b = tiles_of(scratch, dir.file("three.mbtiles"));
    CHECK(a.size() == static_cast<size_t>(one.tiles));
    CHECK(a == b);
  }
}

TEST_CASE("tiles export to a place it cannot write fails in one line and leaves no file") {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  std::string out = dir.file("no-such-dir") + "/grids.mbtiles";
  auto r = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "12", "--out", out, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("cannot create " + out) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_FALSE(std::filesystem::exists(out));
  // A directory where the file should be: not replaced, one line.
  std::string taken = dir.file("taken.mbtiles");
  std::filesystem::create_directories(taken + "/inside");
  auto t = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "12", "--out", taken, "--db", db});
  CHECK(t.exit_code == 2);
  CHECK(std::count(t.err.begin(), t.err.end(), '\n') == 1);
  CHECK(std::filesystem::is_directory(taken + "/inside"));
}

TEST_CASE("an MBTiles file's metadata names the zooms and layers it holds, not those asked for") {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite"), out = dir.file("grids.mbtiles");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  // Zooms 0 to 4 of a few dozen grids: the grids layer starts further in, so the low zooms
  // hold nothing, and the labels start later still.
  auto r = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "0", "--maxzoom",
                              "13", "--out", out, "--db", db});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  data::Db scratch = data::Db::open(dir.file("scratch.sqlite"));
  data::Statement attach(scratch, "ATTACH DATABASE ?1 AS m");
  attach.bind(1, out).run();
  std::map<std::string, std::string> meta;
  data::Statement st(scratch, "SELECT name, value FROM m.metadata");
  while (st.step()) meta[st.text(0)] = st.text(1);
  data::Statement zooms(scratch, "SELECT min(zoom_level), max(zoom_level) FROM m.tiles");
  REQUIRE(zooms.step());
  int first = static_cast<int>(zooms.int64(0)), last = static_cast<int>(zooms.int64(1));
  CHECK(meta["minzoom"] == std::to_string(first));
  CHECK(meta["maxzoom"] == std::to_string(last));
  CHECK(first > 0);  // zoom 0 was asked for but holds no tile
  rapidjson::Document json;
  json.Parse(meta["json"].c_str());
  REQUIRE(json.HasMember("vector_layers"));
  REQUIRE(json["vector_layers"].Size() > 0);
  GDALAllRegister();
  const char* drivers[] = {"MBTiles", nullptr};
  GDALDatasetH ds = GDALOpenEx(out.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr);
  REQUIRE(ds);
  for (auto& v : json["vector_layers"].GetArray()) {
    std::string id = v["id"].GetString();
    INFO("vector layer " << id);
    CHECK(v["minzoom"].GetInt() >= first);
    CHECK(v["maxzoom"].GetInt() <= last);
    CHECK(v["minzoom"].GetInt() <= v["maxzoom"].GetInt());
    // Declared, so present: GDAL finds features of it.
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, id.c_str());
    REQUIRE(layer);
    CHECK(OGR_L_GetFeatureCount(layer, TRUE) > 0);
  }
  GDALClose(ds);
}
