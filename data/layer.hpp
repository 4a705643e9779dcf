// The six public layers named on the command line and in the HTTP API.
#pragma once

#include <optional>
#include <string_view>

namespace gridmap::data {

enum class Layer { subdistricts, communities, grids, workers, households, petitions };

std::optional<Layer> parse_layer(std::string_view name) noexcept;
std::string_view to_string(Layer layer) noexcept;
bool is_area(Layer layer) noexcept;  // subdistricts, communities, grids
// The layer an area's parent code refers to (communities -> subdistricts, grids -> communities).
std::optional<Layer> parent_of(Layer layer) noexcept;

}  // namespace gridmap::data
