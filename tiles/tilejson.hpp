// Descriptions of the tile sets for clients: TileJSON 3.0.0 per layer, the `json` metadata
// of MBTiles, and a MapLibre style that draws the layers a caller may see, with no URL
// outside this server (glyphs from /fonts, no sprites: nothing in it draws icons).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "data/layer.hpp"
#include "geo/types.hpp"

namespace gridmap::tiles {

struct BasemapInfo;

// `base_url` is "http://host:port" (or "" for URLs relative to the server's root);
// `query` ("status=reported", no '?') is appended to the tile URLs.
std::string tilejson(data::Layer layer, Box bounds, const std::string& base_url,
                     const std::string& query = "");
// The TileJSON of the hotspots layer; `query` as for tilejson().
std::string hotspots_tilejson(Box bounds, const std::string& base_url, const std::string& query);
// The zooms of an MBTiles file at which one of its vector layers has features.
struct LayerZooms {
  std::string_view id;
  int minzoom, maxzoom;
};
// The MBTiles `json` metadata value: {"vector_layers": [...]} with field types, for the
// vector layers the file holds, at the zooms it holds them.
std::string mbtiles_json(data::Layer layer, std::span<const LayerZooms> present);

struct StyleExtras {
  // The font family of area names, served at /fonts/{fontstack}/{range}.pbf; empty: no names.
  std::string label_font;
  std::string glyphs_version;  // the label alphabet's, in the glyphs URL (?v=); empty: none
  // A base map served at /basemap/..., drawn under everything; null: a plain background.
  const BasemapInfo* basemap = nullptr;
};

std::string style_json(std::span<const data::Layer> layers, Box bounds, const std::string& base_url,
                       const StyleExtras& extras = {});

}  // namespace gridmap::tiles
