// The only file that includes CLI11 (a heavy header): it splits the command line into
// options and positional arguments; the environment and the config file are read here too,
// with gridmap's own rules (command line > environment > config file > default).
#include "server/cli/args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "geo/error.hpp"

namespace gridmap::cli {
namespace {

using Settings = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string key_of(const std::string& option) {
  return option.substr(option.find_first_not_of('-'));
}

const OptionSpec* find_option(const CommandSpec& command, const std::string& key) {
  for (const OptionSpec& o : command.options)
    if (key_of(o.name) == key) return &o;
  return nullptr;
}

// What the old hand-written parser took for an option: "--x..." or "-" and a letter.
// Anything else ("-33.8", "-") is a positional argument.
bool looks_like_option(const std::string& a) {
  return (a.size() > 2 && a[0] == '-' && a[1] == '-') ||
         (a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1])));
}

std::optional<bool> truth(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  return std::nullopt;
}

std::string quoted_value(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return v;
}

// `key = value` lines, '#' or ';' comments, [COMMAND] sections. Keys outside a section apply
// to every command that has the option; a key no command has, an unknown section, or a key
// `command` lacks in its own section is refused with its line.
Settings read_config(const std::string& path, const CommandSpec& command,
                     const std::vector<const CommandSpec*>& all) {
  std::ifstream in(path);
  if (!in) throw_invalid(command.name + ": cannot read config file " + path);
  Settings out;
  std::string line, section;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string where = path + " line " + std::to_string(number);
    std::string t = trimmed(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      section = t.back() == ']' ? trimmed(t.substr(1, t.size() - 2)) : "";
      bool known = std::any_of(all.begin(), all.end(),
                               [&](const CommandSpec* c) { return c->name == section; });
      if (!known) throw_invalid(where + ": unknown section '" + t + "' (use a command's name)");
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos) throw_invalid(where + ": expected 'key = value', not '" + t + "'");
    std::string key = trimmed(t.substr(0, eq));
    std::string value = quoted_value(trimmed(t.substr(eq + 1)));
    if (key == key_of(kConfigOption))
      throw_invalid(where + ": a config file cannot name another config file");
    if (!section.empty() && section != command.name) continue;  // another command's
    if (find_option(command, key)) {
      out[key].emplace_back(value, where);
      continue;
    }
    bool elsewhere =
        section.empty() && std::any_of(all.begin(), all.end(), [&](const CommandSpec* c) {
          return find_option(*c, key) != nullptr;
        });
    if (!elsewhere)
      throw_invalid(where + ": unknown setting '" + key + "'" +
                    (section.empty() ? "" : " for " + section) + " (see 'gridmap " + command.name +
                    " --help')");
  }
  return out;
}

}  // namespace

