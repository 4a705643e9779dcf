// serve --basemap FILE.mbtiles: a vector base map exported by `gridmap tiles export` and a
// small raster one made here (PNG tiles by GDAL), over HTTP from the real server.
#include <catch2/catch.hpp>

#include <cpl_vsi.h>
#include <gdal.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <tuple>

#include "data/db.hpp"
#include "server/basemap_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"
#include "tiles/gzip.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using test::http;
using test::HttpResult;
using test::json;

namespace {

// An MBTiles file with the metadata given and tiles (z, x, tms_row, bytes), written through
// a scratch gridmap database that attaches it.
void write_mbtiles(const test::TempDir& dir, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& metadata,
                   const std::vector<std::tuple<int, int, int, std::string>>& tiles) {
  test::write_file(path, "");
  data::Db scratch = data::Db::open(dir.file("scratch.sqlite"));
  data::Statement attach(scratch, "ATTACH DATABASE ?1 AS m");
  attach.bind(1, path).run();
  scratch.exec(
      "CREATE TABLE m.metadata (name TEXT, value TEXT);"
      "CREATE TABLE m.tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data "
      "BLOB);");
  data::Statement meta(scratch, "INSERT INTO m.metadata VALUES (?1, ?2)");
  for (const auto& [k, v] : metadata) meta.bind(1, k).bind(2, v).run();
  data::Statement put(scratch, "INSERT INTO m.tiles VALUES (?1, ?2, ?3, ?4)");
  for (const auto& [z, x, row, bytes] : tiles)
    put.bind(1, z).bind(2, x).bind(3, row).bind_blob(4, bytes).run();
  scratch.exec("DETACH DATABASE m");
}

}  // namespace

TEST_CASE("a raster base map serves its PNG tiles with rows flipped from TMS, under the style") {
  test::BasemapFixture f;
  std::string file = f.dir.file("raster.mbtiles");
  std::string north = test::png_tile(200, 10, 10), south = test::png_tile(10, 10, 200);
  REQUIRE(north.rfind("\x89PNG", 0) == 0);
  REQUIRE(north != south);
  // At zoom 1, XYZ row 0 (north) is TMS row 1.
  write_mbtiles(f.dir, file,
                {{"name", "test raster"},
                 {"format", "png"},
                 {"minzoom", "0"},
                 {"maxzoom", "1"},
                 {"bounds", "-180,-85,180,85"},
                 {"attribution", "made in a test"}},
                {{1, 0, 1, north}, {1, 0, 0, south}});
  test::ServerProcess server(f.db, {"--basemap", file});
  HttpResult n = f.get(server, "/basemap/1/0/0.png", {{"Accept-Encoding", "gzip"}});
  REQUIRE(n.status == 200);
  CHECK(n.headers["content-type"] == "image/png");
  CHECK(n.headers.count("content-encoding") == 0);
  CHECK(n.body == north);
  CHECK(f.get(server, "/basemap/1/0/1.png").body == south);
  std::string etag = n.headers["etag"];
  REQUIRE(etag.size() > 2);
  CHECK(f.get(server, "/basemap/1/0/0.png", {{"If-None-Match", etag}}).status == 304);
  CHECK(f.get(server, "/basemap/1/1/0.png").status == 404);  // not in the file
  CHECK(f.get(server, "/basemap/1/0/0.pbf").status == 404);  // not its format
  CHECK(f.get(server, "/basemap/1/2/0.png").status == 400);  // not a tile
  CHECK(f.get(server, "/basemap/x/0/0.png").status == 400);
  CHECK(http(server.port(), "GET", "/basemap/1/0/0.png").status == 401);  // signed in only
  auto tj = json(f.get(server, "/basemap.json"));
  CHECK(std::string(tj["format"].GetString()) == "png");
  // Relative to the server (never from the request's Host header; see --public-url).
  CHECK(std::string(tj["tiles"][0].GetString()) == "/basemap/{z}/{x}/{y}.png");
  CHECK(tj["maxzoom"].GetInt() == 1);
  auto style = json(f.get(server, "/style.json"));
  REQUIRE(style["sources"].HasMember("basemap"));
  CHECK(std::string(style["sources"]["basemap"]["type"].GetString()) == "raster");
  CHECK(style["sources"]["basemap"]["tileSize"].GetInt() == 256);
  CHECK(std::string(style["layers"][0]["id"].GetString()) == "background");
  CHECK(std::string(style["layers"][1]["id"].GetString()) == "basemap");
  CHECK(std::string(style["layers"][1]["type"].GetString()) == "raster");
}

