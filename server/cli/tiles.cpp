// gridmap tiles export --layer L --minzoom A --maxzoom B --out FILE.mbtiles|.pmtiles [--threads N]
// --db FILE
#include <chrono>
#include <iostream>

#include "data/db.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"
#include "tiles/batch_heap.hpp"
#include "tiles/layers.hpp"
#include "tiles/mbtiles.hpp"

namespace gridmap::cli {

const CommandSpec& tiles_spec() {
  static const CommandSpec spec{
      "tiles",
      "tiles   export --layer LAYER --minzoom A --maxzoom B --out FILE.mbtiles|.pmtiles [--threads "
      "N]\n"
      "        --db FILE",
      {{"--db", "FILE", "the database", ""},
       {"--layer", "LAYER", "the layer to export", ""},
       {"--minzoom", "A", "the lowest zoom", "0"},
       {"--maxzoom", "B", "the highest zoom", "14"},
       {"--out", "FILE",
        "the file to write (replaced): .mbtiles, or .pmtiles for a PMTiles v3 archive", ""},
       {"--threads", "N", "threads building tiles", "one per core"}}};
  return spec;
}

int cmd_tiles(const Args& args) {
  if (args.positional().size() != 1 || args.positional()[0] != "export")
    throw_invalid("tiles: the only subcommand is 'export'");
  tiles::MbtilesOptions o;
  std::string layer = args.require("--layer");
  auto l = data::parse_layer(layer);
  if (!l)
    throw_invalid("unknown layer '" + layer +
                  "' (use subdistricts, communities, grids, workers, households or petitions)");
  o.layer = *l;
  o.minzoom =
      static_cast<int>(args.integer("--minzoom", 0, tiles::kMinTileZoom, tiles::kMaxTileZoom));
  o.maxzoom =
      static_cast<int>(args.integer("--maxzoom", 14, tiles::kMinTileZoom, tiles::kMaxTileZoom));
  if (o.minzoom > o.maxzoom) throw_invalid("--minzoom must not be above --maxzoom");
  o.out = args.require("--out");
  o.threads = static_cast<int>(args.integer("--threads", 0, 0, 256));  // 0: one per core
  o.now = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  tiles::use_batch_heap();  // a batch job: see batch_heap.hpp
  Progress progress("exporting " + layer + " tiles");
  o.progress = [&progress](int64_t done, int64_t total) { progress(done, total); };
  data::Db db = data::Db::open(args.db(), false);
  tiles::MbtilesResult r = tiles::export_mbtiles(db, o);
  progress.finish();
  std::cout << "exported " << r.tiles << " " << layer << " tiles (zoom " << o.minzoom << "-"
            << o.maxzoom << ", " << r.bytes << " bytes, " << r.empty << " empty left out) to "
            << o.out << "\n";
  return 0;
}

}  // namespace gridmap::cli
