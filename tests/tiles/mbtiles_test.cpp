// gridmap tiles export: a standard MBTiles file that GDAL reads.
#include <catch2/catch.hpp>

#include <gdal.h>
#include <ogr_api.h>

#include "data/db.hpp"
#include "support/test_support.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
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
  CHECK(GDALDatasetGetLayerByName(ds, "grids_label"));
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
