// gridmap migrate --db FILE [--check]: what an upgrade would change, or the upgrade itself
// (after a backup beside the file, as any command opening an older database makes).
// gridmap migrate --from DB --to DB: the database moved between SQLite and PostgreSQL
// (streamed; run again after a failure, it goes on where it stopped).
#include <iostream>

#include <filesystem>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/engine_copy.hpp"
#include "data/migrations.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& migrate_spec() {
  static const CommandSpec spec{
      "migrate",
      "migrate --db FILE [--check] | migrate --from DB --to DB",
      {{"--db", "FILE", "the database", ""},
       {"--check", "", "only say what migrating would change (exit 1 when it would)", "migrate"},
       {"--from", "DB",
        "copy this database (spatialite:FILE or a FILE, or postgresql://...) to --to", "migrate"},
       {"--to", "DB",
        "the new database of the copy (the other engine; empty, new, or this copy stopped "
        "midway, which goes on)",
        "migrate"}}};
  return spec;
}

namespace {

// spatialite:FILE names the SQLite engine explicitly; a URL PostgreSQL; anything else a file.
std::string database_name(const std::string& given) {
  constexpr std::string_view prefix = "spatialite:";
  return given.starts_with(prefix) ? given.substr(prefix.size()) : given;
}

int copy_between_engines(const Args& args) {
  std::string from = database_name(args.require("--from")),
              to = database_name(args.require("--to"));
  if (args.get("--db") || args.flag("--check"))
    throw_invalid("migrate: --from and --to copy a database; --db and --check upgrade one");
  // Where the audit log's anchors are (checked before anything is copied).
  (void)data::AuditAnchor::of(from);
  (void)data::AuditAnchor::of(to);
  data::Db source = data::Db::open(from, false);
  data::Db target = data::Db::open(to, true);
  std::cout << "copying " << (source.postgresql() ? "PostgreSQL" : "SQLite") << " "
            << data::display_name(from) << " to " << (target.postgresql() ? "PostgreSQL" : "SQLite")
            << " " << data::display_name(to) << "\n";
  int64_t rows = 0;
  std::vector<data::CopiedTable> copied;
  try {
    copied = data::copy_database(source, target, [&](const data::CopiedTable& t) {
      rows += t.rows;
      if (t.rows > 0) std::cout << "  " << t.name << ": " << t.rows << " rows\n" << std::flush;
    });
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::invalid_input) throw;
    throw Error(e.kind(), std::string(e.what()) +
                              "; what was committed stays: the same command goes on from there");
  }
  std::cout << "copied " << copied.size() << " tables, " << rows
            << " rows; every count checked against the source\n";
  // The audit chain goes on verifying: its key and checkpoints go with it.
  data::copy_audit_anchor(from, to);
  return 0;
}

}  // namespace

int cmd_migrate(const Args& args) {
  if (!args.positional().empty())
    throw_invalid("migrate: unexpected argument '" + args.positional()[0] + "'");
  if (args.get("--from") || args.get("--to")) return copy_between_engines(args);
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
