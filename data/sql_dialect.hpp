// gridmap's SQL is written once, in SQLite's dialect with SpatiaLite's function names; the
// PostgreSQL engine runs it after this rewrite. What a rewrite cannot express portably the
// repositories write portably themselves (upserts with a conflict target, no rowid).
#pragma once

#include <string>
#include <string_view>

namespace gridmap::data {

struct PgSql {
  std::string sql;  // PostgreSQL's dialect
  int params = 0;   // the highest parameter number ($1..$params)
};

// One statement (no trailing statements): ?NNN → $NNN, ? → the next number (as SQLite counts),
// `INSERT OR IGNORE` → `INSERT ... ON CONFLICT DO NOTHING`, `a IS b` / `a IS NOT b` (b not NULL,
// TRUE or FALSE) → IS [NOT] DISTINCT FROM. String literals, quoted names and comments are kept
// as they are. Throws invalid_input for what has no translation (INSERT OR REPLACE).
PgSql to_postgresql(std::string_view sql);

// What differs between the engines beyond a rewrite: the spatial index.
// A condition on the rows of `table` (named `alias` in the query) whose geometry's box meets the
// box of the parameters ?first..?first+3 (min lon, min lat, max lon, max lat): SpatiaLite's
// R*Tree, PostGIS's GiST index (&&).
std::string box_condition(bool postgresql, std::string_view table, std::string_view alias,
                          int first);
// SELECT min lon, min lat, max lon, max lat of the geometries of `table` (NULLs when empty),
// from the index's boxes where the engine keeps them.
std::string extent_query(bool postgresql, std::string_view table);

}  // namespace gridmap::data
