#include "data/scratch_dir.hpp"

#include <stdlib.h>

#include "geo/error.hpp"

namespace gridmap::data {

ScratchDir::ScratchDir(const std::filesystem::path& parent, const std::string& prefix) {
  std::string pattern = (parent / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data()))
    throw Error(ErrorKind::unavailable, "cannot make a working directory in " + parent.string());
  dir_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace gridmap::data
