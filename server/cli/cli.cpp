#include "server/cli/cli.hpp"

#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

#include "core/version.hpp"
#include "geo/error.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {
namespace {

struct Command {
  const CommandSpec& (*spec)();
  int (*run)(const Args&);
};

const Command kCommands[] = {
    {demo_spec, cmd_demo},           {import_spec, cmd_import},     {export_spec, cmd_export},
    {locate_spec, cmd_locate},       {nearest_spec, cmd_nearest},   {check_spec, cmd_check},
    {serve_spec, cmd_serve},         {user_spec, cmd_user},         {audit_spec, cmd_audit},
    {catalogue_spec, cmd_catalogue}, {calendar_spec, cmd_calendar}, {tiles_spec, cmd_tiles},
    {convert_spec, cmd_convert},     {backup_spec, cmd_backup},     {restore_spec, cmd_restore},
    {migrate_spec, cmd_migrate},     {resident_spec, cmd_resident},
};

std::vector<const CommandSpec*> all_specs() {
  std::vector<const CommandSpec*> out;
  for (const Command& c : kCommands) out.push_back(&c.spec());
  return out;
}

void usage(std::ostream& out) {
  out << "gridmap — spatial core of an urban grid-management platform\n\nusage: gridmap COMMAND "
         "...\n";
  for (const Command& c : kCommands) out << "  gridmap " << c.spec().synopsis << "\n";
  out << "  gridmap --version\n  gridmap COMMAND --help                that command's options, "
         "every one\n";
  out << "\nLAYER is one of subdistricts, communities, grids, workers, households, petitions.\n"
         "Every option may also come from GRIDMAP_<OPTION> or the config file (--config FILE).\n";
}

int exit_code(ErrorKind) {
  return 2;
}

}  // namespace

int run(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    usage(std::cout);
    return 0;
  }
  if (name == "version" || name == "--version") {
    std::cout << "gridmap " << version() << " (" << commit() << ")\n";
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (c.spec().name != name) continue;
    // `gridmap COMMAND --help`: that command's options, every one of them.
    if (std::find(args.begin(), args.end(), "--help") != args.end() ||
        std::find(args.begin(), args.end(), "-h") != args.end()) {
      std::cout << help_text(c.spec());
      return 0;
    }
    try {
      return c.run(Args(c.spec(), args, all_specs()));
    } catch (const Error& e) {
      std::cerr << "gridmap " << name << ": " << e.what() << "\n";
      return exit_code(e.kind());
    } catch (const std::exception& e) {
      std::cerr << "gridmap " << name << ": internal error: " << e.what() << "\n";
      return 2;
    }
  }
  std::cerr << "gridmap: unknown command '" << name << "' (see 'gridmap help')\n";
  return 2;
}

}  // namespace gridmap::cli
