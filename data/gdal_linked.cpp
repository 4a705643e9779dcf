// data::import_layer, data::export_layer and data::sheet_xlsx for programs that link GDAL (tests,
// tools): straight calls of the implementations (see gdal_module.hpp).
#include "data/gdal_module.hpp"

namespace gridmap::data {

ImportReport import_layer(Db& db, const ImportOptions& options) {
  return gdal::import_layer(db, options);
}

int64_t export_layer(Db& db, const ExportOptions& options) {
  return gdal::export_layer(db, options);
}

std::string sheet_xlsx(const Sheet& sheet) {
  return gdal::sheet_xlsx(sheet);
}

Sheet read_sheet(const std::string& path) {
  return gdal::read_sheet(path);
}

}  // namespace gridmap::data
