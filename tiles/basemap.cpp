// A base map is an MBTiles file, a foreign SQLite format (its SQL stays here, not in data/,
// which holds gridmap's own schema), or a PMTiles archive (pmtiles.hpp).
#include "tiles/basemap.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "geo/error.hpp"
#include "tiles/pmtiles.hpp"

namespace gridmap::tiles {
namespace {

data::Db open_file(const std::string& path) {
  try {
    return data::Db::open_readonly(path);
  } catch (const Error& e) {
    throw_invalid("base map " + path + ": " + e.what());
  }
}

data::Statement prepare_tiles(data::Db& db) {
  try {
    return data::Statement(db,
                           "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 "
                           "AND tile_row = ?3");
  } catch (const Error& e) {
    throw_invalid("base map " + db.path() +
                  " is not an MBTiles file (no tiles table): " + e.what());
  }
}

std::map<std::string, std::string> read_metadata(data::Db& db) {
  std::map<std::string, std::string> out;
  try {
    data::Statement st(db, "SELECT name, value FROM metadata");
    while (st.step())
      if (!st.is_null(0) && !st.is_null(1)) out[st.text(0)] = st.text(1);
  } catch (const Error& e) {
    throw_invalid("base map " + db.path() +
                  " is not an MBTiles file (no metadata table): " + e.what());
  }
  return out;
}

int zoom_of(const std::map<std::string, std::string>& meta, const char* key, int fallback,
            const std::string& path) {
  auto it = meta.find(key);
  if (it == meta.end()) return fallback;
  try {
    size_t used = 0;
    int z = std::stoi(it->second, &used);
    if (used == it->second.size() && z >= 0 && z <= 24) return z;
  } catch (const std::exception&) {
  }
  throw_invalid("base map " + path + ": metadata " + std::string(key) + " '" + it->second +
                "' is not a zoom from 0 to 24");
}

// West, south, east, north when they make a box on the globe.
std::optional<Box> box_of(const double (&v)[4]) {
  if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 || v[0] >= v[2] || v[1] >= v[3])
    return std::nullopt;
  return Box{v[0], v[1], v[2], v[3]};
}

std::optional<Box> bounds_of(const std::map<std::string, std::string>& meta) {
  auto it = meta.find("bounds");
  if (it == meta.end()) return std::nullopt;
  double v[4];
  const char* p = it->second.c_str();
  for (int i = 0; i < 4; ++i) {
    char* end = nullptr;
    v[i] = std::strtod(p, &end);
    if (end == p || !std::isfinite(v[i])) return std::nullopt;  // unreadable: no bounds
    p = end;
    if (i < 3 && *p++ != ',') return std::nullopt;
  }
  return box_of(v);
}

// The layer ids of a TileJSON-like object's `vector_layers`.
std::vector<std::string> vector_layers_in(const rapidjson::Value& d) {
  std::vector<std::string> out;
  if (!d.IsObject() || !d.HasMember("vector_layers") || !d["vector_layers"].IsArray()) return out;
  for (const auto& l : d["vector_layers"].GetArray())
    if (l.IsObject() && l.HasMember("id") && l["id"].IsString())
      out.emplace_back(l["id"].GetString());
  return out;
}

std::vector<std::string> vector_layers_of(const std::map<std::string, std::string>& meta) {
  auto it = meta.find("json");
  if (it == meta.end()) return {};
  rapidjson::Document d;
  d.Parse(it->second.c_str());
  if (d.HasParseError()) return {};
  return vector_layers_in(d);
}

// The width of a PNG tile, from its header (IHDR follows the 8-byte signature).
std::optional<int> png_width(const std::string& head) {
  if (head.size() < 24 || head.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(head[i])); };
  uint32_t width = byte(16) << 24 | byte(17) << 16 | byte(18) << 8 | byte(19);
  if (width != 256 && width != 512) return std::nullopt;
  return static_cast<int>(width);
}

// The width of the first tile.
std::optional<int> png_tile_size(data::Db& db) {
  data::Statement st(db, "SELECT substr(tile_data, 1, 24) FROM tiles LIMIT 1");
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return png_width(st.blob(0));
}

bool starts_as_pmtiles(const std::string& path) {
  char magic[7] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, sizeof magic) && std::string_view(magic, sizeof magic) == "PMTiles";
}

BasemapInfo mbtiles_info(data::Db& db, const std::string& path) {
  BasemapInfo info;
  auto meta = read_metadata(db);
  auto format = meta.find("format");
  if (format == meta.end())
    throw_invalid("base map " + path + " has no format in its metadata (png, jpg, webp or pbf)");
  info.format = format->second == "jpeg" ? "jpg" : format->second;
  if (info.format != "png" && info.format != "jpg" && info.format != "webp" && info.format != "pbf")
    throw_invalid("base map " + path + " has tiles of format '" + format->second +
                  "'; gridmap serves png, jpg, webp and pbf");
  info.name = meta.count("name") ? meta["name"] : "base map";
  info.attribution = meta.count("attribution") ? meta["attribution"] : "";
  info.minzoom = zoom_of(meta, "minzoom", 0, path);
  info.maxzoom = zoom_of(meta, "maxzoom", 14, path);
  if (info.minzoom > info.maxzoom)
    throw_invalid("base map " + path + ": minzoom is above maxzoom in its metadata");
  info.bounds = bounds_of(meta);
  if (info.format == "pbf") info.vector_layers = vector_layers_of(meta);
  if (info.format == "png") info.tile_size = png_tile_size(db).value_or(256);
  return info;
}

