// Vector tiles: cold grids tiles through TileService (build, gzip, ETag; the cache emptied
// before every run), the grids as CSV for PostGIS, and a small MVT decoder that counts
// features and vertices the same way for our tiles and PostGIS's.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <protozero/pbf_reader.hpp>
#include <sstream>
#include <vector>

#include "bench/bench.hpp"
#include "data/db.hpp"
#include "geo/error.hpp"
#include "tiles/gzip.hpp"
#include "tiles/layers.hpp"
#include "tiles/point_store.hpp"
#include "tiles/service.hpp"
#include "tiles/sources.hpp"

namespace gridmap::bench {
namespace {

using tiles::TileId;

struct LayerCount {
  size_t features = 0, vertices = 0;
};

// Features and vertices (every MoveTo and LineTo point) of each layer of an MVT tile.
std::map<std::string, LayerCount> count_tile(const std::string& mvt) {
  std::map<std::string, LayerCount> out;
  protozero::pbf_reader tile(mvt);
  while (tile.next(3)) {  // Tile.layers
    protozero::pbf_reader layer = tile.get_message();
    std::string name;
    LayerCount c;
    while (layer.next()) {
      if (layer.tag() == 1) {
        name = layer.get_string();
      } else if (layer.tag() == 2) {
        ++c.features;
        protozero::pbf_reader feature = layer.get_message();
        while (feature.next()) {
          if (feature.tag() != 4) {
            feature.skip();
            continue;
          }
          auto geometry = feature.get_packed_uint32();
          for (auto it = geometry.begin(); it != geometry.end();) {
            uint32_t cmd = *it & 7, n = *it >> 3;
            ++it;
            if (cmd == 1 || cmd == 2) {
              c.vertices += n;
              for (uint32_t k = 0; k < 2 * n && it != geometry.end(); ++k) ++it;
            } else if (cmd != 7) {
              throw_internal("mvt: unknown geometry command");
            }
          }
        }
      } else {
        layer.skip();
      }
    }
    LayerCount& total = out[name];
    total.features += c.features;
    total.vertices += c.vertices;
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw_invalid("cannot write " + path);
}

std::string tile_name(TileId t) {
  return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}

// The tiles measured at zoom z: every tile over the city when there are at most four (the
// whole-city tile at z10), else the 2 x 2 block around the city's centre.
std::vector<TileId> tiles_at(Box bounds, int z) {
  std::vector<TileId> all = tiles::tiles_covering(bounds, z);
  if (all.size() <= 4) return all;
  LonLat centre{(bounds.min_lon + bounds.max_lon) / 2, (bounds.min_lat + bounds.max_lat) / 2};
  tiles::WorldXY w = tiles::to_world(centre);
  double n = std::ldexp(1.0, z);
  auto x0 = static_cast<uint32_t>(std::floor(w.x * n - 0.5)),
       y0 = static_cast<uint32_t>(std::floor(w.y * n - 0.5));
  return {{z, x0, y0}, {z, x0 + 1, y0}, {z, x0, y0 + 1}, {z, x0 + 1, y0 + 1}};
}

}  // namespace

void run_mvt_count(const Options& o) {
  size_t features = 0, vertices = 0;
  for (const auto& [name, c] : count_tile(read_file(o.dir))) {
    std::printf("layer_%s=%zu features, %zu vertices\n", name.c_str(), c.features, c.vertices);
    features += c.features, vertices += c.vertices;
  }
  report("features", static_cast<double>(features));
  report("vertices", static_cast<double>(vertices));
}

void run_mvt(const Options& o) {
  if (o.db.empty() || o.out.empty()) throw_invalid("mvt needs --db FILE and --out DIR");
  data::Db db = data::Db::open(o.db, false);
  Box bounds = tiles::data_bounds(db);
  tiles::TileService service;
  auto request = [](TileId t) {
    tiles::TileRequest r;
    r.layer = data::Layer::grids;
    r.tile = t;
    return r;
  };
  std::vector<int> zooms;
  for (size_t at = 0; at < o.zooms.size();) {
    size_t comma = std::min(o.zooms.find(',', at), o.zooms.size());
    int z = std::atoi(o.zooms.substr(at, comma - at).c_str());
    if (z < 0 || z > tiles::kMaxTileZoom) throw_invalid("--zooms: zoom out of range");
    zooms.push_back(z);
    at = comma + 1;
  }
  // The snapshots (workers' names, household counts, the grids with their generalised
  // zoom bands) are made once per server and layer change; a cold tile in a running server
  // finds them made. Their cost is noted here, outside the measured tiles.
  {
    auto t0 = std::chrono::steady_clock::now();
    service.tile(db, request(tiles::tile_at({bounds.min_lon, bounds.min_lat}, 17)));
    note("mvt: snapshots loaded in %.1f ms",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3);
    for (int z : zooms) {
      t0 = std::chrono::steady_clock::now();
      service.tile(db, request(tiles::tile_at({bounds.min_lon, bounds.min_lat}, z)));
      note("mvt: zoom %d band (the grids generalised once for the zoom) made in %.1f ms", z,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3);
    }
    service.cache().invalidate_layer(data::Layer::grids);
  }
  for (int z : zooms) {
    std::vector<TileId> ts = tiles_at(bounds, z);
    std::string list;
    double total_s = 0;
    std::map<std::string, LayerCount> counts;
    for (TileId t : ts) {
      double best = 1e300;
      std::shared_ptr<const tiles::CachedTile> tile;
      for (int r = 0; r < o.runs; ++r) {
        service.cache().invalidate_layer(data::Layer::grids);
        auto t0 = std::chrono::steady_clock::now();
        tile = service.tile(db, request(t));
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      if (service.cache().counters().hits)
        throw_internal("mvt: a measured tile came from the cache");
      total_s += best;
      std::string raw = tile->raw_size ? tiles::gunzip(tile->gzip, tile->raw_size) : "";
      std::string file = o.out + "/" + std::to_string(t.z) + "-" + std::to_string(t.x) + "-" +
                         std::to_string(t.y) + ".mvt";
      write_file(file, raw);
      for (const auto& [name, c] : count_tile(raw)) {
        counts[name].features += c.features;
        counts[name].vertices += c.vertices;
      }
      if (!list.empty()) list += ' ';
      list += tile_name(t);
      note("mvt: %s %.3f ms, %zu bytes (gzip %zu), %zu features, %zu vertices, tolerance %g",
           tile_name(t).c_str(), best * 1e3, tile->raw_size, tile->gzip.size(),
           tile->stats.features, tile->stats.vertices, tile->stats.tolerance);
    }
    std::string z_ = "mvt_z" + std::to_string(z);
    std::printf("%s_tiles=%s\n", z_.c_str(), list.c_str());
    report(z_ + "_ms", total_s / static_cast<double>(ts.size()) * 1e3);
    LayerCount all;
    for (const auto& [name, c] : counts) {
      report(z_ + "_" + name + "_features", static_cast<double>(c.features));
      report(z_ + "_" + name + "_vertices", static_cast<double>(c.vertices));
      all.features += c.features, all.vertices += c.vertices;
    }
    report(z_ + "_features", static_cast<double>(all.features));
    report(z_ + "_vertices", static_cast<double>(all.vertices));
  }
}

void run_mvt_grids(const Options& o) {
  if (o.db.empty() || o.out.empty()) throw_invalid("mvt_grids needs --db FILE and --out FILE");
  data::Db db = data::Db::open(o.db, false);
  auto attrs = tiles::GridAttributes::load(db);
  std::ofstream out(o.out, std::ios::binary);
  out << "code,name,worker,households,wkt\n";
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  size_t n = 0;
  char buf[64];
  tiles::read_areas(db, data::Layer::grids, {-180, -90, 180, 90}, attrs.get(),
                    [&](tiles::AreaRecord& r) {
                      std::string wkt = "MULTIPOLYGON(";
                      for (size_t p = 0; p < r.polygons.size(); ++p) {
                        wkt += p ? ",(" : "(";
                        for (size_t i = 0; i < r.polygons[p].rings.size(); ++i) {
                          wkt += i ? ",(" : "(";
                          const auto& ring = r.polygons[p].rings[i];
                          for (size_t k = 0; k < ring.size(); ++k) {
                            std::snprintf(buf, sizeof buf, "%s%.17g %.17g", k ? "," : "",
                                          ring[k].lon, ring[k].lat);
                            wkt += buf;
                          }
                          wkt += ")";
                        }
                        wkt += ")";
                      }
                      wkt += ")";
                      out << quoted(r.code) << ',' << quoted(r.name) << ',' << quoted(r.workers)
                          << ',' << r.households << ',' << quoted(wkt) << '\n';
                      ++n;
                    });
  if (!out) throw_invalid("cannot write " + o.out);
  report("grids", static_cast<double>(n));
}

}  // namespace gridmap::bench
