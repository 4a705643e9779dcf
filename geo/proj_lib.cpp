#include "geo/proj_lib.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "geo/error.hpp"

namespace gridmap::proj_lib {
namespace {

// GRIDMAP_PROJ_LIBRARY is the soname CMake found (libproj.so.N).
constexpr const char* kLibrary = GRIDMAP_PROJ_LIBRARY;

template <class F>
void resolve(void* lib, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f)
    throw Error(ErrorKind::unavailable,
                std::string("PROJ (").append(kLibrary).append(") lacks ").append(name));
}

Api load() {
  void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);  // never closed
  if (!lib) {
    const char* why = dlerror();
    throw Error(ErrorKind::unavailable,
                std::string("cannot load PROJ: ").append(why ? why : kLibrary));
  }
  Api a{};
  resolve(lib, a.context_create, "proj_context_create");
  resolve(lib, a.context_destroy, "proj_context_destroy");
  resolve(lib, a.log_level, "proj_log_level");
  resolve(lib, a.create_crs_to_crs, "proj_create_crs_to_crs");
  resolve(lib, a.normalize_for_visualization, "proj_normalize_for_visualization");
  resolve(lib, a.destroy, "proj_destroy");
  resolve(lib, a.coord, "proj_coord");
  resolve(lib, a.trans, "proj_trans");
  resolve(lib, a.geod_init, "geod_init");
  resolve(lib, a.geod_inverse, "geod_inverse");
  resolve(lib, a.geod_polygon_init, "geod_polygon_init");
  resolve(lib, a.geod_polygon_addpoint, "geod_polygon_addpoint");
  resolve(lib, a.geod_polygon_compute, "geod_polygon_compute");
  return a;
}

}  // namespace

const Api& api() {
  static const Api a = load();
  return a;
}

const Api& api_or_abort() noexcept {
  try {
    return api();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridmap: %s\n", e.what());
    std::abort();
  }
}

}  // namespace gridmap::proj_lib
