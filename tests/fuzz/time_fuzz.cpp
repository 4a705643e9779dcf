// Times in query strings and bodies: parse_time accepts exactly the documented forms (an
// independent, strict reader here says which), and what it accepts comes back from
// format_time unchanged.
#include <cctype>
#include <optional>

#include "data/time.hpp"
#include "fuzz/fuzz.hpp"

using gridmap::data::format_time;
using gridmap::data::parse_time;

namespace {

// A cursor over the text that takes fixed-width unsigned numbers and literal characters.
struct Reader {
  std::string_view s;
  bool digits(size_t n, int& out) {
    if (s.size() < n) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return true;
  }
  bool take(char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
  }
};

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The forms data/time.hpp documents: epoch seconds (digits), or YYYY-MM-DD, optionally
// followed by [T ]HH:MM[:SS[.fraction]], then optionally Z, ±HH, ±HH:MM or ±HHMM; a real
// calendar day; blanks around.
// nullopt: undecided (epoch seconds of 19 digits or more, which int64 overflow decides).
std::optional<bool> is_documented_time(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  if (text.find('-') == std::string_view::npos) {
    for (char c : text)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    if (text.size() > 18) return std::nullopt;
    return true;
  }
  Reader r{text};
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!r.digits(4, y) || !r.take('-') || !r.digits(2, mo) || !r.take('-') || !r.digits(2, d))
    return false;
  static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > days_in[mo - 1] + (mo == 2 && leap(y))) return false;
  if (r.take('T') || r.take(' ')) {
    if (!r.digits(2, h) || !r.take(':') || !r.digits(2, mi)) return false;
    if (r.take(':') && !r.digits(2, sec)) return false;
    if (r.take('.'))
      while (!r.s.empty() && std::isdigit(static_cast<unsigned char>(r.s.front())))
        r.s.remove_prefix(1);
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  if (r.take('Z')) return r.s.empty();
  if (r.take('+') || r.take('-')) {
    int oh, om;
    if (!r.digits(2, oh)) return false;
    if (r.take(':')) {
      if (!r.digits(2, om)) return false;
    } else if (r.s.size() == 2 && !r.digits(2, om)) {
      return false;
    }
  }
  return r.s.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<int64_t> t = parse_time(text);
  std::string shown(text);
  std::optional<bool> documented = is_documented_time(text);
  if (documented)
    FUZZ_CHECK(t.has_value() == *documented,
               "'" + shown + "' is " + (*documented ? "" : "not ") + "a documented time");
  if (!t) return 0;
  // Years 0000 to 9999 are written in four digits, which parse_time reads back.
  if (*t >= -62167219200 && *t <= 253402300799) {
    std::string formatted = format_time(*t);
    std::optional<int64_t> back = parse_time(formatted);
    FUZZ_CHECK(back == t, "'" + shown + "' -> " + std::to_string(*t) + " -> " + formatted);
  }
  return 0;
}
