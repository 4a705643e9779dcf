#include "server/cli/progress.hpp"

#include <unistd.h>

namespace gridmap::cli {
namespace {
constexpr auto kTerminalEvery = std::chrono::milliseconds(200);
constexpr auto kLogEvery = std::chrono::seconds(10);
}  // namespace

Progress::Progress(std::string label) : Progress(std::move(label), isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, bool terminal)
    : label_(std::move(label)), terminal_(terminal) {}

Progress::~Progress() {
  if (drawn_ && !finished_) std::fputc('\n', stderr);  // keep the last state on screen
}

void Progress::operator()(int64_t done, int64_t total) {
  done_ = done;
  total_ = total;
  reported_ = true;
  if (finished_) return;
  Clock::time_point now = Clock::now();
  if (now - last_print_ < (terminal_ ? kTerminalEvery : kLogEvery)) return;
  last_print_ = now;
  print(false);
}

void Progress::finish() {
  if (finished_ || !reported_) return;
  print(true);
  finished_ = true;
}

void Progress::print(bool finished) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  std::string line = progress_line(label_, done_, total_, elapsed, finished);
  if (terminal_) {
    // Redrawn in place; \033[K clears what a longer line before left.
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), finished ? "\n" : "");
    drawn_ = !finished;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace gridmap::cli
