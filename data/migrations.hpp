// Versioned schema migrations, tracked in PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

namespace gridmap::data {

class Db;

constexpr int kSchemaVersion = 13;

// Brings the database up to kSchemaVersion, each step in its own transaction. Refuses a
// database written by a newer gridmap or a file that is not a gridmap database.
// Returns true when a step edited the stored schema text (see migration 6): the connection
// must then be opened again, since its cached schema may not follow the edit.
// `target`: stop at that version (a test's old database); 0 for kSchemaVersion.
bool migrate(Db& db, int target = 0);

// What migrating would do (gridmap migrate --check): each step still to run, with what it
// changes ("CREATE TABLE units; ALTER TABLE users ADD COLUMN area_code; ..."). Empty when the
// database is current; throws as migrate does for a newer or foreign file.
struct PendingMigration {
  int version = 0;
  std::vector<std::string> changes;
};
std::vector<PendingMigration> pending_migrations(Db& db);

// Whether opening an older database backs it up before migrating it (on unless the
// environment says GRIDMAP_NO_UPGRADE_BACKUP=1, which serve --no-upgrade-backup sets).
bool upgrade_backups_enabled();

}  // namespace gridmap::data
