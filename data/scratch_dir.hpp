// A private working directory (mkdtemp), removed with everything in it when the object goes:
// for files written on the way to something else (a backup's snapshot, an export streamed
// over HTTP).
#pragma once

#include <filesystem>
#include <string>

namespace gridmap::data {

class ScratchDir {
 public:
  // In `parent`, named "<prefix>-XXXXXX"; throws unavailable when it cannot be made.
  ScratchDir(const std::filesystem::path& parent, const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace gridmap::data
