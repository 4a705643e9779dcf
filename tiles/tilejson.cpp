#include "tiles/tilejson.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "data/petition_types.hpp"
#include "tiles/basemap.hpp"
#include "tiles/layers.hpp"

namespace gridmap::tiles {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void raw(Writer& w, std::string_view json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}
double round6(double v) {
  return std::round(v * 1e6) / 1e6;
}

std::string tile_url(data::Layer layer, const std::string& base, const std::string& query) {
  std::string url = base + "/tiles/" + std::string(data::to_string(layer)) + "/{z}/{x}/{y}.mvt";
  if (!query.empty()) url += "?" + query;
  return url;
}

void write_bounds(Writer& w, Box b) {
  key(w, "bounds");
  w.StartArray();
  for (double v : {b.min_lon, b.min_lat, b.max_lon, b.max_lat}) w.Double(round6(v));
  w.EndArray();
}

// A zoom at which the whole box fits in about two 512-pixel tiles.
int fitting_zoom(Box b) {
  double span = std::max(b.max_lon - b.min_lon, 1e-6);
  return std::clamp(static_cast<int>(std::floor(std::log2(360.0 / span))) + 1, 0, 16);
}

void vector_layer(Writer& w, const VectorLayerInfo& v, bool types) {
  w.StartObject();
  key(w, "id");
  str(w, v.id);
  key(w, "description");
  str(w, v.description);
  key(w, "minzoom");
  w.Int(v.minzoom);
  key(w, "maxzoom");
  w.Int(v.maxzoom);
  key(w, "fields");
  w.StartObject();
  for (const FieldInfo& f : v.fields) {
    key(w, f.name);
    str(w, types ? f.type : f.description);
  }
  w.EndObject();
  w.EndObject();
}

void vector_layers(Writer& w, data::Layer layer, bool types) {
  key(w, "vector_layers");
  w.StartArray();
  for (const VectorLayerInfo& v : layer_info(layer).vector_layers) vector_layer(w, v, types);
  w.EndArray();
}

// Everything of a TileJSON document up to its vector_layers.
void tilejson_head(Writer& w, std::string_view name, std::string_view description,
                   const std::string& url, int minzoom, int maxzoom, Box b) {
  key(w, "tilejson");
  str(w, "3.0.0");
  key(w, "name");
  str(w, name);
  key(w, "description");
  str(w, description);
  key(w, "scheme");
  str(w, "xyz");
  key(w, "tiles");
  w.StartArray();
  str(w, url);
  w.EndArray();
  key(w, "minzoom");
  w.Int(minzoom);
  key(w, "maxzoom");
  w.Int(maxzoom);
  write_bounds(w, b);
  key(w, "center");
  w.StartArray();
  w.Double(round6((b.min_lon + b.max_lon) / 2));
  w.Double(round6((b.min_lat + b.max_lat) / 2));
  w.Int(fitting_zoom(b));
  w.EndArray();
}

// Drawing of each layer: fills and lines for areas, circles for points.
// Open cases by how urgent their state is; closed (and anything unlisted) grey.
std::optional<std::string_view> status_colour(data::Status s) {
  switch (s) {
    case data::Status::reported:
      return "#d7301f";
    case data::Status::dispatched:
      return "#fc8d59";
    case data::Status::in_progress:
      return "#fdcc8a";
    case data::Status::pending_review:
      return "#6a51a3";
    case data::Status::registered:
      return "#e34a33";
    case data::Status::verified:
      return "#9e9ac8";
    case data::Status::suspended:
      return "#636363";
    case data::Status::closed:
    case data::Status::rejected:
    case data::Status::withdrawn:
      return std::nullopt;
  }
  return std::nullopt;
}

// The petitions point layer, its colour a match on the status.
const std::string& petitions_point_style() {
  static const std::string style = [] {
    std::string s =
        R"({"id":"petitions","type":"circle","source":"petitions","source-layer":"petitions",)"
        R"("paint":{"circle-radius":5,"circle-stroke-width":1,"circle-stroke-color":"#ffffff",)"
        R"("circle-color":["match",["get","status"],)";
    for (data::Status st : data::kAllStatuses)
      if (auto c =
              status_colour(st))  // appended: GCC 12 -O3 warns falsely of "\"" + ... (-Wrestrict)
        s.append("\"").append(data::to_string(st)).append("\",\"").append(*c).append("\",");
    return s + R"("#999999"]}})";
  }();
  return style;
}

std::vector<std::string_view> style_layers(data::Layer l) {
  switch (l) {
    case data::Layer::subdistricts:
      return {
          R"({"id":"subdistricts-line","type":"line","source":"subdistricts","source-layer":"subdistricts",)"
          R"("paint":{"line-color":"#5a3d8a","line-width":["interpolate",["linear"],["zoom"],8,1.5,14,3]}})"};
    case data::Layer::communities:
      return {
          R"({"id":"communities-line","type":"line","source":"communities","source-layer":"communities",)"
          R"("minzoom":10,"paint":{"line-color":"#2f6f9f","line-width":1.5,"line-dasharray":[3,2]}})"};
    case data::Layer::grids:
      return {
          R"({"id":"grids-fill","type":"fill","source":"grids","source-layer":"grids","minzoom":12,)"
          R"("paint":{"fill-color":"#8fbf8f","fill-opacity":0.12}})",
          R"({"id":"grids-line","type":"line","source":"grids","source-layer":"grids","minzoom":12,)"
          R"("paint":{"line-color":"#4f8f4f","line-width":0.8}})"};
    case data::Layer::households:
      return {
          R"({"id":"households","type":"circle","source":"households","source-layer":"households",)"
          R"("paint":{"circle-radius":2,"circle-color":"#777777"}})"};
    case data::Layer::petitions:
      return {
          R"({"id":"petitions-clusters","type":"circle","source":"petitions","source-layer":"petitions_clusters",)"
          R"("paint":{"circle-radius":["interpolate",["linear"],["sqrt",["get","count"]],1,4,100,30],)"
          R"("circle-color":["case",[">",["get","overdue"],0],"#d7301f","#fc8d59"],"circle-opacity":0.7,)"
          R"("circle-stroke-width":1,"circle-stroke-color":"#ffffff"}})",
          petitions_point_style()};
    case data::Layer::workers:
      return {
          R"({"id":"workers","type":"circle","source":"workers","source-layer":"workers",)"
          R"("paint":{"circle-radius":6,"circle-stroke-width":2,"circle-stroke-color":"#ffffff",)"
          R"("circle-color":["case",["get","on_duty"],"#1a9850","#bdbdbd"]}})"};
  }
  return {};
}

// Names of areas from their label points: subdistricts at low zoom, communities in the
// middle, grids (their code when unnamed) close up.
struct LabelStyle {
  data::Layer layer;
  int minzoom, maxzoom;
  double size;
  const char* colour;
};
constexpr LabelStyle kLabels[] = {
    {data::Layer::subdistricts, label_minzoom(data::Layer::subdistricts), 13, 16, "#3f2a66"},
    {data::Layer::communities, label_minzoom(data::Layer::communities), 16, 13, "#1f4f73"},
    {data::Layer::grids, label_minzoom(data::Layer::grids), 24, 11, "#2f5f2f"},
};

void label_layer(Writer& w, const LabelStyle& l, const std::string& font) {
  std::string name(data::to_string(l.layer));
  w.StartObject();
  key(w, "id");
  str(w, name + "-label");
  key(w, "type");
  str(w, "symbol");
  key(w, "source");
  str(w, name);
  key(w, "source-layer");
  str(w, name + "_label");
  key(w, "minzoom");
  w.Int(l.minzoom);
  key(w, "maxzoom");
  w.Int(l.maxzoom);
  key(w, "layout");
  w.StartObject();
  key(w, "text-field");
  raw(w, R"(["coalesce",["get","name"],["get","code"]])");
  key(w, "text-font");
  w.StartArray();
  str(w, font);
  w.EndArray();
  key(w, "text-size");
  w.Double(l.size);
  key(w, "text-max-width");
  w.Int(8);
  w.EndObject();
  key(w, "paint");
  w.StartObject();
  key(w, "text-color");
  str(w, l.colour);
  key(w, "text-halo-color");
  str(w, "#ffffff");
  key(w, "text-halo-width");
  w.Double(1.5);
  w.EndObject();
  w.EndObject();
}

void basemap_source(Writer& w, const BasemapInfo& b, const std::string& base_url) {
  key(w, "basemap");
  w.StartObject();
  key(w, "type");
  str(w, b.raster() ? "raster" : "vector");
  key(w, "tiles");
  w.StartArray();
  str(w, base_url + "/basemap/{z}/{x}/{y}." + b.format);
  w.EndArray();
  if (b.raster()) {
    key(w, "tileSize");
    w.Int(b.tile_size);
  }
  key(w, "minzoom");
  w.Int(b.minzoom);
  key(w, "maxzoom");
  w.Int(b.maxzoom);
  if (b.bounds) write_bounds(w, *b.bounds);
  if (!b.attribution.empty()) {
    key(w, "attribution");
    str(w, b.attribution);
  }
  w.EndObject();
}

// A raster base map as it is; a vector one in muted generic layers (areas and lines of
// every layer its metadata lists; points are left out), since its schema is unknown.
void basemap_layers(Writer& w, const BasemapInfo& b) {
  if (b.raster()) {
    raw(w, R"({"id":"basemap","type":"raster","source":"basemap"})");
    return;
  }
  for (const std::string& id : b.vector_layers) {
    for (bool fill : {true, false}) {
      w.StartObject();
      key(w, "id");
      str(w, "basemap-" + id + (fill ? "-fill" : "-line"));
      key(w, "type");
      str(w, fill ? "fill" : "line");
      key(w, "source");
      str(w, "basemap");
      key(w, "source-layer");
      str(w, id);
      key(w, "filter");
      raw(w, fill ? R"(["match",["geometry-type"],["Polygon","MultiPolygon"],true,false])"
                  : R"(["match",["geometry-type"],["Point","MultiPoint"],false,true])");
      key(w, "paint");
      raw(w, fill ? R"({"fill-color":"#e4e0d6","fill-opacity":0.6})"
                  : R"({"line-color":"#c8c2b4","line-width":0.8})");
      w.EndObject();
    }
  }
}

}  // namespace

std::string tilejson(data::Layer layer, Box b, const std::string& base_url,
                     const std::string& query) {
  const TileLayerInfo& info = layer_info(layer);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  tilejson_head(w, "gridmap " + std::string(data::to_string(layer)), info.description,
                tile_url(layer, base_url, query), info.minzoom, info.maxzoom, b);
  vector_layers(w, layer, false);
  w.EndObject();
  return buf.GetString();
}

std::string hotspots_tilejson(Box b, const std::string& base_url, const std::string& query) {
  const VectorLayerInfo& info = hotspot_layer_info();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  std::string url = base_url + "/tiles/hotspots/{z}/{x}/{y}.mvt";
  if (!query.empty()) url += "?" + query;
  tilejson_head(w, "gridmap hotspots",
                "Hotspots (热点分析): Getis-Ord Gi* of petitions per grid; parameters from, to, "
                "category, kind, value",
                url, info.minzoom, info.maxzoom, b);
  key(w, "vector_layers");
  w.StartArray();
  vector_layer(w, info, false);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string mbtiles_json(data::Layer layer, std::span<const LayerZooms> present) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "vector_layers");
  w.StartArray();
  for (const VectorLayerInfo& v : layer_info(layer).vector_layers)
    for (const LayerZooms& z : present)
      if (z.id == v.id) {
        VectorLayerInfo clipped = v;
        clipped.minzoom = z.minzoom;
        clipped.maxzoom = z.maxzoom;
        vector_layer(w, clipped, true);
      }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string style_json(std::span<const data::Layer> layers, Box b, const std::string& base_url,
                       const StyleExtras& extras) {
  auto visible = [&](data::Layer l) {
    return std::find(layers.begin(), layers.end(), l) != layers.end();
  };
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "version");
  w.Int(8);
  key(w, "name");
  str(w, "gridmap");
  key(w, "center");
  w.StartArray();
  w.Double(round6((b.min_lon + b.max_lon) / 2));
  w.Double(round6((b.min_lat + b.max_lat) / 2));
  w.EndArray();
  key(w, "zoom");
  w.Int(fitting_zoom(b));
  if (!extras.label_font.empty()) {
    // MapLibre refuses relative glyph URLs: the origin comes from the request.
    key(w, "glyphs");
    str(w, base_url + "/fonts/{fontstack}/{range}.pbf" +
               (extras.glyphs_version.empty() ? "" : "?v=" + extras.glyphs_version));
  }
  key(w, "sources");
  w.StartObject();
  if (extras.basemap) basemap_source(w, *extras.basemap, base_url);
  for (data::Layer l : layers) {
    const TileLayerInfo& info = layer_info(l);
    key(w, data::to_string(l));
    w.StartObject();
    key(w, "type");
    str(w, "vector");
    key(w, "tiles");
    w.StartArray();
    str(w, tile_url(l, base_url, ""));
    w.EndArray();
    key(w, "minzoom");
    w.Int(info.minzoom);
    key(w, "maxzoom");
    w.Int(info.maxzoom);
    write_bounds(w, b);
    w.EndObject();
  }
  w.EndObject();
  key(w, "layers");
  w.StartArray();
  raw(w, R"({"id":"background","type":"background","paint":{"background-color":"#f4f2ec"}})");
  if (extras.basemap) basemap_layers(w, *extras.basemap);
  for (data::Layer order : tile_layers())
    if (visible(order)) {
      for (std::string_view layer : style_layers(order)) raw(w, layer);
    }
  if (!extras.label_font.empty())
    for (const LabelStyle& l : kLabels)
      if (visible(l.layer)) label_layer(w, l, extras.label_font);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace gridmap::tiles
