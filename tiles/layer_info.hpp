// What each tile layer offers, for TileJSON and styles: its zoom range, vector layers and
// their fields.
#pragma once

#include <string_view>
#include <vector>

#include "data/layer.hpp"

namespace gridmap::tiles {

struct FieldInfo {
  std::string_view name, type, description;  // type: String, Number, Boolean
};

struct VectorLayerInfo {
  std::string_view id, description;
  int minzoom, maxzoom;
  std::vector<FieldInfo> fields;
};

struct TileLayerInfo {
  data::Layer layer;
  std::string_view description;
  int minzoom, maxzoom;  // advertised range; clients overzoom beyond maxzoom
  std::vector<VectorLayerInfo> vector_layers;
};

// The zoom from which an area layer's tiles carry label points: the zoom from which the
// style names that layer's areas (below it a grid's name does not fit inside the grid, and
// the points would only fatten the tiles).
constexpr int label_minzoom(data::Layer layer) {
  return layer == data::Layer::communities ? 12 : layer == data::Layer::grids ? 15 : 0;
}

const TileLayerInfo& layer_info(data::Layer layer);
const std::vector<data::Layer>& tile_layers();  // all six, in drawing order
const VectorLayerInfo& hotspot_layer_info();    // the hotspots layer (not a data layer)

}  // namespace gridmap::tiles
