// Versioned schema migrations, tracked in PRAGMA user_version.
#pragma once

namespace gridmap::data {

class Db;

constexpr int kSchemaVersion = 10;

// Brings the database up to kSchemaVersion, each step in its own transaction. Refuses a
// database written by a newer gridmap or a file that is not a gridmap database.
// Returns true when a step edited the stored schema text (see migration 6): the connection
// must then be opened again, since its cached schema may not follow the edit.
bool migrate(Db& db);

}  // namespace gridmap::data
