// One function per subcommand; each file under cli/ implements one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gridmap::cli {

using ArgList = std::vector<std::string>;

int cmd_demo(const ArgList& args);
int cmd_import(const ArgList& args);
int cmd_export(const ArgList& args);
int cmd_convert(const ArgList& args);
int cmd_locate(const ArgList& args);
int cmd_nearest(const ArgList& args);
int cmd_check(const ArgList& args);
int cmd_serve(const ArgList& args);
int cmd_user(const ArgList& args);
int cmd_audit(const ArgList& args);
int cmd_tiles(const ArgList& args);
int cmd_catalogue(const ArgList& args);
int cmd_calendar(const ArgList& args);

// Progress on a terminal: "\r<label> done/total"; silent when stderr is not a terminal.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void operator()(int64_t done, int64_t total);

 private:
  std::string label_;
  bool tty_;
  int64_t last_ = -1;
  bool printed_ = false;
};

}  // namespace gridmap::cli
