// PMTiles v3: tile ids, directories, the archive `gridmap tiles export --out X.pmtiles`
// writes (the same tiles as the MBTiles export, byte for byte) and the reader the base map
// uses, which refuses damaged files instead of reading past them.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "data/db.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_math.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

struct MbtilesContent {
  std::map<std::string, std::string> meta;
  std::map<std::tuple<int, uint32_t, uint32_t>, std::string> tiles;  // XYZ
};

MbtilesContent read_mbtiles(const std::string& path) {
  MbtilesContent out;
  data::Db m = data::Db::open_readonly(path);
  data::Statement meta(m, "SELECT name, value FROM metadata");
  while (meta.step()) out.meta[meta.text(0)] = meta.text(1);
  data::Statement st(m, "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles");
  while (st.step()) {
    int z = static_cast<int>(st.int64(0));
    auto y = static_cast<uint32_t>((int64_t{1} << z) - 1 - st.int64(2));  // from TMS
    out.tiles[{z, static_cast<uint32_t>(st.int64(1)), y}] = st.blob(3);
  }
  return out;
}

std::string synthetic_blob(uint64_t i) {
  return "tile bytes " + std::to_string(i);
}

// Zooms 0 to 5 (1365 tiles) through a writer with a tiny root: leaves. Tiles of zoom 5
// with x < 8 share their bytes (runs and back references); the others are all different.
std::string leafy_archive(const test::TempDir& dir, pmtiles::Writer::Options o = {40, 8}) {
  std::string path = dir.file("leafy.pmtiles");
  pmtiles::Writer w(path, o);
  for (int z = 0; z <= 5; ++z)
    for (uint32_t x = 0; x < (1u << z); ++x)
      for (uint32_t y = 0; y < (1u << z); ++y)
        w.put({z, x, y}, z == 5 && x < 8 ? "shared" : synthetic_blob(pmtiles::tile_id({z, x, y})));
  TileSetInfo info;
  info.name = "synthetic";
  info.bounds = {-180, -85, 180, 85};
  info.json = R"({"vector_layers":[{"id":"things","fields":{}}]})";
  w.finish(info);
  CHECK(w.leaf_directories() > 1);
  return path;
}

std::string expected_leafy(TileId t) {
  return t.z == 5 && t.x < 8 ? "shared" : synthetic_blob(pmtiles::tile_id(t));
}

}  // namespace

TEST_CASE("tile ids run along the Hilbert curve of each zoom in turn") {
  CHECK(pmtiles::tile_id({0, 0, 0}) == 0);
  // The specification's order at zoom 1: north-west, south-west, south-east, north-east.
  CHECK(pmtiles::tile_id({1, 0, 0}) == 1);
  CHECK(pmtiles::tile_id({1, 0, 1}) == 2);
  CHECK(pmtiles::tile_id({1, 1, 1}) == 3);
  CHECK(pmtiles::tile_id({1, 1, 0}) == 4);
  CHECK(pmtiles::tile_id({2, 0, 0}) == 5);
  CHECK(pmtiles::tile_id({3, 0, 0}) == 21);
  for (int z = 0; z <= 5; ++z) {
    uint64_t first = ((uint64_t{1} << (2 * z)) - 1) / 3, n = uint64_t{1} << (2 * z);
    std::set<uint64_t> ids;
    for (uint64_t i = first; i < first + n; ++i) {
      TileId t = pmtiles::tile_of(i);
      REQUIRE(t.z == z);
      ids.insert(pmtiles::tile_id(t));
      // A curve: the next tile is a neighbour.
      if (i + 1 < first + n) {
        TileId next = pmtiles::tile_of(i + 1);
        int64_t dx = int64_t{next.x} - t.x, dy = int64_t{next.y} - t.y;
        CHECK(std::abs(dx) + std::abs(dy) == 1);
      }
    }
    CHECK(ids.size() == n);
    CHECK(*ids.begin() == first);
    CHECK(*ids.rbegin() == first + n - 1);
  }
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int i = 0; i < 10000; ++i) {
    int z = static_cast<int>(rng() % 25);
    TileId t{z, static_cast<uint32_t>(rng() & ((1u << z) - 1)),
             static_cast<uint32_t>(rng() & ((1u << z) - 1))};
    REQUIRE(pmtiles::tile_of(pmtiles::tile_id(t)) == t);
  }
}

