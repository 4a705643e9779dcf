// Export of any layer to GeoJSON, GeoPackage, Shapefile or CSV, in any supported CRS.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "geo/crs.hpp"

namespace gridmap::data {

enum class ExportFormat { geojson, gpkg, shp, csv };

std::optional<ExportFormat> parse_format(std::string_view name) noexcept;
// The format implied by a file name's extension, when it has a known one.
std::optional<ExportFormat> format_from_path(std::string_view path) noexcept;

struct ExportOptions {
  Layer layer = Layer::grids;
  std::string out;
  ExportFormat format = ExportFormat::geojson;
  crs::Crs crs;  // WGS84 unless asked
  // Called every 1000 features and after the last, with the layer's size; may be empty.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Writes every feature of the layer; returns how many. Personal data (resident records,
// reporter contacts, worker phones) is never exported. Overwrites `out`.
int64_t export_layer(Db& db, const ExportOptions& options);

}  // namespace gridmap::data