// What the header says, then the JSON metadata: name, attribution, vector_layers.
BasemapInfo pmtiles_info(const pmtiles::Archive& archive, const std::string& path) {
  using pmtiles::Compression;
  const pmtiles::Header& h = archive.header();
  BasemapInfo info;
  switch (h.tile_type) {
    case pmtiles::TileType::mvt:
      info.format = "pbf";
      break;
    case pmtiles::TileType::png:
      info.format = "png";
      break;
    case pmtiles::TileType::jpeg:
      info.format = "jpg";
      break;
    case pmtiles::TileType::webp:
      info.format = "webp";
      break;
    default:
      throw_invalid("base map " + path + " has tiles of type " +
                    std::to_string(static_cast<int>(h.tile_type)) +
                    " (not MVT, PNG, JPEG or WebP); gridmap serves png, jpg, webp and pbf");
  }
  // Vector tiles are served gzip-compressed or plain, as the handler finds them; raster
  // tiles as they are.
  bool served = h.tile_compression == Compression::none ||
                h.tile_compression == Compression::unknown ||
                (h.tile_compression == Compression::gzip && !info.raster());
  if (!served)
    throw_invalid("base map " + path + " has " + info.format + " tiles compressed with " +
                  (h.tile_compression == Compression::gzip     ? "gzip"
                   : h.tile_compression == Compression::brotli ? "brotli"
                                                               : "zstd") +
                  "; gridmap serves gzip-compressed vector tiles and uncompressed tiles");
  if (h.max_zoom > 24)
    throw_invalid("base map " + path + ": zooms " + std::to_string(h.min_zoom) + " to " +
                  std::to_string(h.max_zoom) + " in its header; gridmap serves zooms 0 to 24");
  info.minzoom = h.min_zoom;
  info.maxzoom = h.max_zoom;
  double v[4] = {h.min_lon_e7 / 1e7, h.min_lat_e7 / 1e7, h.max_lon_e7 / 1e7, h.max_lat_e7 / 1e7};
  info.bounds = box_of(v);
  rapidjson::Document meta;
  meta.Parse(archive.metadata().c_str());
  if (meta.HasParseError() || !meta.IsObject())
    throw_invalid("base map " + path + ": its metadata is not a JSON object");
  auto text = [&](const char* key, const char* fallback) {
    auto it = meta.FindMember(key);
    return it != meta.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                          : std::string(fallback);
  };
  info.name = text("name", "base map");
  info.attribution = text("attribution", "");
  if (info.format == "pbf") info.vector_layers = vector_layers_in(meta);
  if (info.format == "png") {
    auto first = archive.first_tile();
    info.tile_size = first ? png_width(*first).value_or(256) : 256;
  }
  return info;
}

}  // namespace

struct Basemap::Mbtiles {
  explicit Mbtiles(const std::string& path) : db(open_file(path)), tile(prepare_tiles(db)) {}
  std::mutex lock;  // one connection, one reader at a time
  data::Db db;
  data::Statement tile;
};

std::string BasemapInfo::content_type() const {
  if (format == "png") return "image/png";
  if (format == "jpg") return "image/jpeg";
  if (format == "webp") return "image/webp";
  return "application/vnd.mapbox-vector-tile";
}

Basemap::Basemap(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".pmtiles" || starts_as_pmtiles(path)) {
    try {
      pmtiles_ = std::make_unique<const pmtiles::Archive>(path);
    } catch (const Error& e) {
      throw_invalid("base map " + path + ": " + e.what());
    }
    info_ = pmtiles_info(*pmtiles_, path);
  } else {
    mbtiles_ = std::make_unique<Mbtiles>(path);
    info_ = mbtiles_info(mbtiles_->db, path);
  }
}

Basemap::~Basemap() = default;

std::optional<std::string> Basemap::tile(TileId t) const {
  if (!is_valid(t)) return std::nullopt;
  if (pmtiles_) return pmtiles_->tile(t);
  int64_t row = (int64_t{1} << t.z) - 1 - t.y;  // TMS counts rows from the south
  std::lock_guard l(mbtiles_->lock);
  data::Statement& st = mbtiles_->tile;
  st.bind(1, t.z).bind(2, static_cast<int64_t>(t.x)).bind(3, row);
  std::optional<std::string> out;
  if (st.step()) out = st.blob(0);
  st.reset();
  return out;
}

std::string Basemap::tile_url(const std::string& base_url) const {
  return base_url + "/basemap/{z}/{x}/{y}." + info_.format;
}

std::string Basemap::tilejson(const std::string& base_url) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("tilejson");
  w.String("3.0.0");
  w.Key("name");
  w.String(info_.name.c_str());
  if (!info_.attribution.empty()) {
    w.Key("attribution");
    w.String(info_.attribution.c_str());
  }
  w.Key("scheme");
  w.String("xyz");
  w.Key("format");
  w.String(info_.format.c_str());
  w.Key("tiles");
  w.StartArray();
  w.String(tile_url(base_url).c_str());
  w.EndArray();
  w.Key("minzoom");
  w.Int(info_.minzoom);
  w.Key("maxzoom");
  w.Int(info_.maxzoom);
  if (info_.bounds) {
    w.Key("bounds");
    w.StartArray();
    for (double v : {info_.bounds->min_lon, info_.bounds->min_lat, info_.bounds->max_lon,
                     info_.bounds->max_lat})
      w.Double(v);
    w.EndArray();
  }
  // TileJSON 3.0.0 requires vector_layers for vector tiles; ids are enough to draw them.
  if (!info_.raster()) {
    w.Key("vector_layers");
    w.StartArray();
    for (const std::string& id : info_.vector_layers) {
      w.StartObject();
      w.Key("id");
      w.String(id.c_str());
      w.Key("fields");
      w.StartObject();
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return buf.GetString();
}

}  // namespace gridmap::tiles