TEST_CASE("a PMTiles directory comes back from its bytes and damaged bytes are refused") {
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<pmtiles::Entry> entries;
  uint64_t id = 3, offset = 0;
  for (int i = 0; i < 300; ++i) {
    pmtiles::Entry e{id, offset, 1 + static_cast<uint32_t>(rng() % 5000),
                     static_cast<uint32_t>(rng() % 4)};
    if (rng() % 3 == 0) e.offset = rng() % (offset + 1);  // back to earlier bytes
    if (e.offset == offset) offset += e.length;
    entries.push_back(e);
    id += std::max<uint64_t>(e.run_length, 1) + rng() % 3;
  }
  std::string bytes = pmtiles::encode_directory(entries);
  CHECK(pmtiles::decode_directory(bytes) == entries);
  // Every proper prefix is refused.
  for (size_t n = 0; n < bytes.size(); n += 7)
    CHECK_THROWS_AS(pmtiles::decode_directory(bytes.substr(0, n)), Error);
  // Random damage: refused or decoded, never read past the bytes.
  for (int i = 0; i < 2000; ++i) {
    std::string bad = bytes;
    bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      pmtiles::decode_directory(bad);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
    }
  }
  CHECK(pmtiles::find_entry(entries, 0) == nullptr);
  CHECK(pmtiles::find_entry(entries, entries[0].tile_id) == &entries[0]);
}

TEST_CASE("a PMTiles export holds exactly the tiles of the MBTiles export, byte for byte") {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  for (const char* layer : {"grids", "households"}) {
    INFO("layer " << layer);
    std::string mb = dir.file(std::string(layer) + ".mbtiles"),
                pm = dir.file(std::string(layer) + ".pmtiles");
    for (const std::string& out : {mb, pm}) {
      auto r = test::run_gridmap({"tiles", "export", "--layer", layer, "--minzoom", "9",
                                  "--maxzoom", "19", "--out", out, "--db", db});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    MbtilesContent m = read_mbtiles(mb);
    REQUIRE(m.tiles.size() > 100);
    pmtiles::Archive a(pm);
    const pmtiles::Header& h = a.header();
    CHECK(h.addressed_tiles == m.tiles.size());
    CHECK(h.tile_entries <= h.addressed_tiles);
    CHECK(h.tile_contents <= h.tile_entries);
    CHECK(h.clustered);
    CHECK(h.internal_compression == pmtiles::Compression::gzip);
    CHECK(h.tile_compression == pmtiles::Compression::gzip);
    CHECK(h.tile_type == pmtiles::TileType::mvt);
    CHECK(h.root_offset == pmtiles::kHeaderSize);
    CHECK(h.root_offset + h.root_length <= pmtiles::kFirstRead);
    CHECK(h.data_offset + h.data_length == std::filesystem::file_size(pm));
    CHECK(std::to_string(h.min_zoom) == m.meta["minzoom"]);
    CHECK(std::to_string(h.max_zoom) == m.meta["maxzoom"]);
    double b[4];
    REQUIRE(std::sscanf(m.meta["bounds"].c_str(), "%lf,%lf,%lf,%lf", &b[0], &b[1], &b[2], &b[3]) ==
            4);
    CHECK(h.min_lon_e7 / 1e7 == Approx(b[0]).margin(1e-6));
    CHECK(h.min_lat_e7 / 1e7 == Approx(b[1]).margin(1e-6));
    CHECK(h.max_lon_e7 / 1e7 == Approx(b[2]).margin(1e-6));
    CHECK(h.max_lat_e7 / 1e7 == Approx(b[3]).margin(1e-6));
    CHECK(std::to_string(h.center_zoom) ==
          m.meta["center"].substr(m.meta["center"].rfind(',') + 1));
    // The metadata: the MBTiles descriptions and its `json` vector_layers.
    rapidjson::Document meta, json;
    meta.Parse(a.metadata().c_str());
    json.Parse(m.meta["json"].c_str());
    REQUIRE(meta.IsObject());
    CHECK(std::string(meta["name"].GetString()) == m.meta["name"]);
    CHECK(std::string(meta["description"].GetString()) == m.meta["description"]);
    REQUIRE(meta.HasMember("vector_layers"));
    CHECK(meta["vector_layers"] == json["vector_layers"]);
    // Every tile of the MBTiles file, and none other in the same span of tiles.
    std::map<int, std::pair<uint32_t, uint32_t>> xs, ys;
    for (const auto& [key, blob] : m.tiles) {
      auto [z, x, y] = key;
      INFO(z << "/" << x << "/" << y);
      auto got = a.tile({z, x, y});
      REQUIRE(got);
      CHECK(*got == blob);
      auto& xr = xs.try_emplace(z, x, x).first->second;
      auto& yr = ys.try_emplace(z, y, y).first->second;
      xr = {std::min(xr.first, x), std::max(xr.second, x)};
      yr = {std::min(yr.first, y), std::max(yr.second, y)};
    }
    size_t absent = 0;
    for (const auto& [z, xr] : xs)
      for (uint32_t x = xr.first > 0 ? xr.first - 1 : 0; x <= xr.second + 1; ++x)
        for (uint32_t y = ys[z].first > 0 ? ys[z].first - 1 : 0; y <= ys[z].second + 1; ++y)
          if (!m.tiles.count({z, x, y})) {
            CHECK_FALSE(a.tile({z, x, y}));
            ++absent;
          }
    CHECK(absent > 0);
    CHECK_FALSE(a.tile({h.max_zoom + 1, 0, 0}));
    // Identical tiles (the inside of an area at high zooms) are stored once.
    if (std::string(layer) == "grids") CHECK(h.tile_contents < h.addressed_tiles);
    CHECK(std::filesystem::file_size(pm) < std::filesystem::file_size(mb));
  }
}

TEST_CASE("a PMTiles archive too large for its root keeps its entries in leaf directories") {
  test::TempDir dir;
  pmtiles::Archive a(leafy_archive(dir));
  const pmtiles::Header& h = a.header();
  CHECK(h.leaves_length > 0);
  CHECK(h.addressed_tiles == 1365);
  CHECK(h.tile_entries < h.addressed_tiles);       // the shared tiles run together
  CHECK(h.tile_contents == 1365 - 4 * 8 * 8 + 1);  // stored once
  CHECK(h.tile_contents < h.tile_entries);         // and referred back to
  CHECK(h.min_zoom == 0);
  CHECK(h.max_zoom == 5);
  for (int z = 0; z <= 5; ++z)
    for (uint32_t x = 0; x < (1u << z); ++x)
      for (uint32_t y = 0; y < (1u << z); ++y) {
        auto got = a.tile({z, x, y});
        REQUIRE(got);
        REQUIRE(*got == expected_leafy({z, x, y}));
      }
  CHECK_FALSE(a.tile({6, 0, 0}));
  CHECK(a.first_tile() == synthetic_blob(0));
  rapidjson::Document meta;
  meta.Parse(a.metadata().c_str());
  CHECK(std::string(meta["name"].GetString()) == "synthetic");
  CHECK(std::string(meta["vector_layers"][0]["id"].GetString()) == "things");
}

TEST_CASE("a truncated or damaged PMTiles file is refused in one line, never read past its end") {
  test::TempDir dir;
  std::string good = test::read_file(leafy_archive(dir));
  std::string path = dir.file("bad.pmtiles");
  auto refused = [&](const std::string& bytes) {
    test::write_file(path, bytes);
    try {
      pmtiles::Archive a(path);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
      return true;
    }
    return false;
  };
  for (size_t n : {size_t{0}, size_t{6}, size_t{100}, pmtiles::kHeaderSize, size_t{200},
                   good.size() / 2, good.size() - 1}) {
    INFO("truncated to " << n);
    CHECK(refused(good.substr(0, n)));
  }
  std::string v2 = good;
  v2[7] = 2;
  CHECK(refused(v2));
  CHECK(
      refused("not a PMTiles file, but long enough to hold a header........................"
              "..............................................................."));
  // Damage anywhere: refused at opening, or read without going astray: every tile is its
  // bytes, absent, or an error (a damaged leaf), never bytes from outside the file.
  uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  int opened = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bad = good;
    // Mostly the header and the directories, where offsets live.
    size_t span = i % 2 ? pmtiles::kHeaderSize : std::min<size_t>(bad.size(), 4096);
    for (int k = 0; k < 1 + i % 3; ++k) bad[rng() % span] = static_cast<char>(rng());
    if (refused(bad)) continue;
    ++opened;
    pmtiles::Archive a(path);
    for (int z = 0; z <= 5; ++z)
      for (uint32_t x = 0; x < (1u << z); x += 3)
        for (uint32_t y = 0; y < (1u << z); y += 3) {
          try {
            auto got = a.tile({z, x, y});
            if (got) CHECK(got->size() <= bad.size());
          } catch (const Error&) {
          }
        }
  }
  CHECK(opened > 0);
}

