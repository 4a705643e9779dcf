// Progress of a long command on stderr: done/total, percent, rate and ETA. On a terminal one
// line redrawn in place (at most five times a second); otherwise a plain line every ten
// seconds and one at the end, for logs.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gridmap::cli {

// "0.2 s", "11 s", "3 min 20 s", "2 h 05 min".
inline std::string progress_duration(double seconds) {
  seconds = std::max(0.0, seconds);
  auto s = static_cast<long long>(std::llround(seconds));
  char buf[48];
  if (seconds < 9.95)
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  else if (s < 60)
    std::snprintf(buf, sizeof buf, "%lld s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lld min %lld s", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", s / 3600, s % 3600 / 60);
  return buf;
}

// Three significant digits: "52100/s", "12.3/s", "0.25/s".
inline std::string progress_rate(double per_second) {
  char buf[48];
  if (per_second >= 100) {
    double scale = std::pow(10.0, std::floor(std::log10(per_second)) - 2);
    std::snprintf(buf, sizeof buf, "%.0f/s", std::round(per_second / scale) * scale);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g/s", per_second);
  }
  return buf;
}

// "importing households: 412000/1000000 (41%) 52100/s, ETA 11 s" while running;
// "... 1000000/1000000 (100%) 52100/s, done in 19 s" at the end; without a total
// (total <= 0) just the count and the rate. `elapsed` counts from the start.
inline std::string progress_line(std::string_view label, int64_t done, int64_t total,
                                 double elapsed, bool finished = false) {
  // (Appended piece by piece, not "literal" + string: GCC 12 at -O3 warns falsely of
  // overlapping copies in that form, and the benchmarks build with -O3.)
  std::string out(label);
  out.append(": ").append(std::to_string(done));
  if (total > 0) {
    int64_t pct = std::min<int64_t>(100, done * 100 / total);
    out.append("/").append(std::to_string(total)).append(" (").append(std::to_string(pct)).append("%)");
  }
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  if (done > 0 && elapsed > 0) out.append(" ").append(progress_rate(rate));
  if (finished)
    out.append(done > 0 && elapsed > 0 ? ", done in " : " done in ").append(progress_duration(elapsed));
  else if (total > 0 && done < total && rate > 0)
    out.append(", ETA ").append(progress_duration(static_cast<double>(total - done) / rate));
  return out;
}

class Progress {
 public:
  explicit Progress(std::string label);  // a terminal when stderr is one
  Progress(std::string label, bool terminal);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void operator()(int64_t done, int64_t total);
  // The last line, once the work is done (not when it failed: nothing is printed then).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void print(bool finished);

  std::string label_;
  bool terminal_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_ = start_;
  int64_t done_ = 0, total_ = 0;
  bool reported_ = false, drawn_ = false, finished_ = false;
};

}  // namespace gridmap::cli
