// Versioned schema migrations, tracked in PRAGMA user_version.
#pragma once

namespace gridmap::data {

class Db;

constexpr int kSchemaVersion = 5;

// Brings the database up to kSchemaVersion, each step in its own transaction. Refuses a
// database written by a newer gridmap or a file that is not a gridmap database.
void migrate(Db& db);

}  // namespace gridmap::data
