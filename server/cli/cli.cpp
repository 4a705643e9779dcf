#include "server/cli/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string_view>

#include "core/version.hpp"
#include "geo/error.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {
namespace {

struct Command {
  std::string_view name;
  int (*run)(const ArgList&);
  std::string_view usage;
};

const Command kCommands[] = {
    {"demo", cmd_demo, "demo    --db FILE [--preset tatabu|city|province] [--seed N] [--now TIME]"},
    {"import", cmd_import,
     "import  LAYER FILE --db FILE [--crs EPSG:N|wgs84|cgcs2000|gcj02|bd09] [--code-field F]\n"
     "        [--name-field F] [--parent-field F] [--lon-field F --lat-field F] [--encoding GBK]\n"
     "        [--layer NAME] [--skip-invalid]\n"
     "        register FILE.csv|.xlsx|.ods --db FILE [--encoding GBK] [--skip-invalid]"},
    {"export", cmd_export,
     "export  LAYER OUT --db FILE [--format geojson|gpkg|shp|csv] [--crs ...]\n"
     "        register OUT.csv|.xlsx --db FILE"},
    {"locate", cmd_locate, "locate  --db FILE (LON LAT | --csv IN) [--crs ...]"},
    {"nearest", cmd_nearest,
     "nearest --db FILE LON LAT [-k N] [--all] [--community CODE] [--grid CODE] [--crs ...]"},
    {"check", cmd_check, "check   --db FILE [--json] [--sliver-m2 A]"},
    {"serve", cmd_serve,
     "serve   --db FILE [--create] [--listen 127.0.0.1:8080] [--threads N]\n"
     "        [--public-url URL] [--cors-origin URL[,URL...]] [--web DIR] [--font FILE] [--basemap FILE.mbtiles]\n"
     "        [--files DIR] [--max-upload-mb N] [--max-body-mb N] [--request-timeout-ms N]\n"
     "        [--max-connections N] [--max-connections-per-address N]\n"
     "        [--sse-heartbeat-ms N] [--sse-lifetime-ms N] [--notify-check-ms N]\n"
     "        [--deadline-warning-hours N] [--webhook-retry-ms N] [--webhook-retry-max-ms N]\n"
     "        [--patrol-retention-days N] [--log-format text|json] [--metrics-from-loopback]\n"
     "        [--quiet]"},
    {"user", cmd_user,
     "user    add NAME --role admin|dispatcher|worker|planner|community|subdistrict|department\n"
     "            [--grid CODE]... [--worker ID] [--area CODE] [--department CODE]\n"
     "        [--password-stdin] --db FILE   (prints an API token as its last line)\n"
     "        list | disable NAME | enable NAME | passwd NAME | token NAME [--days N]\n"
     "        --db FILE"},
    {"audit", cmd_audit, "audit   verify --db FILE"},
    {"catalogue", cmd_catalogue, "catalogue import FILE.csv|.xlsx|.ods | export [OUT.csv] --db FILE"},
    {"calendar", cmd_calendar, "calendar import FILE.csv | export [OUT.csv] --db FILE"},
    {"tiles", cmd_tiles,
     "tiles   export --layer LAYER --minzoom A --maxzoom B --out FILE.mbtiles [--threads N]\n"
     "        --db FILE"},
    {"convert", cmd_convert, "convert --from CRS --to CRS (LON LAT | --csv IN)"},
};

void usage(std::ostream& out) {
  out << "gridmap — spatial core of an urban grid-management platform\n\nusage: gridmap COMMAND "
         "...\n";
  for (const Command& c : kCommands) out << "  gridmap " << c.usage << "\n";
  out << "\nLAYER is one of subdistricts, communities, grids, workers, households, petitions.\n";
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
  ArgList args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (c.name != name) continue;
    // `gridmap COMMAND --help`: that command's options, every one of them.
    if (std::find(args.begin(), args.end(), "--help") != args.end() ||
        std::find(args.begin(), args.end(), "-h") != args.end()) {
      std::cout << "usage: gridmap " << c.usage << "\n";
      return 0;
    }
    try {
      return c.run(args);
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

Progress::Progress(std::string label)
    : label_(std::move(label)), tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (printed_) std::fputc('\n', stderr);
}

void Progress::operator()(int64_t done, int64_t total) {
  if (!tty_) return;
  int64_t pct = total > 0 ? done * 100 / total : done;
  if (pct == last_) return;
  last_ = pct;
  printed_ = true;
  if (total > 0)
    std::fprintf(stderr, "\r%s %lld/%lld (%lld%%)", label_.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), static_cast<long long>(pct));
  else
    std::fprintf(stderr, "\r%s %lld", label_.c_str(), static_cast<long long>(done));
  std::fflush(stderr);
}

}  // namespace gridmap::cli
