// Versioned schema migrations, tracked in PRAGMA user_version.
#pragma once

namespace gridmap::data {

class Db;

constexpr int kSchemaVersion = 11;

// Brings the database up to kSchemaVersion, each step in its own transaction. Refuses a
// database written by a newer gridmap or a file that is not a gridmap database.
// Returns true when a step edited the stored schema text (see migration 6): the connection
// must then be opened again, since its cached schema may not follow the edit.
// `target`: stop at that version (a test's old database); 0 for kSchemaVersion.
bool migrate(Db& db, int target = 0);

}  // namespace gridmap::data
