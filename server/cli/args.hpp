// A small, strict command-line parser: known options only, values checked at the edge.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "geo/crs.hpp"
#include "geo/types.hpp"

namespace gridmap::cli {

class Args {
 public:
  // `value_options` take a value (--db FILE); `flags` do not (--json). Anything else that
  // starts with "--" is refused, naming the command.
  Args(const std::string& command, const std::vector<std::string>& argv,
       const std::set<std::string>& value_options, const std::set<std::string>& flags = {});

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;  // repeated options
  std::string require(const std::string& name) const;
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }

  std::string db() const { return require("--db"); }
  crs::Crs crs(const std::string& name = "--crs") const;  // WGS84 when absent
  std::optional<crs::Crs> opt_crs(const std::string& name = "--crs") const;
  long integer(const std::string& name, long fallback, long min, long max) const;

 private:
  std::string command_;
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
  std::set<std::string> flags_;
};

// Parses a finite decimal number, naming `what` in the error.
double parse_number(const std::string& text, const std::string& what);
LonLat parse_lonlat(const std::string& lon, const std::string& lat);

}  // namespace gridmap::cli
