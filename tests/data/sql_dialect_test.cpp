#include "data/sql_dialect.hpp"

#include <catch2/catch.hpp>

#include "geo/error.hpp"

using gridmap::data::to_postgresql;

TEST_CASE("SQLite's numbered and bare parameters become PostgreSQL's, counted as SQLite counts") {
  CHECK(to_postgresql("SELECT a FROM t WHERE b = ?1 AND c = ?12").sql ==
        "SELECT a FROM t WHERE b = $1 AND c = $12");
  CHECK(to_postgresql("SELECT a FROM t WHERE b = ?1 AND c = ?12").params == 12);
  // A bare ? takes the number after the highest used so far.
  auto bare = to_postgresql("VALUES (?, ?3, ?)");
  CHECK(bare.sql == "VALUES ($1, $3, $4)");
  CHECK(bare.params == 4);
  CHECK(to_postgresql("SELECT 1").params == 0);
}

TEST_CASE("the SQL rewrite leaves literals, quoted names and comments as they are") {
  std::string sql =
      "SELECT '?1 IS x', \"a?b\" -- ? IS y\n"
      "/* INSERT OR IGNORE ? */ FROM t WHERE x = 'it''s ?'";
  auto out = to_postgresql(sql);
  CHECK(out.sql == sql);
  CHECK(out.params == 0);
}

TEST_CASE("INSERT OR IGNORE becomes ON CONFLICT DO NOTHING, INSERT OR REPLACE is refused") {
  CHECK(to_postgresql("INSERT OR IGNORE INTO t (a) VALUES (?1);").sql ==
        "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING;");
  CHECK(to_postgresql("insert  or ignore into t SELECT a FROM u").sql ==
        "insert into t SELECT a FROM u ON CONFLICT DO NOTHING");
  CHECK_THROWS_AS(to_postgresql("INSERT OR REPLACE INTO t VALUES (1)"), gridmap::Error);
}

TEST_CASE("IS and IS NOT between values become IS [NOT] DISTINCT FROM, IS NULL stays") {
  CHECK(to_postgresql("WHERE a IS ?1 AND b IS NOT ?2").sql ==
        "WHERE a IS NOT DISTINCT FROM $1 AND b IS DISTINCT FROM $2");
  CHECK(to_postgresql("WHERE a IS NULL AND b IS NOT NULL AND c IS TRUE").sql ==
        "WHERE a IS NULL AND b IS NOT NULL AND c IS TRUE");
  CHECK(to_postgresql("WHERE a IS DISTINCT FROM b").sql == "WHERE a IS DISTINCT FROM b");
  // A column named like the keyword is not touched.
  CHECK(to_postgresql("SELECT this, isnull FROM t").sql == "SELECT this, isnull FROM t");
}
