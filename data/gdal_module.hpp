// The GDAL edge of gridmap as a module of its own. Linking GDAL costs every start of the
// program a tenth of a second (the dynamic loader maps and relocates its ~100 libraries),
// and only `import` and `export` use it; so import.cpp, export.cpp and gdal_util.cpp are
// built into libgridmap_gdal.so, which the gridmap program opens next to itself on the first
// import or export (gdal_loader.cpp). Tests and other programs may link the same code
// instead (gridmap_gdal_linked, gdal_linked.cpp). Either way data::import_layer,
// data::export_layer and data::sheet_xlsx are the interface; this header is for the two bindings
// only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "data/export.hpp"
#include "data/import.hpp"
#include "data/stats.hpp"

namespace gridmap::data::gdal {

// The implementations behind data::import_layer and data::export_layer.
ImportReport import_layer(Db& db, const ImportOptions& options);
int64_t export_layer(Db& db, const ExportOptions& options);
std::string sheet_xlsx(const Sheet& sheet);
Sheet read_sheet(const std::string& path);

// What the module hands out. The module is built with the program from the same sources;
// the sizes catch a module left over from another build.
struct ModuleApi {
  int version;
  std::size_t import_options_size, import_report_size, export_options_size, db_size;
  ImportReport (*import_layer)(Db&, const ImportOptions&);
  int64_t (*export_layer)(Db&, const ExportOptions&);
  std::string (*sheet_xlsx)(const Sheet&);
  Sheet (*read_sheet)(const std::string&);
};
inline constexpr int kModuleVersion = 3;
inline constexpr const char* kModuleFile = "libgridmap_gdal.so";
inline constexpr const char* kModuleEntry = "gridmap_gdal_module";

}  // namespace gridmap::data::gdal

// The module's one exported symbol (kModuleEntry).
extern "C" const gridmap::data::gdal::ModuleApi* gridmap_gdal_module();
