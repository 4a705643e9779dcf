// Backups an office can trust: a consistent snapshot of a live database (taken in one read
// transaction while the server goes on writing), its attachments and the audit log's anchor,
// in one compressed archive with a manifest; checked without restoring; restored only into
// a place where no database is.
//
// The archive is a gzip-compressed tar (POSIX ustar) holding, in this order:
//   manifest.json        format, time, versions, the database's size and SHA-256, the row
//                        count of every table, the audit chain's length and head, the files
//   gridmap.sqlite       the snapshot (SQLite's online backup: its pages as they are)
//   audit-key            the audit MAC key and its checkpoint up to the snapshot (without
//   audit-head           them the restored chain could not be verified, nor continued)
//   files/<sha256>       every stored attachment (photos), named by its hash
// so `tar xzf` opens it too. Backups hold residents' personal data: keep them as the
// database is kept.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace gridmap::data {

struct BackupManifest {
  std::string format = "gridmap-backup/1";
  int64_t created_at = 0;
  std::string gridmap_version;
  int schema_version = 0;
  int64_t database_bytes = 0;
  std::string database_sha256;
  std::map<std::string, int64_t> tables;  // rows per table
  int64_t audit_entries = 0;
  std::string audit_head;  // the last entry's hash ("" for an empty log)
  int64_t files = 0, file_bytes = 0;
};

std::string manifest_json(const BackupManifest& m);
BackupManifest parse_manifest(const std::string& json);  // invalid_input when malformed

struct BackupOptions {
  std::string db_path;
  std::string out;        // the archive, written beside itself then renamed into place
  std::string files_dir;  // the attachments ("" for the default beside the database)
  // A PostgreSQL database's backup before it is migrated (Db::open): its schema as it is, and
  // no attachments (a migration does not touch them).
  int schema = 0;
  bool without_files = false;
  // Called with done/total bytes as the archive grows; may be empty.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Takes the backup; the database may be served and written meanwhile. Throws unavailable
// (cannot read or write), invalid_input (OUT exists as a directory, ...). Returns what the
// archive holds.
BackupManifest backup_database(const BackupOptions& options);

struct BackupCheck {
  BackupManifest manifest;
  std::string problem;  // empty: the archive is whole and its database sound
  bool ok() const { return problem.empty(); }
};

// Reads the whole archive: every member's size and hash against the manifest, then the
// database (PRAGMA integrity_check, the row counts, the audit chain against its anchor).
// Never throws for a damaged archive: the problem says what is wrong.
BackupCheck verify_backup(const std::string& archive);

struct RestoreOptions {
  std::string archive;
  std::string db_path;    // must not exist
  std::string files_dir;  // "" for the default beside the database
};

// Restores into a new place: refuses (conflict) when a database, its audit anchor or its
// files directory is there already, then checks what it wrote as verify_backup does; on any
// failure removes what it wrote. Returns the manifest.
BackupManifest restore_backup(const RestoreOptions& options);

// Scheduled backups (serve --backup-dir): "gridmap-20261207T084600Z.tar.gz", so that names
// sort as times; prune_backups removes all but the `keep` newest such files of `dir` (other
// files are left alone) and returns how many it removed.
std::string scheduled_backup_name(int64_t at);
int prune_backups(const std::string& dir, int keep);

}  // namespace gridmap::data
