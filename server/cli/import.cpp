// gridmap import LAYER FILE --db FILE [...]; gridmap import register FILE.csv|.xlsx|.ods --db FILE
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/import.hpp"
#include "data/locator.hpp"
#include "data/register.hpp"
#include "data/serve_lock.hpp"
#include "data/stats.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

namespace {

// The register (一标三实): residents and households with their standard addresses, from
// CSV (UTF-8 or GBK) or a workbook's first sheet; all rows or none unless --skip-invalid.
int import_register(const Args& args) {
  const std::string& file = args.positional()[1];
  std::unique_ptr<std::istream> in;
  auto ends_with = [&](const char* ext) {
    std::string e(ext);
    return file.size() >= e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
  };
  if (ends_with(".xlsx") || ends_with(".ods")) {
    in = std::make_unique<std::istringstream>(data::sheet_csv(data::read_sheet(file)));
  } else {
    auto f = std::make_unique<std::ifstream>(file, std::ios::binary);
    if (!*f) throw_invalid("import: cannot read " + file);
    in = std::move(f);
  }
  // A bulk import drops the tables' indexes while it writes: not under a running server
  // (which would also not see the new households); POST /api/v1/register/import is for that.
  data::ServeLock lock(args.db());
  data::Db db = data::Db::open(args.db());
  data::Locator locator = data::Locator::load(db);
  data::RegisterImportOptions o;
  o.encoding = args.get("--encoding");
  o.skip_invalid = args.flag("--skip-invalid");
  o.actor = "cli";
  o.bulk = true;
  o.now = data::now_seconds();
  data::RegisterImportReport r = data::import_register(db, locator, *in, o);
  for (const auto& i : r.issues)
    std::cerr << "row " << i.row << ": " << (i.rejected ? "rejected: " : "warning: ") << i.message
              << "\n";
  if (!r.committed)
    throw_invalid(std::to_string(r.rejected) + " of " + std::to_string(r.rows) +
                  " rows cannot be used; nothing was imported (fix them or pass --skip-invalid)");
  std::cout << "imported " << r.rows - r.rejected << " of " << r.rows << " rows from " << file
            << ": " << r.households_created << " households created, " << r.households_matched
            << " matched, " << r.residents_created << " residents created, " << r.residents_updated
            << " updated, " << r.rejected << " rejected, " << r.unparsed_addresses
            << " addresses did not parse\n";
  return 0;
}

}  // namespace

const CommandSpec& import_spec() {
  static const CommandSpec spec{
      "import",
      "import  LAYER FILE --db FILE [--crs EPSG:N|wgs84|cgcs2000|gcj02|bd09] [--code-field F]\n"
      "        [--name-field F] [--parent-field F] [--lon-field F --lat-field F] [--encoding GBK]\n"
      "        [--layer NAME] [--skip-invalid]\n"
      "        register FILE.csv|.xlsx|.ods --db FILE [--encoding GBK] [--skip-invalid]",
      {{"--db", "FILE", "the database", ""},
       {"--crs", "CRS", "the file's CRS: EPSG:N, wgs84, cgcs2000, gcj02 or bd09", "the file's own"},
       {"--code-field", "F", "the field holding each feature's code or id", "found by name"},
       {"--name-field", "F", "the field holding each area's name", "found by name"},
       {"--parent-field", "F", "the field holding the parent's code", "parent by containment"},
       {"--lon-field", "F", "the longitude column of a table of points (with --lat-field)", ""},
       {"--lat-field", "F", "the latitude column of a table of points (with --lon-field)", ""},
       {"--encoding", "NAME", "the text encoding of the file (GBK, UTF-8)", "the file's own"},
       {"--layer", "NAME", "which layer of a file that holds several", "the first"},
       {"--skip-invalid", "", "store the usable features and report the rest", "all or nothing"}}};
  return spec;
}

int cmd_import(const Args& args) {
  if (args.positional().size() != 2) throw_invalid("import: give LAYER and FILE");
  if (args.positional()[0] == "register") return import_register(args);
  data::ImportOptions o;
  auto layer = data::parse_layer(args.positional()[0]);
  if (!layer)
    throw_invalid(
        "unknown layer '" + args.positional()[0] +
        "' (use subdistricts, communities, grids, workers, households, petitions or register)");
  o.layer = *layer;
  o.file = args.positional()[1];
  o.crs = args.opt_crs();
  o.code_field = args.get("--code-field");
  o.name_field = args.get("--name-field");
  o.parent_field = args.get("--parent-field");
  o.lon_field = args.get("--lon-field");
  o.lat_field = args.get("--lat-field");
  if (o.lon_field.has_value() != o.lat_field.has_value())
    throw_invalid("import: --lon-field and --lat-field go together");
  o.encoding = args.get("--encoding");
  o.source_layer = args.get("--layer");
  o.skip_invalid = args.flag("--skip-invalid");
  data::Db db = data::Db::open(args.db());
  Progress progress("importing " + args.positional()[0]);
  o.progress = [&](int64_t done, int64_t total) { progress(done, total); };
  data::ImportReport r = data::import_layer(db, o);
  progress.finish();
  for (const data::ImportIssue& i : r.issues)
    std::cerr << "feature " << i.feature << (i.code.empty() ? "" : " (" + i.code + ")") << ": "
              << (i.rejected && i.message.rfind("rejected", 0) != 0 ? "rejected: " : "")
              << i.message << "\n";
  if (!r.committed)
    throw_invalid(
        std::to_string(r.rejected) + " of " + std::to_string(r.read) +
        " features cannot be used; nothing was imported (fix them or pass --skip-invalid)");
  std::cout << "imported " << r.imported << " " << args.positional()[0] << " from " << o.file
            << " (" << r.repaired << " repaired, " << r.rejected << " rejected)\n";
  return 0;
}

}  // namespace gridmap::cli
