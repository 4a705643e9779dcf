// The export formats by name and by file extension: the command line's part of export,
// kept out of the GDAL module (see gdal_module.hpp).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "data/export.hpp"

namespace gridmap::data {

std::optional<ExportFormat> parse_format(std::string_view name) noexcept {
  if (name == "geojson") return ExportFormat::geojson;
  if (name == "gpkg") return ExportFormat::gpkg;
  if (name == "shp") return ExportFormat::shp;
  if (name == "csv") return ExportFormat::csv;
  return std::nullopt;
}

std::optional<ExportFormat> format_from_path(std::string_view path) noexcept {
  std::string ext;
  try {
    ext = std::filesystem::path(path).extension().string();
  } catch (...) {
    return std::nullopt;
  }
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".geojson" || ext == ".json") return ExportFormat::geojson;
  if (ext == ".gpkg") return ExportFormat::gpkg;
  if (ext == ".shp") return ExportFormat::shp;
  if (ext == ".csv") return ExportFormat::csv;
  return std::nullopt;
}

}  // namespace gridmap::data
