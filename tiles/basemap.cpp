// A base map is an MBTiles file, a foreign SQLite format: its SQL stays here, not in data/,
// which holds gridmap's own schema.
#include "tiles/basemap.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "geo/error.hpp"

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
  if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 || v[0] >= v[2] || v[1] >= v[3])
    return std::nullopt;
  return Box{v[0], v[1], v[2], v[3]};
}

std::vector<std::string> vector_layers_of(const std::map<std::string, std::string>& meta) {
  std::vector<std::string> out;
  auto it = meta.find("json");
  if (it == meta.end()) return out;
  rapidjson::Document d;
  d.Parse(it->second.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("vector_layers") ||
      !d["vector_layers"].IsArray())
    return out;
  for (const auto& l : d["vector_layers"].GetArray())
    if (l.IsObject() && l.HasMember("id") && l["id"].IsString())
      out.emplace_back(l["id"].GetString());
  return out;
}

// The width of the first tile, from its PNG header (IHDR follows the 8-byte signature).
std::optional<int> png_tile_size(data::Db& db) {
  data::Statement st(db, "SELECT substr(tile_data, 1, 24) FROM tiles LIMIT 1");
  if (!st.step() || st.is_null(0)) return std::nullopt;
  std::string head = st.blob(0);
  if (head.size() < 24 || head.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(head[i])); };
  uint32_t width = byte(16) << 24 | byte(17) << 16 | byte(18) << 8 | byte(19);
  if (width != 256 && width != 512) return std::nullopt;
  return static_cast<int>(width);
}

}  // namespace

std::string BasemapInfo::content_type() const {
  if (format == "png") return "image/png";
  if (format == "jpg") return "image/jpeg";
  if (format == "webp") return "image/webp";
  return "application/vnd.mapbox-vector-tile";
}

Basemap::Basemap(const std::string& path) : db_(open_file(path)), tile_(prepare_tiles(db_)) {
  auto meta = read_metadata(db_);
  auto format = meta.find("format");
  if (format == meta.end())
    throw_invalid("base map " + path + " has no format in its metadata (png, jpg, webp or pbf)");
  info_.format = format->second == "jpeg" ? "jpg" : format->second;
  if (info_.format != "png" && info_.format != "jpg" && info_.format != "webp" &&
      info_.format != "pbf")
    throw_invalid("base map " + path + " has tiles of format '" + format->second +
                  "'; gridmap serves png, jpg, webp and pbf");
  info_.name = meta.count("name") ? meta["name"] : "base map";
  info_.attribution = meta.count("attribution") ? meta["attribution"] : "";
  info_.minzoom = zoom_of(meta, "minzoom", 0, path);
  info_.maxzoom = zoom_of(meta, "maxzoom", 14, path);
  if (info_.minzoom > info_.maxzoom)
    throw_invalid("base map " + path + ": minzoom is above maxzoom in its metadata");
  info_.bounds = bounds_of(meta);
  if (info_.format == "pbf") info_.vector_layers = vector_layers_of(meta);
  if (info_.format == "png") info_.tile_size = png_tile_size(db_).value_or(256);
}

std::optional<std::string> Basemap::tile(TileId t) const {
  if (!is_valid(t)) return std::nullopt;
  int64_t row = (int64_t{1} << t.z) - 1 - t.y;  // TMS counts rows from the south
  std::lock_guard l(lock_);
  tile_.bind(1, t.z).bind(2, static_cast<int64_t>(t.x)).bind(3, row);
  std::optional<std::string> out;
  if (tile_.step()) out = tile_.blob(0);
  tile_.reset();
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
