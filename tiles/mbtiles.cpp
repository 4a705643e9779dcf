#include "tiles/mbtiles.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "geo/error.hpp"
#include "tiles/area_store.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/point_store.hpp"
#include "tiles/tilejson.hpp"

namespace gridmap::tiles {
namespace {

// The MBTiles file is attached to the gridmap connection as `mbtiles`, written in one
// deferred transaction (only the new file is locked for writing), and detached.
class Attached {
 public:
  Attached(data::Db& db, const std::string& path) : db_(db) {
    data::Statement st(db, "ATTACH DATABASE ?1 AS mbtiles");
    st.bind(1, path).run();
  }
  ~Attached() {
    try {
      if (open_) db_.exec("ROLLBACK");
      db_.exec("DETACH DATABASE mbtiles");
    } catch (const std::exception&) {
      // Nothing more to do: the file is incomplete and the caller reports the first error.
    }
  }
  void begin() {
    db_.exec("BEGIN");
    open_ = true;
  }
  void commit() {
    db_.exec("COMMIT");
    open_ = false;
  }

 private:
  data::Db& db_;
  bool open_ = false;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

}  // namespace

MbtilesResult export_mbtiles(data::Db& db, const MbtilesOptions& o) {
  if (o.minzoom < kMinTileZoom || o.maxzoom > kMaxTileZoom || o.minzoom > o.maxzoom)
    throw_invalid("zooms must satisfy 0 <= minzoom <= maxzoom <= " + std::to_string(kMaxTileZoom));
  if (o.out.empty()) throw_invalid("--out needs a file name");
  std::error_code ec;
  std::filesystem::remove(o.out, ec);
  if (ec) throw Error(ErrorKind::unavailable, "cannot replace " + o.out + ": " + ec.message());
  // An empty file is an empty SQLite database; ATTACH on a connection opened without
  // SQLITE_OPEN_CREATE can open it but not create it.
  if (!std::ofstream(o.out, std::ios::binary))
    throw Error(ErrorKind::unavailable, "cannot create " + o.out);
  Box bounds = data_bounds(db);
  int64_t total = 0;
  for (int z = o.minzoom; z <= o.maxzoom; ++z)
    total += static_cast<int64_t>(tiles_covering(bounds, z).size());

  Attached file(db, o.out);
  file.begin();
  db.exec(
      "CREATE TABLE mbtiles.metadata (name TEXT NOT NULL, value TEXT);"
      "CREATE TABLE mbtiles.tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, "
      "tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);"
      "CREATE UNIQUE INDEX mbtiles.tile_index ON tiles (zoom_level, tile_column, tile_row);");
  std::string layer(data::to_string(o.layer));
  const std::pair<std::string, std::string> metadata[] = {
      {"name", "gridmap " + layer},
      {"format", "pbf"},
      {"type", "overlay"},
      {"version", "1"},
      {"description", std::string(layer_info(o.layer).description)},
      {"bounds", number(bounds.min_lon) + "," + number(bounds.min_lat) + "," +
                     number(bounds.max_lon) + "," + number(bounds.max_lat)},
      {"center", number((bounds.min_lon + bounds.max_lon) / 2) + "," +
                     number((bounds.min_lat + bounds.max_lat) / 2) + "," +
                     std::to_string(std::clamp(12, o.minzoom, o.maxzoom))},
      {"minzoom", std::to_string(o.minzoom)},
      {"maxzoom", std::to_string(o.maxzoom)},
      {"json", mbtiles_json(o.layer)},
  };
  data::Statement meta(db, "INSERT INTO mbtiles.metadata (name, value) VALUES (?1, ?2)");
  for (const auto& [k, v] : metadata) meta.bind(1, k).bind(2, v).run();

  data::Statement put(db,
                      "INSERT INTO mbtiles.tiles (zoom_level, tile_column, tile_row, tile_data) "
                      "VALUES (?1, ?2, ?3, ?4)");
  // The same in-memory snapshots the server uses, read once for all the tiles.
  TileSnapshots snapshots;
  if (o.layer == data::Layer::petitions || o.layer == data::Layer::households) {
    auto store = PointStore::load(db, o.layer, size_t{20'000'000});
    (o.layer == data::Layer::petitions ? snapshots.petitions : snapshots.households) = store;
  }
  if (o.layer == data::Layer::grids) snapshots.grids = GridAttributes::load(db);
  if (data::is_area(o.layer)) snapshots.areas = AreaStore::load(db, o.layer, size_t{50'000'000});
  MbtilesResult r;
  int64_t done = 0;
  // An area tile's buffered box holds its children's, so the children of an area tile that
  // read no rows are empty too and are not built. (Points are not skipped: clusters have no
  // buffer, single points do.)
  auto key = [](uint32_t x, uint32_t y) { return (uint64_t{x} << 32) | y; };
  std::unordered_set<uint64_t> no_rows, parents_without_rows;
  bool areas = data::is_area(o.layer);
  for (int z = o.minzoom; z <= o.maxzoom; ++z) {
    parents_without_rows.swap(no_rows);
    no_rows.clear();
    for (TileId t : tiles_covering(bounds, z)) {
      if (areas && z > o.minzoom && parents_without_rows.count(key(t.x / 2, t.y / 2))) {
        ++r.empty;
        no_rows.insert(key(t.x, t.y));
        if (o.progress) o.progress(++done, total);
        continue;
      }
      TileRequest req;
      req.layer = o.layer;
      req.tile = t;
      req.now = o.now;
      req.budget = std::chrono::minutes(10);  // offline: no request waits for it
      BuiltTile built = build_tile(db, req, snapshots);
      if (built.stats.rows == 0) no_rows.insert(key(t.x, t.y));
      if (built.mvt.empty()) {
        ++r.empty;
      } else {
        std::string blob = gzip(built.mvt, 6);
        int64_t row = (int64_t{1} << z) - 1 - t.y;  // TMS counts rows from the south
        put.bind(1, z).bind(2, static_cast<int64_t>(t.x)).bind(3, row).bind_blob(4, blob).run();
        ++r.tiles;
        r.bytes += static_cast<int64_t>(blob.size());
      }
      if (o.progress) o.progress(++done, total);
    }
  }
  file.commit();
  return r;
}

}  // namespace gridmap::tiles
