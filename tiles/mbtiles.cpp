// MBTiles files are a foreign SQLite format (the MBTiles 1.3 spec): their SQL stays here,
// not in data/, which holds gridmap's own schema.
#include "tiles/mbtiles.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <protozero/pbf_reader.hpp>

#include "geo/error.hpp"
#include "tiles/area_store.hpp"
#include "tiles/batch_heap.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/pmtiles.hpp"
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
    // A new file written once: no journal and no syncing (a failed export deletes it).
    db.exec("PRAGMA mbtiles.journal_mode = OFF; PRAGMA mbtiles.synchronous = OFF");
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

// The tiles go into the attached file's `tiles` table in the transaction opened here; the
// metadata and the commit come last.
class MbtilesSink final : public TileSink {
 public:
  MbtilesSink(data::Db& db, const std::string& path) : db_(db), file_(db, path) {
    file_.begin();
    db.exec(
        "CREATE TABLE mbtiles.metadata (name TEXT NOT NULL, value TEXT);"
        "CREATE TABLE mbtiles.tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, "
        "tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);"
        "CREATE UNIQUE INDEX mbtiles.tile_index ON tiles (zoom_level, tile_column, tile_row);");
    put_.emplace(db,
                 "INSERT INTO mbtiles.tiles (zoom_level, tile_column, tile_row, tile_data) "
                 "VALUES (?1, ?2, ?3, ?4)");
  }

  void put(TileId t, std::string_view blob) override {
    int64_t row = (int64_t{1} << t.z) - 1 - t.y;  // TMS counts rows from the south
    put_->bind(1, t.z).bind(2, static_cast<int64_t>(t.x)).bind(3, row).bind_blob(4, blob).run();
  }

  void finish(const TileSetInfo& s) override {
    const std::pair<std::string, std::string> metadata[] = {
        {"name", s.name},
        {"format", s.format},
        {"type", s.type},
        {"version", s.version},
        {"description", s.description},
        {"bounds", number(s.bounds.min_lon) + "," + number(s.bounds.min_lat) + "," +
                       number(s.bounds.max_lon) + "," + number(s.bounds.max_lat)},
        {"center",
         number(s.center.lon) + "," + number(s.center.lat) + "," + std::to_string(s.center_zoom)},
        {"minzoom", std::to_string(s.minzoom)},
        {"maxzoom", std::to_string(s.maxzoom)},
        {"json", s.json},
    };
    put_.reset();
    data::Statement meta(db_, "INSERT INTO mbtiles.metadata (name, value) VALUES (?1, ?2)");
    for (const auto& [k, v] : metadata) meta.bind(1, k).bind(2, v).run();
    if (!s.attribution.empty()) meta.bind(1, "attribution").bind(2, s.attribution).run();
    file_.commit();
  }

 private:
  data::Db& db_;
  Attached file_;
  std::optional<data::Statement> put_;  // finalized before the file is detached
};

bool is_pmtiles(const std::string& path) {
  return std::filesystem::path(path).extension() == ".pmtiles";
}

}  // namespace

MbtilesResult export_mbtiles(data::Db& db, const MbtilesOptions& o) {
  if (o.minzoom < kMinTileZoom || o.maxzoom > kMaxTileZoom || o.minzoom > o.maxzoom)
    throw_invalid("zooms must satisfy 0 <= minzoom <= maxzoom <= " + std::to_string(kMaxTileZoom));
  if (o.out.empty()) throw_invalid("--out needs a file name");
  if (is_pmtiles(o.out)) {
    // Written next to the target and renamed over it when complete.
    pmtiles::Writer sink(o.out);
    return export_tiles(db, o, sink);
  }
  std::error_code ec;
  std::filesystem::remove(o.out, ec);
  if (ec) throw Error(ErrorKind::unavailable, "cannot replace " + o.out + ": " + ec.message());
  // An empty file is an empty SQLite database; ATTACH on a connection opened without
  // SQLITE_OPEN_CREATE can open it but not create it.
  if (!std::ofstream(o.out, std::ios::binary))
    throw Error(ErrorKind::unavailable, "cannot create " + o.out);
  try {
    MbtilesSink sink(db, o.out);
    return export_tiles(db, o, sink);
  } catch (...) {
    // Half a file is of no use to anyone.
    std::filesystem::remove(o.out, ec);
    throw;
  }
}

