// The PostgreSQL engine's schema: the SQLite schema of version kPgSchemaBase, made at once in an
// empty database (pg_schema.cpp). Later migrations are numbered as SQLite's (migrations.cpp).
#pragma once

namespace gridmap::data {

inline constexpr int kPgSchemaBase = 12;
extern const char* const kPgSchema;

}  // namespace gridmap::data
