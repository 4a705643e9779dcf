// gridmap migrate --db FILE [--check]: what an upgrade would change, or the upgrade itself
// (after a backup beside the file, as any command opening an older database makes).
#include <iostream>

#include "data/db.hpp"
#include "data/migrations.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& migrate_spec() {
  static const CommandSpec spec{
      "migrate",
      "migrate --db FILE [--check]",
      {{"--db", "FILE", "the database", ""},
       {"--check", "", "only say what migrating would change (exit 1 when it would)", "migrate"}}};
  return spec;
}

int cmd_migrate(const Args& args) {
  if (!args.positional().empty())
    throw_invalid("migrate: unexpected argument '" + args.positional()[0] + "'");
  std::string path = args.db();
  int from = 0;
  std::vector<data::PendingMigration> pending;
  {
    data::Db db = data::Db::open_readonly(path);
    from = db.schema_version();
    if (from == 0) throw_invalid(path + " is not a gridmap database");
    pending = data::pending_migrations(db);
  }
  if (pending.empty()) {
    std::cout << path << " is schema " << from
              << ", what this gridmap writes: nothing to migrate\n";
    return 0;
  }
  std::cout << path << " is schema " << from << "; this gridmap writes " << data::kSchemaVersion
            << ". " << (args.flag("--check") ? "Migrating would" : "Migrating")
            << " (each step one transaction, "
            << (data::upgrade_backups_enabled() ? "after a backup beside the file"
                                                : "without a backup")
            << "):\n";
  for (const data::PendingMigration& p : pending) {
    std::cout << "  to schema " << p.version << ":\n";
    for (const std::string& c : p.changes) std::cout << "    " << c << "\n";
  }
  if (args.flag("--check")) return 1;
  data::Db db = data::Db::open(path, false);
  std::cout << "migrated " << path << " to schema " << db.schema_version() << "\n";
  return 0;
}

}  // namespace gridmap::cli
