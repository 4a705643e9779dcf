// Where the running program's own files are. gridmap is relocatable: it finds its web map and
// its GDAL module relative to its executable (/proc/self/exe), in the build tree's layout
// (build/gridmap, build/web, build/libgridmap_gdal.so) or in the installed one (the install
// rules in the top-level CMakeLists.txt), whatever the prefix.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace gridmap {

// The installed layout, relative to the directory of the program (PREFIX/bin).
inline constexpr std::string_view kInstalledLibDir = "../lib/gridmap";     // the GDAL module
inline constexpr std::string_view kInstalledDataDir = "../share/gridmap";  // web/

// The directory of the running executable, symbolic links resolved; empty when
// /proc/self/exe cannot be read.
std::filesystem::path executable_dir();

// The first of `candidates` (paths relative to executable_dir()) that exists, in normal form;
// nullopt when none does or the executable's directory is unknown.
std::optional<std::filesystem::path> find_near_executable(
    std::initializer_list<std::filesystem::path> candidates);

}  // namespace gridmap
