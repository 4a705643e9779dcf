#include "core/self_path.hpp"

#include <system_error>

namespace gridmap {

std::filesystem::path executable_dir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || !exe.is_absolute()) return {};
  return exe.parent_path();
}

std::optional<std::filesystem::path> find_near_executable(
    std::initializer_list<std::filesystem::path> candidates) {
  std::filesystem::path dir = executable_dir();
  if (dir.empty()) return std::nullopt;
  for (const std::filesystem::path& relative : candidates) {
    std::filesystem::path path = (dir / relative).lexically_normal();
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
  }
  return std::nullopt;
}

}  // namespace gridmap
