// Helpers shared by the tests: temporary directories and running the gridmap binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gridmap::test {

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs build/gridmap with the arguments (no shell involved) and captures its output.
RunResult run_gridmap(const std::vector<std::string>& args, const std::string& stdin_text = "");

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

}  // namespace gridmap::test