std::string env_name(const std::string& option) {
  if (option.rfind("--", 0) != 0) return "";
  std::string out = "GRIDMAP_";
  for (char c : option.substr(2))
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string help_text(const CommandSpec& command) {
  std::vector<OptionSpec> options = command.options;
  options.push_back({kConfigOption, "FILE", "options from FILE: 'key = value' lines", ""});
  options.push_back({"-h, --help", "", "this text", ""});
  size_t width = 0;
  for (const OptionSpec& o : options)
    width = std::max(width, o.name.size() + (o.value.empty() ? 0 : o.value.size() + 1));
  width = std::min<size_t>(width, 32);
  std::string out = "usage: gridmap " + command.synopsis + "\n\noptions:\n";
  for (const OptionSpec& o : options) {
    std::string left = o.name + (o.value.empty() ? "" : " " + o.value);
    out += "  " + left;
    out += left.size() <= width ? std::string(width - left.size(), ' ')
                                : "\n  " + std::string(width, ' ');
    out += "  " + o.help + (o.fallback.empty() ? "" : " (default: " + o.fallback + ")") + "\n";
  }
  const OptionSpec& first = command.options.front();
  out += "\nEvery option may also come from GRIDMAP_<OPTION> or the config file: for " +
         first.name + ", " + env_name(first.name) + "\nor a line '" + key_of(first.name) + " = " +
         first.value + "' (in a [" + command.name +
         "] section, or before any section for every command).\n"
         "The command line wins, then the environment, then the file, then the default.\n";
  return out;
}

Args::Args(const CommandSpec& command, const std::vector<std::string>& argv,
           const std::vector<const CommandSpec*>& all)
    : command_(command.name) {
  from_command_line(command, argv);
  std::optional<std::string> config = get(kConfigOption);
  if (!config) {
    const char* e = std::getenv(env_name(kConfigOption).c_str());
    if (e && *e) config = e;
  }
  Settings settings;
  if (config) settings = read_config(*config, command, all);
  for (const OptionSpec& o : command.options) {
    if (given_.count(o.name)) continue;
    std::string env = env_name(o.name);
    const char* e = env.empty() ? nullptr : std::getenv(env.c_str());
    if (e && *e) {
      set(o, e, env);
    } else if (auto it = settings.find(key_of(o.name)); it != settings.end()) {
      for (const auto& [value, where] : it->second) set(o, value, where);
    }
  }
}

void Args::from_command_line(const CommandSpec& command, const std::vector<std::string>& argv) {
  CLI::App app;
  app.set_help_flag();  // gridmap COMMAND --help is answered before parsing
  app.allow_extras(true);
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> declared;
  OptionSpec config{kConfigOption, "FILE", "", ""};
  auto declare = [&](const OptionSpec& o) {
    CLI::Option* opt = o.value.empty() ? app.add_flag(o.name) : app.add_option(o.name);
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    declared.emplace_back(&o, opt);
  };
  for (const OptionSpec& o : command.options) declare(o);
  declare(config);
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ArgumentMismatch& e) {
    std::string what = e.what();
    throw_invalid(command_ + ": option " + what.substr(0, what.find(':')) + " needs a value");
  } catch (const CLI::ParseError& e) {
    throw_invalid(command_ + ": " + e.what());
  }
  for (const auto& [spec, opt] : declared) {
    if (opt->count() == 0) continue;
    given_.insert(spec->name);
    for (const std::string& v : opt->results()) set(*spec, v, "");
  }
  // What CLI11 did not match: positional arguments (after "--", all of them), in order, and
  // unknown options.
  bool only_positional = false;
  for (const std::string& a : app.remaining()) {
    if (!only_positional && a == "--") {
      only_positional = true;
    } else if (!only_positional && looks_like_option(a)) {
      throw_invalid(command_ + ": unknown option " + a.substr(0, a.find('=')) + " (see 'gridmap " +
                    command_ + " --help')");
    } else {
      positional_.push_back(a);
    }
  }
}

void Args::set(const OptionSpec& option, const std::string& value, const std::string& source) {
  if (!source.empty()) sources_[option.name] = source;
  if (!option.value.empty()) {
    values_[option.name].push_back(value);
    return;
  }
  std::optional<bool> on = truth(value);
  if (!on)
    throw_invalid(command_ + ": " + describe(option.name) +
                  " must be 1, true, yes, 0, false or no, not '" + value + "'");
  if (*on)
    flags_.insert(option.name);
  else
    flags_.erase(option.name);
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::require(const std::string& name) const {
  auto v = get(name);
  if (!v || v->empty()) throw_invalid(command_ + ": " + name + " is required");
  return *v;
}

std::string Args::describe(const std::string& name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? name : name + " (from " + it->second + ")";
}

crs::Crs Args::crs(const std::string& name) const {
  return opt_crs(name).value_or(crs::Crs{});
}

std::optional<crs::Crs> Args::opt_crs(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return crs::parse(*v);
}

long Args::integer(const std::string& name, long fallback, long min, long max) const {
  auto v = get(name);
  if (!v) return fallback;
  return parse_integer(*v, command_ + ": " + describe(name), min, max);
}

long parse_integer(const std::string& text, const std::string& what, long min, long max) {
  long out = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || out < min || out > max)
    throw_invalid(what + " must be an integer from " + std::to_string(min) + " to " +
                  std::to_string(max) + ", not '" + text + "'");
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
