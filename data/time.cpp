#include "data/time.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace gridmap::data {

int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

bool take_int(std::string_view& s, size_t digits, int& out) {
  if (s.size() < digits) return false;
  for (size_t i = 0; i < digits; ++i)  // digits only: from_chars would take a sign
    if (s[i] < '0' || s[i] > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + digits, out);
  if (ec != std::errc() || p != s.data() + digits) return false;
  s.remove_prefix(digits);
  return true;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

std::optional<int64_t> parse_time(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  if (s.find('-') == std::string_view::npos) {  // epoch seconds
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
    return std::nullopt;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!take_int(s, 4, y) || !take_char(s, '-') || !take_int(s, 2, mo) || !take_char(s, '-') ||
      !take_int(s, 2, d))
    return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return std::nullopt;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
  if (!s.empty() && (s.front() == 'T' || s.front() == ' ')) {
    s.remove_prefix(1);
    if (!take_int(s, 2, h) || !take_char(s, ':') || !take_int(s, 2, mi)) return std::nullopt;
    if (take_char(s, ':') && !take_int(s, 2, sec)) return std::nullopt;
    if (!s.empty() && s.front() == '.') {  // fractional seconds are dropped
      s.remove_prefix(1);
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') s.remove_prefix(1);
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  int64_t offset = 8 * 3600;  // China Standard Time unless a zone is given
  if (take_char(s, 'Z')) {
    offset = 0;
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
    int oh, om = 0;
    if (!take_int(s, 2, oh)) return std::nullopt;
    if (take_char(s, ':')) {
      if (!take_int(s, 2, om)) return std::nullopt;
    } else if (s.size() == 2 && !take_int(s, 2, om)) {
      return std::nullopt;
    }
    offset = sign * (oh * 3600 + om * 60);
  }
  if (!s.empty()) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + sec - offset;
}

}  // namespace gridmap::data