TEST_CASE("a vector base map exported by gridmap passes its gzip tiles through, or unpacks them") {
  test::BasemapFixture f;
  std::string file = f.dir.file("grids.mbtiles");
  auto r = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "13", "--out", file, "--db", f.db});
  REQUIRE(r.exit_code == 0);
  // A tile the file has: over a household, at zoom 13.
  tiles::TileId t;
  {
    data::Db d = data::Db::open(f.db, false);
    data::Statement p(d, "SELECT X(geom), Y(geom) FROM households WHERE id = 42");
    REQUIRE(p.step());
    t = tiles::tile_at({p.real(0), p.real(1)}, 13);
  }
  std::string stored;
  {
    data::Db m = data::Db::open_readonly(file);
    data::Statement st(
        m,
        "SELECT tile_data FROM tiles WHERE zoom_level = 13 AND tile_column = ?1 AND tile_row = ?2");
    st.bind(1, static_cast<int64_t>(t.x)).bind(2, (int64_t{1} << 13) - 1 - t.y);
    REQUIRE(st.step());
    stored = st.blob(0);
  }
  test::ServerProcess server(f.db, {"--basemap", file});
  std::string target = "/basemap/13/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".pbf";
  HttpResult gz = f.get(server, target, {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz.status == 200);
  CHECK(gz.headers["content-type"] == "application/vnd.mapbox-vector-tile");
  CHECK(gz.headers["content-encoding"] == "gzip");
  CHECK(gz.body == stored);
  HttpResult plain = f.get(server, target);
  REQUIRE(plain.status == 200);
  CHECK(plain.headers.count("content-encoding") == 0);
  CHECK(tiles::gunzip(stored, plain.body.size()) == plain.body);
  CHECK(test::decode_layer(plain.body, "grids").size() > 0);
  CHECK(f.get(server, target, {{"If-None-Match", gz.headers["etag"]}}).status == 304);
  CHECK(f.get(server, "/basemap/13/0/0.pbf").status == 404);
  auto tj = json(f.get(server, "/basemap.json"));
  CHECK(std::string(tj["format"].GetString()) == "pbf");
  CHECK(tj["minzoom"].GetInt() == 10);
  std::vector<std::string> ids;
  for (const auto& l : tj["vector_layers"].GetArray()) ids.push_back(l["id"].GetString());
  // The file's own layers: grid labels start at zoom 15, past this file's zooms.
  CHECK(ids == std::vector<std::string>{"grids"});
  auto style = json(f.get(server, "/style.json"));
  CHECK(std::string(style["sources"]["basemap"]["type"].GetString()) == "vector");
  std::vector<std::string> layers;
  for (const auto& l : style["layers"].GetArray()) layers.push_back(l["id"].GetString());
  REQUIRE(layers.size() > 3);
  CHECK(std::vector<std::string>(layers.begin(), layers.begin() + 3) ==
        std::vector<std::string>{"background", "basemap-grids-fill", "basemap-grids-line"});
  CHECK(std::find(layers.begin(), layers.end(), "basemap-grids_label-fill") == layers.end());
}

TEST_CASE("without a base map the style has none and /basemap answers 404") {
  test::BasemapFixture f;
  test::ServerProcess server(f.db);
  CHECK(f.get(server, "/basemap.json").status == 404);
  CHECK(f.get(server, "/basemap/0/0/0.png").status == 404);
  auto style = json(f.get(server, "/style.json"));
  CHECK(!style["sources"].HasMember("basemap"));
  CHECK(std::string(style["layers"][1]["id"].GetString()) != "basemap");
}

TEST_CASE("a missing or invalid base map stops serve at startup with a one-line reason") {
  test::BasemapFixture f;
  std::string missing = f.dir.file("missing.mbtiles"), text = f.dir.file("text.mbtiles"),
              tiff = f.dir.file("tiff.mbtiles"), empty = f.dir.file("empty.mbtiles");
  test::write_file(text,
                   "not an sqlite file at all, but long enough to look like "
                   "one.......................................");
  write_mbtiles(f.dir, tiff, {{"format", "tiff"}}, {});
  write_mbtiles(f.dir, empty, {{"format", "png"}, {"minzoom", "nine"}}, {});
  for (const std::string& file : {missing, text, tiff, empty, f.db}) {
    auto r =
        test::run_gridmap({"serve", "--db", f.db, "--listen", "127.0.0.1:0", "--basemap", file});
    INFO(file << ": " << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}
