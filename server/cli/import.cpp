// gridmap import LAYER FILE --db FILE [...]
#include <iostream>

#include "data/import.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

int cmd_import(const ArgList& argv) {
  Args args("import", argv,
            {"--db", "--crs", "--code-field", "--name-field", "--parent-field", "--lon-field",
             "--lat-field", "--encoding", "--layer"},
            {"--skip-invalid"});
  if (args.positional().size() != 2) throw_invalid("import: give LAYER and FILE");
  data::ImportOptions o;
  auto layer = data::parse_layer(args.positional()[0]);
  if (!layer)
    throw_invalid("unknown layer '" + args.positional()[0] +
                  "' (use subdistricts, communities, grids, workers, households or petitions)");
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
  for (const data::ImportIssue& i : r.issues)
    std::cerr << "feature " << i.feature << (i.code.empty() ? "" : " (" + i.code + ")") << ": "
              << (i.rejected && i.message.rfind("rejected", 0) != 0 ? "rejected: " : "") << i.message << "\n";
  if (!r.committed)
    throw_invalid(std::to_string(r.rejected) + " of " + std::to_string(r.read) +
                  " features cannot be used; nothing was imported (fix them or pass --skip-invalid)");
  std::cout << "imported " << r.imported << " " << args.positional()[0] << " from " << o.file << " ("
            << r.repaired << " repaired, " << r.rejected << " rejected)\n";
  return 0;
}

}  // namespace gridmap::cli