MbtilesResult export_tiles(data::Db& db, const MbtilesOptions& o, TileSink& sink) {
  if (o.minzoom < kMinTileZoom || o.maxzoom > kMaxTileZoom || o.minzoom > o.maxzoom)
    throw_invalid("zooms must satisfy 0 <= minzoom <= maxzoom <= " + std::to_string(kMaxTileZoom));
  Box bounds = data_bounds(db);
  int64_t total = 0;
  for (int z = o.minzoom; z <= o.maxzoom; ++z)
    total += static_cast<int64_t>(tiles_covering(bounds, z).size());

  // The same in-memory snapshots the server uses, read once for all the tiles.
  TileSnapshots snapshots;
  if (o.layer == data::Layer::petitions || o.layer == data::Layer::households) {
    auto store = PointStore::load(db, o.layer, size_t{20'000'000});
    (o.layer == data::Layer::petitions ? snapshots.petitions : snapshots.households) = store;
  }
  bool areas = data::is_area(o.layer);
  unsigned cores = o.threads > 0 ? static_cast<unsigned>(o.threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  // The bands of the zooms (areas only), made on first use; several threads make different
  // zooms at once.
  std::atomic<int> next_band = std::min(o.maxzoom, AreaStore::kMaxBandZoom);
  auto make_bands = [&](const AreaStore* store) {
    try {
      for (int z; store && (z = next_band.fetch_sub(1)) >= o.minzoom;) store->band(z);
    } catch (...) {
      // A band that failed is made again, and the error told, when a tile needs it.
    }
  };
  // With a core to spare, the grids' attributes (workers' names, household counts) load on
  // a connection of their own while this one reads the shapes; then that thread makes bands.
  std::promise<const AreaStore*> shapes;  // set once the shapes are read (null: none)
  std::exception_ptr attributes_failed;
  std::jthread attributes;
  if (o.layer == data::Layer::grids && cores > 1)
    attributes = std::jthread([&, read = shapes.get_future()]() mutable {
      prepare_thread_heap();
      try {
        data::Db own = data::Db::open(db.path(), false);
        snapshots.grids = GridAttributes::load(own);
      } catch (...) {
        attributes_failed = std::current_exception();
      }
      make_bands(read.get());
    });
  try {
    if (areas) snapshots.areas = AreaStore::load(db, o.layer, size_t{50'000'000});
  } catch (...) {
    shapes.set_value(nullptr);
    throw;
  }
  shapes.set_value(snapshots.areas.get());
  // Tiles built from snapshots read nothing from the database, so the machine's cores can
  // build them while this thread writes; anything read with SQL is built here, in turn.
  bool from_memory =
      areas ? snapshots.areas != nullptr : (snapshots.petitions || snapshots.households);
  unsigned helpers = from_memory ? cores - 1 : 0;
  {
    std::vector<std::jthread> bands;
    if (snapshots.areas)
      for (unsigned h = attributes.joinable() ? 1 : 0; h < helpers; ++h)
        bands.emplace_back([&] {
          prepare_thread_heap();
          make_bands(snapshots.areas.get());
        });
    if (o.layer == data::Layer::grids && !attributes.joinable())
      snapshots.grids = GridAttributes::load(db);
    make_bands(snapshots.areas.get());
  }
  if (attributes.joinable()) attributes.join();
  if (attributes_failed) std::rethrow_exception(attributes_failed);

  struct Built {
    std::string blob;  // gzip-compressed; empty for an empty tile
    bool rows = false;
    uint32_t layers = 0;  // bit i: vector layer i of the layer's info is in the tile
  };
  const auto& vector_layers = layer_info(o.layer).vector_layers;
  // The vector layers a tile holds, by their names (field 1 of each layer, field 3).
  auto layers_in = [&](const std::string& mvt) {
    uint32_t bits = 0;
    protozero::pbf_reader tile(mvt);
    while (tile.next(3)) {
      protozero::pbf_reader l = tile.get_message();
      while (l.next(1)) {
        protozero::data_view view = l.get_view();
        std::string_view name(view.data(), view.size());
        for (size_t i = 0; i < vector_layers.size() && i < 32; ++i)
          if (vector_layers[i].id == name) bits |= uint32_t{1} << i;
        break;
      }
    }
    return bits;
  };
  std::vector<std::pair<int, int>> seen(vector_layers.size(), {kMaxTileZoom + 1, -1});
  std::pair<int, int> tile_zooms{kMaxTileZoom + 1, -1};
  auto build = [&](TileId t) {
    TileRequest req;
    req.layer = o.layer;
    req.tile = t;
    req.now = o.now;
    req.budget = std::chrono::minutes(10);  // offline: no request waits for it
    BuiltTile tile = build_tile(db, req, snapshots);
    Built b;
    b.rows = tile.stats.rows > 0;
    if (!tile.mvt.empty()) {
      b.blob = gzip(tile.mvt, 6);
      b.layers = layers_in(tile.mvt);
    }
    return b;
  };
  MbtilesResult r;
  int64_t done = 0;
  auto write = [&](int z, std::span<const TileId> ids, std::span<const Built> built) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (built[i].blob.empty()) {
        ++r.empty;
      } else {
        sink.put(ids[i], built[i].blob);
        ++r.tiles;
        r.bytes += static_cast<int64_t>(built[i].blob.size());
        tile_zooms = {std::min(tile_zooms.first, z), std::max(tile_zooms.second, z)};
        for (size_t l = 0; l < seen.size(); ++l)
          if (built[i].layers & (uint32_t{1} << l))
            seen[l] = {std::min(seen[l].first, z), std::max(seen[l].second, z)};
      }
      if (o.progress) o.progress(++done, total);
    }
  };
  // Zoom by zoom: the helpers (and this thread, once it has written the zoom before) build
  // the zoom's tiles in any order; they are written in order. An area tile's buffered box
  // holds its children's, so the children of an area tile that read no rows are empty too
  // and are not built. (Points are not skipped: clusters have no buffer, single points do.)
  auto key = [](uint32_t x, uint32_t y) { return (uint64_t{x} << 32) | y; };
  std::unordered_set<uint64_t> no_rows;
  std::vector<TileId> ids, prev_ids;
  std::vector<Built> built, prev_built;
  int prev_z = -1;
  for (int z = o.minzoom; z <= o.maxzoom; ++z) {
    ids.clear();
    std::unordered_set<uint64_t> skipped;
    for (TileId t : tiles_covering(bounds, z)) {
      if (areas && z > o.minzoom && no_rows.count(key(t.x / 2, t.y / 2))) {
        skipped.insert(key(t.x, t.y));
        ++r.empty;
        if (o.progress) o.progress(++done, total);
        continue;
      }
      ids.push_back(t);
    }
    built.assign(ids.size(), Built{});
    std::atomic<size_t> next{0};
    std::exception_ptr failed;
    std::mutex failed_lock;
    auto work = [&] {
      try {
        for (size_t i; (i = next.fetch_add(1)) < ids.size();) built[i] = build(ids[i]);
      } catch (...) {
        std::lock_guard l(failed_lock);
        if (!failed) failed = std::current_exception();
        next = ids.size();
      }
    };
    {
      std::vector<std::jthread> pool;
      for (unsigned h = 0; h < helpers; ++h)
        pool.emplace_back([&] {
          prepare_thread_heap();
          work();
        });
      if (prev_z >= 0) write(prev_z, prev_ids, prev_built);
      work();
    }
    if (failed) std::rethrow_exception(failed);
    no_rows = std::move(skipped);
    for (size_t i = 0; i < ids.size(); ++i)
      if (!built[i].rows) no_rows.insert(key(ids[i].x, ids[i].y));
    prev_ids.swap(ids);
    prev_built.swap(built);
    prev_z = z;
  }
  if (prev_z >= 0) write(prev_z, prev_ids, prev_built);
  // The metadata says what the file holds: the zooms that have tiles, and only the vector
  // layers found in them, each at the zooms it is found at.
  std::string layer(data::to_string(o.layer));
  int min_zoom = o.minzoom, max_zoom = o.maxzoom;
  std::vector<LayerZooms> present;
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i].first <= seen[i].second)
      present.push_back({layer_info(o.layer).vector_layers[i].id, seen[i].first, seen[i].second});
  if (tile_zooms.first <= tile_zooms.second) std::tie(min_zoom, max_zoom) = tile_zooms;
  TileSetInfo info;
  info.name = "gridmap " + layer;
  info.description = std::string(layer_info(o.layer).description);
  info.bounds = bounds;
  info.center = {(bounds.min_lon + bounds.max_lon) / 2, (bounds.min_lat + bounds.max_lat) / 2};
  info.center_zoom = std::clamp(12, min_zoom, max_zoom);
  info.minzoom = min_zoom;
  info.maxzoom = max_zoom;
  info.json = mbtiles_json(o.layer, present);
  sink.finish(info);
  return r;
}

}  // namespace gridmap::tiles
