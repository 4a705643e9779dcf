#include "server/cli/args.hpp"

#include <charconv>
#include <cmath>

#include "geo/error.hpp"

namespace gridmap::cli {

Args::Args(const std::string& command, const std::vector<std::string>& argv,
           const std::set<std::string>& value_options, const std::set<std::string>& flags)
    : command_(command) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    bool is_option = a.size() > 2 && a[0] == '-' && a[1] == '-';
    bool is_short = a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
    if (!is_option && !is_short) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool has_inline = false;
    if (auto eq = a.find('='); is_option && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_inline = true;
    }
    if (flags.count(name)) {
      if (has_inline) throw_invalid(command_ + ": option " + name + " takes no value");
      flags_.insert(name);
    } else if (value_options.count(name)) {
      if (!has_inline) {
        if (i + 1 >= argv.size()) throw_invalid(command_ + ": option " + name + " needs a value");
        value = argv[++i];
      }
      values_.emplace(name, value);
    } else {
      throw_invalid(command_ + ": unknown option " + name + " (see 'gridmap " + command_ + " --help')");
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

std::string Args::require(const std::string& name) const {
  auto v = get(name);
  if (!v || v->empty()) throw_invalid(command_ + ": " + name + " is required");
  return *v;
}

crs::Crs Args::crs(const std::string& name) const { return opt_crs(name).value_or(crs::Crs{}); }

std::optional<crs::Crs> Args::opt_crs(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return crs::parse(*v);
}

long Args::integer(const std::string& name, long fallback, long min, long max) const {
  auto v = get(name);
  if (!v) return fallback;
  long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max)
    throw_invalid(command_ + ": " + name + " must be an integer from " + std::to_string(min) + " to " +
                  std::to_string(max) + ", not '" + *v + "'");
  return out;
}

double parse_number(const std::string& text, const std::string& what) {
  double v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e || !std::isfinite(v))
    throw_invalid(what + " must be a finite number, not '" + text + "'");
  return v;
}

LonLat parse_lonlat(const std::string& lon, const std::string& lat) {
  return {parse_number(lon, "longitude"), parse_number(lat, "latitude")};
}

}  // namespace gridmap::cli
