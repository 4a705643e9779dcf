// gridmap backup --db FILE --to OUT [--files DIR]   a consistent snapshot of a live database
// gridmap backup verify OUT                          checks an archive without restoring it
// gridmap restore OUT --db NEW [--files DIR]         into a new place only
#include <iostream>

#include "data/backup.hpp"
#include "data/db.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {
namespace {

void print_manifest(const data::BackupManifest& m) {
  int64_t rows = 0;
  for (const auto& [name, n] : m.tables) rows += n;
  std::cout << "  taken " << data::format_time(m.created_at) << " by gridmap " << m.gridmap_version
            << ", schema " << m.schema_version << "\n"
            << "  database " << m.database_bytes << " bytes, sha256 " << m.database_sha256 << "\n"
            << "  " << m.tables.size() << " tables, " << rows << " rows:";
  for (const char* t : {"subdistricts", "communities", "grids", "workers", "households",
                        "residents", "petitions", "petition_events", "visits", "users"})
    if (auto it = m.tables.find(t); it != m.tables.end())
      std::cout << " " << t << " " << it->second;
  std::cout << "\n  audit log " << m.audit_entries << " entries"
            << (m.audit_head.empty() ? "" : ", head " + m.audit_head.substr(0, 16) + "...") << "\n"
            << "  attachments " << m.files << " (" << m.file_bytes << " bytes)\n";
}

}  // namespace

const CommandSpec& backup_spec() {
  static const CommandSpec spec{
      "backup",
      "backup  --db FILE --to OUT [--files DIR]   (while the server runs)\n"
      "        verify OUT",
      {{"--db", "FILE", "the database to back up (it may be served and written meanwhile)", ""},
       {"--to", "OUT", "the archive to write (.tar.gz; replaced when complete)", ""},
       {"--files", "DIR", "the attachments' directory", "FILE.files"}}};
  return spec;
}

int cmd_backup(const Args& args) {
  const auto& pos = args.positional();
  if (!pos.empty() && pos[0] == "verify") {
    if (pos.size() != 2)
      throw_invalid("backup verify: give the archive (gridmap backup verify OUT)");
    data::BackupCheck c = data::verify_backup(pos[1]);
    if (!c.ok()) {
      std::cerr << "gridmap: backup " << pos[1] << " is NOT sound: " << c.problem << "\n";
      return 1;
    }
    std::cout << "backup " << pos[1]
              << " is sound: every member matches its manifest, the database passes "
              << "its integrity check and its audit chain verifies\n";
    print_manifest(c.manifest);
    return 0;
  }
  if (!pos.empty())
    throw_invalid("backup: unexpected argument '" + pos[0] + "' (verify OUT, or --db and --to)");
  data::BackupOptions o;
  o.db_path = args.db();
  o.out = args.require("--to");
  o.files_dir = args.get("--files").value_or("");
  Progress progress("backing up " + data::display_name(o.db_path));
  o.progress = [&progress](int64_t done, int64_t total) { progress(done, total); };
  data::BackupManifest m = data::backup_database(o);
  progress.finish();
  std::cout << "backed up " << data::display_name(o.db_path) << " to " << o.out << "\n";
  print_manifest(m);
  return 0;
}

const CommandSpec& restore_spec() {
  static const CommandSpec spec{
      "restore",
      "restore OUT --db NEW [--files DIR]        (never over an existing database)",
      {{"--db", "NEW", "where the restored database goes: a file that does not exist", ""},
       {"--files", "DIR", "where its attachments go (new or empty)", "NEW.files"}}};
  return spec;
}

int cmd_restore(const Args& args) {
  const auto& pos = args.positional();
  if (pos.size() != 1) throw_invalid("restore: give the archive (gridmap restore OUT --db NEW)");
  data::RestoreOptions o;
  o.archive = pos[0];
  o.db_path = args.db();
  o.files_dir = args.get("--files").value_or("");
  data::BackupManifest m = data::restore_backup(o);
  std::cout << "restored " << o.archive << " into " << o.db_path
            << " (checked: integrity, counts, audit chain)\n";
  print_manifest(m);
  return 0;
}

}  // namespace gridmap::cli
