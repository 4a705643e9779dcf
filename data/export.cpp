#include "data/export.hpp"

#include "geo/error.hpp"

namespace gridmap::data {

std::optional<ExportFormat> parse_format(std::string_view) noexcept { return std::nullopt; }
std::optional<ExportFormat> format_from_path(std::string_view) noexcept { return std::nullopt; }
int64_t export_layer(Db&, const ExportOptions&) {
  throw Error(ErrorKind::unavailable, "export is not built yet");
}

}  // namespace gridmap::data
