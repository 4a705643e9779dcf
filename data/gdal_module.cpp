// Entry point of libgridmap_gdal.so (see gdal_module.hpp). Its other symbols of gridmap
// (Db, the repositories, geos, crs) come from the program that opens it.
#include "data/gdal_module.hpp"

extern "C" const gridmap::data::gdal::ModuleApi* gridmap_gdal_module() {
  using namespace gridmap::data;
  static const gdal::ModuleApi api{
      gdal::kModuleVersion, sizeof(ImportOptions), sizeof(ImportReport), sizeof(ExportOptions),
      sizeof(Db),           &gdal::import_layer,   &gdal::export_layer,  &gdal::sheet_xlsx,
      &gdal::read_sheet};
  return &api;
}
