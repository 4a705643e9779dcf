// serve --basemap FILE.pmtiles: a PMTiles archive exported by `gridmap tiles export` answers
// like the MBTiles file of the same tiles; a small raster archive made here; a damaged
// archive stops the server at startup.
#include <catch2/catch.hpp>

#include <cpl_vsi.h>
#include <gdal.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>

#include "data/db.hpp"
#include "server/basemap_support.hpp"
#include "support/test_support.hpp"
#include "tiles/decode.hpp"
#include "tiles/gzip.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using test::http;
using test::HttpResult;
using test::json;

namespace {

tiles::TileId tile_over_household(const std::string& db, int z) {
  data::Db d = data::Db::open(db, false);
  data::Statement p(d, "SELECT X(geom), Y(geom) FROM households WHERE id = 42");
  REQUIRE(p.step());
  return tiles::tile_at({p.real(0), p.real(1)}, z);
}

}  // namespace

TEST_CASE("a vector PMTiles base map answers like the MBTiles file of the same tiles") {
  test::BasemapFixture f;
  std::string pm = f.dir.file("grids.pmtiles"), mb = f.dir.file("grids.mbtiles");
  f.export_tiles(pm);
  f.export_tiles(mb);
  tiles::TileId t = tile_over_household(f.db, 13);
  std::string target = "/basemap/13/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".pbf";
  std::string stored = *tiles::pmtiles::Archive(pm).tile(t);
  // One server per database file: the MBTiles one serves a copy.
  std::string copy = f.dir.file("copy.sqlite");
  std::filesystem::copy_file(f.db, copy);
  test::ServerProcess pms(f.db, {"--basemap", pm});
  test::ServerProcess mbs(copy, {"--basemap", mb});
  for (const auto& [accept, encoding] :
       {std::pair<std::string, std::string>{"gzip", "gzip"}, {"identity", ""}}) {
    INFO("Accept-Encoding: " << accept);
    HttpResult p = f.get(pms, target, {{"Accept-Encoding", accept}});
    HttpResult m = f.get(mbs, target, {{"Accept-Encoding", accept}});
    REQUIRE(p.status == 200);
    CHECK(p.body == m.body);
    CHECK(p.headers["content-type"] == "application/vnd.mapbox-vector-tile");
    CHECK(p.headers.count("content-encoding") == m.headers.count("content-encoding"));
    CHECK(p.headers["etag"] == m.headers["etag"]);
    CHECK(p.headers["cache-control"] == m.headers["cache-control"]);
    if (!encoding.empty()) {
      CHECK(p.headers["content-encoding"] == encoding);
      CHECK(p.body == stored);  // passed through
    } else {
      CHECK(p.headers.count("content-encoding") == 0);
      CHECK(tiles::gunzip(stored, p.body.size()) == p.body);
      CHECK(test::decode_layer(p.body, "grids").size() > 0);
    }
  }
  HttpResult gz = f.get(pms, target, {{"Accept-Encoding", "gzip"}});
  CHECK(f.get(pms, target, {{"If-None-Match", gz.headers["etag"]}}).status == 304);
  CHECK(f.get(pms, "/basemap/13/0/0.pbf").status == 404);  // not in the file
  CHECK(
      f.get(pms, "/basemap/9/" + std::to_string(t.x / 16) + "/" + std::to_string(t.y / 16) + ".pbf")
          .status == 404);                                 // below its zooms
  CHECK(f.get(pms, "/basemap/13/0/0.png").status == 404);  // not its format
  CHECK(f.get(pms, "/basemap/13/99999/0.pbf").status == 400);
  CHECK(http(pms.port(), "GET", target).status == 401);
  // The same TileJSON and style as for the MBTiles file, but for the bounds: degrees
  // times 10^7 in a PMTiles header, 6 decimals in MBTiles metadata.
  auto same_but_bounds = [](rapidjson::Value& a, rapidjson::Value& b) {
    REQUIRE(a["bounds"].Size() == 4);
    REQUIRE(b["bounds"].Size() == 4);
    for (rapidjson::SizeType i = 0; i < 4; ++i)
      CHECK(a["bounds"][i].GetDouble() == Approx(b["bounds"][i].GetDouble()).margin(1e-6));
    a.RemoveMember("bounds");
    b.RemoveMember("bounds");
    CHECK(a == b);
  };
  auto pj = json(f.get(pms, "/basemap.json")), mj = json(f.get(mbs, "/basemap.json"));
  same_but_bounds(pj, mj);
  CHECK(std::string(pj["format"].GetString()) == "pbf");
  CHECK(pj["minzoom"].GetInt() == 10);
  CHECK(pj["maxzoom"].GetInt() == 13);
  REQUIRE(pj["vector_layers"].Size() == 1);
  CHECK(std::string(pj["vector_layers"][0]["id"].GetString()) == "grids");
  auto ps = json(f.get(pms, "/style.json")), ms = json(f.get(mbs, "/style.json"));
  same_but_bounds(ps["sources"]["basemap"], ms["sources"]["basemap"]);
  CHECK(ps["layers"] == ms["layers"]);
}