TEST_CASE("a PMTiles export that fails leaves no file, and an empty one is refused") {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  std::string out = dir.file("no-such-dir") + "/grids.pmtiles";
  auto r = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "12", "--out", out, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("cannot create " + out) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  // A directory where the file should be: not replaced, one line.
  std::string taken = dir.file("taken.pmtiles");
  std::filesystem::create_directories(taken + "/inside");
  auto t = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                              "12", "--out", taken, "--db", db});
  CHECK(t.exit_code == 2);
  CHECK(std::count(t.err.begin(), t.err.end(), '\n') == 1);
  CHECK(std::filesystem::is_directory(taken + "/inside"));
  // The grids start further in than zoom 2: nothing to write, and no file.
  std::string empty = dir.file("empty.pmtiles");
  auto e = test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "0", "--maxzoom",
                              "2", "--out", empty, "--db", db});
  CHECK(e.exit_code == 2);
  CHECK(e.err.find("no tiles") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(empty));
  // An export replaces an old file whole; a writer dropped unfinished leaves nothing.
  std::string twice = dir.file("twice.pmtiles");
  for (int i = 0; i < 2; ++i)
    REQUIRE(test::run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "12",
                               "--maxzoom", "13", "--out", twice, "--db", db})
                .exit_code == 0);
  {
    pmtiles::Writer w(dir.file("dropped.pmtiles"));
    w.put({3, 1, 1}, "bytes");
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("dropped.pmtiles")));
  CHECK(pmtiles::Archive(twice).header().min_zoom == 12);
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    INFO(f.path());
    CHECK(f.path().extension() != ".tmp");  // no temporary file left behind
  }
}
