// The command line of one subcommand: its declared options, read from the command line, then
// GRIDMAP_<OPTION> environment variables, then a config file (--config FILE), then defaults;
// values checked at the edge. CLI11 does the tokenising, in args.cpp only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "geo/crs.hpp"
#include "geo/types.hpp"

namespace gridmap::cli {

// One option of a command, as declared and as `--help` shows it.
struct OptionSpec {
  std::string name;      // "--db", "-k"
  std::string value;     // "FILE", "N"; empty for a flag (--json)
  std::string help;      // one line
  std::string fallback;  // the default as --help shows it; empty when there is none
};

struct CommandSpec {
  std::string name;      // "serve"
  std::string synopsis;  // usage lines after "gridmap " (continuation lines indented)
  std::vector<OptionSpec> options;
};

// Every command takes --config FILE besides its own options.
inline constexpr const char* kConfigOption = "--config";

// "--foo-bar" -> "GRIDMAP_FOO_BAR"; empty for a short option (-k), which only the command
// line gives.
std::string env_name(const std::string& option);

// `gridmap COMMAND --help`: the synopsis, then every option with its help and default.
std::string help_text(const CommandSpec& command);

class Args {
 public:
  // Anything starting with "--" (or "-" and a letter) that `command` does not declare is
  // refused, naming the command; so is a config file key that no command has, or that
  // `command` lacks in its own [section]. `all` are every command, for the config file's
  // keys and sections.
  Args(const CommandSpec& command, const std::vector<std::string>& argv,
       const std::vector<const CommandSpec*>& all);

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;  // repeated options
  std::string require(const std::string& name) const;
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  // The option as an error should name it: "--seed", or "--seed (from GRIDMAP_SEED)",
  // "--seed (from city.conf line 3)" when it did not come from the command line.
  std::string describe(const std::string& name) const;

  std::string db() const { return require("--db"); }
  crs::Crs crs(const std::string& name = "--crs") const;  // WGS84 when absent
  std::optional<crs::Crs> opt_crs(const std::string& name = "--crs") const;
  long integer(const std::string& name, long fallback, long min, long max) const;

 private:
  void from_command_line(const CommandSpec& command, const std::vector<std::string>& argv);
  // `source` is empty for the command line.
  void set(const OptionSpec& option, const std::string& value, const std::string& source);

  std::string command_;
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::set<std::string> given_;                 // options set by the command line
  std::map<std::string, std::string> sources_;  // the others: "GRIDMAP_X", "FILE line N"
};

// Parses a decimal integer in [min, max], naming `what` in the error.
long parse_integer(const std::string& text, const std::string& what, long min, long max);
// Parses a finite decimal number, naming `what` in the error.
double parse_number(const std::string& text, const std::string& what);
LonLat parse_lonlat(const std::string& lon, const std::string& lat);

}  // namespace gridmap::cli