TEST_CASE("a raster PMTiles base map serves its PNG tiles as stored") {
  test::BasemapFixture f;
  std::string file = f.dir.file("raster.pmtiles");
  std::string north = test::png_tile(200, 10, 10), south = test::png_tile(10, 10, 200);
  {
    tiles::pmtiles::Writer w(file);
    w.put({1, 0, 0}, north);
    w.put({1, 0, 1}, south);
    tiles::TileSetInfo info;
    info.name = "test raster";
    info.format = "png";
    info.attribution = "made in a test";
    info.bounds = {-180, -85, 180, 85};
    info.json = "{}";
    w.finish(info);
    CHECK(w.header().tile_type == tiles::pmtiles::TileType::png);
    CHECK(w.header().tile_compression == tiles::pmtiles::Compression::none);
  }
  test::ServerProcess server(f.db, {"--basemap", file});
  HttpResult n = f.get(server, "/basemap/1/0/0.png", {{"Accept-Encoding", "gzip"}});
  REQUIRE(n.status == 200);
  CHECK(n.headers["content-type"] == "image/png");
  CHECK(n.headers.count("content-encoding") == 0);
  CHECK(n.body == north);
  CHECK(f.get(server, "/basemap/1/0/1.png").body == south);
  CHECK(f.get(server, "/basemap/1/1/0.png").status == 404);
  auto tj = json(f.get(server, "/basemap.json"));
  CHECK(std::string(tj["format"].GetString()) == "png");
  CHECK(std::string(tj["name"].GetString()) == "test raster");
  CHECK(std::string(tj["attribution"].GetString()) == "made in a test");
  CHECK(tj["minzoom"].GetInt() == 1);
  CHECK(tj["maxzoom"].GetInt() == 1);
  auto style = json(f.get(server, "/style.json"));
  CHECK(std::string(style["sources"]["basemap"]["type"].GetString()) == "raster");
  CHECK(style["sources"]["basemap"]["tileSize"].GetInt() == 256);
}

TEST_CASE("a truncated or damaged PMTiles base map stops serve at startup with a one-line reason") {
  test::BasemapFixture f;
  std::string good_file = f.dir.file("grids.pmtiles");
  f.export_tiles(good_file);
  std::string good = test::read_file(good_file);
  tiles::pmtiles::Header h = tiles::pmtiles::Archive(good_file).header();
  auto variant = [&](const std::string& name, std::string bytes) {
    std::string path = f.dir.file(name);
    test::write_file(path, bytes);
    return path;
  };
  std::string past_end = good;  // the tile data said to run 1 byte further
  tiles::pmtiles::Header longer = h;
  ++longer.data_length;
  past_end.replace(0, tiles::pmtiles::kHeaderSize, tiles::pmtiles::encode_header(longer));
  std::string bad_root = good;  // the root directory's gzip damaged
  for (size_t i = 0; i < 8; ++i) bad_root[h.root_offset + h.root_length / 2 + i] ^= 0x5a;
  std::string v2 = good;
  v2[7] = 2;
  std::string brotli = good;  // tiles compressed in a way gridmap does not serve
  brotli[98] = 3;
  const std::string files[] = {
      variant("truncated.pmtiles", good.substr(0, good.size() - 10)),
      variant("header-only.pmtiles", good.substr(0, 100)),
      variant("past-end.pmtiles", past_end),
      variant("bad-root.pmtiles", bad_root),
      variant("version2.pmtiles", v2),
      variant("brotli.pmtiles", brotli),
      variant("text.pmtiles", "this is not a PMTiles archive"),
      variant("misnamed.mbtiles", good.substr(0, good.size() / 2)),  // found by its magic
  };
  for (const std::string& file : files) {
    auto r =
        test::run_gridmap({"serve", "--db", f.db, "--listen", "127.0.0.1:0", "--basemap", file});
    INFO(file << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  // The intact file under another name is found by its magic, too.
  std::string renamed = variant("grids.bin", good);
  test::ServerProcess server(f.db, {"--basemap", renamed});
  CHECK(json(f.get(server, "/basemap.json"))["minzoom"].GetInt() == 10);
}
