#include "data/layer.hpp"

namespace gridmap::data {

std::optional<Layer> parse_layer(std::string_view n) noexcept {
  if (n == "subdistricts") return Layer::subdistricts;
  if (n == "communities") return Layer::communities;
  if (n == "grids") return Layer::grids;
  if (n == "workers") return Layer::workers;
  if (n == "households") return Layer::households;
  if (n == "petitions") return Layer::petitions;
  return std::nullopt;
}

std::string_view to_string(Layer l) noexcept {
  switch (l) {
    case Layer::subdistricts: return "subdistricts";
    case Layer::communities: return "communities";
    case Layer::grids: return "grids";
    case Layer::workers: return "workers";
    case Layer::households: return "households";
    case Layer::petitions: return "petitions";
  }
  return "";
}

bool is_area(Layer l) noexcept {
  return l == Layer::subdistricts || l == Layer::communities || l == Layer::grids;
}

std::optional<Layer> parent_of(Layer l) noexcept {
  if (l == Layer::communities) return Layer::subdistricts;
  if (l == Layer::grids) return Layer::communities;
  return std::nullopt;
}

}  // namespace gridmap::data
