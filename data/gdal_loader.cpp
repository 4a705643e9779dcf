// data::import_layer, data::export_layer and data::sheet_xlsx for the gridmap program: the GDAL
// code lives in libgridmap_gdal.so next to the executable (the build tree) or in
// ../lib/gridmap/ (installed), opened on the first call (see gdal_module.hpp), so that no
// other command pays for loading GDAL.
#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "core/self_path.hpp"
#include "data/gdal_module.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

[[noreturn]] void unusable(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::unavailable,
              "the GDAL module " + path + " that import, export and .xlsx need " + why);
}

const gdal::ModuleApi& load() {
  const std::filesystem::path installed =
      std::filesystem::path(kInstalledLibDir) / gdal::kModuleFile;
  auto found = find_near_executable({gdal::kModuleFile, installed});
  if (!found) {
    std::filesystem::path dir = executable_dir();
    unusable(
        (dir / gdal::kModuleFile).string(),
        "is missing (and is not at " + (dir / installed).lexically_normal().string() + " either)");
  }
  const std::string path = found->string();
  // Never closed: the module stays until the process ends.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    unusable(path, std::string("cannot be loaded: ").append(why ? why : "unknown error"));
  }
  auto entry = reinterpret_cast<const gdal::ModuleApi* (*)()>(dlsym(handle, gdal::kModuleEntry));
  const gdal::ModuleApi* api = entry ? entry() : nullptr;
  if (!api || api->version != gdal::kModuleVersion ||
      api->import_options_size != sizeof(ImportOptions) ||
      api->import_report_size != sizeof(ImportReport) ||
      api->export_options_size != sizeof(ExportOptions) || api->db_size != sizeof(Db))
    unusable(path, "is from another build of gridmap (rebuild both)");
  return *api;
}

const gdal::ModuleApi& module() {
  static std::mutex mutex;
  static const gdal::ModuleApi* api = nullptr;
  std::lock_guard lock(mutex);
  if (!api) api = &load();  // a failure is thrown, and the next call tries again
  return *api;
}

}  // namespace

ImportReport import_layer(Db& db, const ImportOptions& options) {
  return module().import_layer(db, options);
}

int64_t export_layer(Db& db, const ExportOptions& options) {
  return module().export_layer(db, options);
}

std::string sheet_xlsx(const Sheet& sheet) {
  return module().sheet_xlsx(sheet);
}

Sheet read_sheet(const std::string& path) {
  return module().read_sheet(path);
}

}  // namespace gridmap::data
