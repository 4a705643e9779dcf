// The PostgreSQL engine under Db, Statement and Transaction, on a real cluster.
#include "data/db.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "data/migrations.hpp"
#include "geo/error.hpp"
#include "support/db_support.hpp"
#include "support/pg_support.hpp"

using namespace gridmap;

namespace {

ErrorKind kind_of_failure(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::internal;
}

}  // namespace

TEST_CASE("an empty PostgreSQL database gets the current schema, with GiST indexes on geometries") {
  test::PgDatabase pg;
  {
    data::Db db = data::Db::open(pg.url());
    CHECK(db.postgresql());
    CHECK(db.schema_version() == data::kSchemaVersion);
    for (const char* table :
         {"subdistricts", "communities", "grids", "workers", "households", "petitions"}) {
      INFO(table);
      data::Statement st(db,
                         "SELECT count(*) FROM pg_indexes WHERE tablename = ?1 "
                         "AND indexdef LIKE '%USING gist (geom)%'");
      st.bind(1, table);
      REQUIRE(st.step());
      CHECK(st.int64(0) == 1);
    }
  }
  // Opened again, nothing is made twice.
  data::Db again = data::Db::open(pg.url(), false);
  CHECK(again.schema_version() == data::kSchemaVersion);
  CHECK(test::scalar(again, "SELECT count(*) FROM gridmap_schema") == 1);
}

TEST_CASE("a PostgreSQL database without the schema, or of a newer one, is refused clearly") {
  test::PgDatabase pg;
  try {
    data::Db::open(pg.url(), false);
    FAIL("opened");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("no gridmap schema"));
  }
  data::Db::open(pg.url());
  pg.admin("UPDATE gridmap_schema SET version = version + 1");
  try {
    data::Db::open(pg.url(), false);
    FAIL("opened");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unavailable);
    CHECK_THAT(e.what(), Catch::Contains("newer than this gridmap"));
  }
}

TEST_CASE("a PostgreSQL server that cannot be reached is unavailable, a malformed URL invalid") {
  CHECK(kind_of_failure([] { data::Db::open("postgresql://nobody@127.0.0.1:1/none"); }) ==
        ErrorKind::unavailable);
  CHECK(kind_of_failure([] { data::Db::open("postgresql://[::1"); }) == ErrorKind::invalid_input);
}

TEST_CASE("values of every kind go to PostgreSQL and come back as they were") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  db.exec("CREATE TABLE kinds (i bigint, r double precision, t text, b bytea)");
  std::string bytes(
      "\x00\x01\xff\x7f"
      "ab",
      6);
  data::Statement ins(db, "INSERT INTO kinds (i, r, t, b) VALUES (?1, ?2, ?3, ?4)");
  ins.bind(1, int64_t{-9007199254740993})
      .bind(2, 0.1)
      .bind(3, "网格 'quoted' ?1")
      .bind_blob(4, bytes);
  ins.run();
  CHECK(db.changes() == 1);
  ins.bind_null(1).bind_null(2).bind_null(3).bind_null(4);
  ins.run();
  data::Statement sel(db, "SELECT i, r, t, b FROM kinds ORDER BY i NULLS LAST");
  REQUIRE(sel.step());
  CHECK(sel.int64(0) == -9007199254740993);
  CHECK(sel.real(1) == 0.1);
  CHECK(sel.text(2) == "网格 'quoted' ?1");
  CHECK(sel.blob(3) == bytes);
  CHECK(sel.blob_view(3) == bytes);
  CHECK(sel.column_name(2) == "t");
  REQUIRE(sel.step());
  for (int c = 0; c < 4; ++c) CHECK(sel.is_null(c));
  CHECK_FALSE(sel.opt_int64(0));
  CHECK_FALSE(sel.step());
  // A parameter nothing gives a type to is text; comparisons read as integers.
  data::Statement loose(db, "SELECT ?1 IS NULL, length(?2), 2 > 1");
  loose.bind_null(1).bind(2, "abc");
  REQUIRE(loose.step());
  CHECK(loose.int64(0) == 1);
  CHECK(loose.int64(1) == 3);
  CHECK(loose.int64(2) == 1);
}

TEST_CASE("PostgreSQL transactions roll back unless committed, nested ones are savepoints") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  db.exec("CREATE TABLE n (v bigint PRIMARY KEY)");
  auto insert = [&](int v) {
    data::Statement st(db, "INSERT INTO n VALUES (?1)");
    st.bind(1, v).run();
  };
  std::vector<int> committed;
  {
    data::Transaction t(db);
    insert(1);
    db.after_commit([&] { committed.push_back(1); });
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM n") == 0);
  CHECK(committed.empty());
  {
    data::Transaction outer(db);
    insert(2);
    {
      data::Transaction inner(db);
      insert(3);
      db.after_commit([&] { committed.push_back(3); });
    }  // rolled back: 3 goes, 2 stays
    {
      data::Transaction inner(db);
      insert(4);
      inner.commit();
    }
    db.after_commit([&] { committed.push_back(2); });
    CHECK(committed.empty());
    outer.commit();
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM n") == 2);
  CHECK(test::scalar(db, "SELECT sum(v) FROM n") == 6);
  CHECK(committed == std::vector<int>{2});
  // A broken constraint is a conflict, and the connection goes on.
  CHECK(kind_of_failure([&] { insert(2); }) == ErrorKind::conflict);
  {
    data::Transaction t(db);
    CHECK(kind_of_failure([&] { insert(4); }) == ErrorKind::conflict);
  }
  insert(5);
  CHECK(test::scalar(db, "SELECT count(*) FROM n") == 3);
}

TEST_CASE("PostgreSQL writers on two connections take turns, as SQLite's do") {
  test::PgDatabase pg;
  data::Db a = data::Db::open(pg.url());
  data::Db b = data::Db::open(pg.url(), false);
  a.exec("CREATE TABLE turns (who text, at bigint)");
  std::atomic<bool> b_done{false};
  std::optional<data::Transaction> ta;
  ta.emplace(a);
  std::thread other([&] {
    data::Transaction tb(b);  // waits for a's transaction to end
    data::Statement(b, "INSERT INTO turns VALUES ('b', 0)").run();
    tb.commit();
    b_done = true;
  });
  // b is seen waiting for the lock while a holds it.
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    waiting =
        test::scalar(
            a, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 1;
  }
  CHECK(waiting);
  CHECK_FALSE(b_done);
  ta->commit();
  ta.reset();
  other.join();
  CHECK(b_done);
}

TEST_CASE("the new row's id comes back after an insert, as SQLite's rowid does") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  data::Statement ins(db, "INSERT INTO workers (name) VALUES (?1)");
  ins.bind(1, "王芳").run();
  int64_t first = db.last_insert_rowid();
  CHECK(first == 1);
  data::Statement explicit_id(db, "INSERT INTO workers (id, name) VALUES (40, 'x')");
  explicit_id.run();
  CHECK(db.last_insert_rowid() == 40);
  ins.bind(1, "李明").run();
  CHECK(db.last_insert_rowid() == 41);
  CHECK(test::scalar(db, "SELECT id FROM workers WHERE name = '李明'") == 41);
}

TEST_CASE("a parameter bound NULL that only a later comparison types is prepared as that type") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  auto check = [&] {
    data::Statement st(db,
                       "SELECT count(*) FROM grids WHERE (?1 IS NULL OR code = ?1) AND (?2 IS NULL "
                       "OR name = ?2) AND ?3 >= 0");
    st.bind_null(1).bind(2, "x").bind(3, int64_t{1});
    REQUIRE(st.step());
    CHECK(st.int64(0) == 0);
  };
  check();
  data::Transaction t(db);
  check();
  data::Statement other(db,
                        "SELECT CASE WHEN (?1 IS NULL OR 1 = ?1) AND (?2 IS NULL OR 2 = ?2) AND ?3 "
                        "= 'x' THEN 1 ELSE 0 END");
  other.bind_null(1).bind_null(2).bind(3, "x");
  REQUIRE(other.step());
  CHECK(other.int64(0) == 1);
}

TEST_CASE(
    "a lost PostgreSQL connection is made again: a query goes on, a write or a transaction fails "
    "once") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  db.exec("CREATE TABLE kept (v bigint)");
  auto cut = [&] {
    // What a server restart or a failover does to the connection.
    int64_t pid = test::scalar(db, "SELECT pg_backend_pid()");
    pg.admin("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  };
  auto kept = [&](int64_t v) {
    data::Statement st(db, "SELECT count(*) FROM kept WHERE v = ?1");
    st.bind(1, v);
    REQUIRE(st.step());
    return st.int64(0);
  };
  CHECK(kept(1) == 0);  // prepared on this connection
  cut();
  // A query is asked again on a new connection (prepared again there), unnoticed.
  CHECK(kept(1) == 0);
  CHECK(test::scalar(db, "SELECT count(*) FROM kept") == 0);
  cut();
  // A statement the dead connection was to prepare first was never sent: it is prepared on a
  // new connection and runs once there, a query or a write (a failover found it so).
  {
    data::Statement st(db, "SELECT count(*) FROM kept WHERE v > ?1");
    st.bind(1, int64_t{0});
    REQUIRE(st.step());
    CHECK(st.int64(0) == 0);
  }
  cut();
  {
    data::Statement st(db, "INSERT INTO kept VALUES (?1)");
    st.bind(1, int64_t{5}).run();
  }
  CHECK(kept(5) == 1);
  cut();
  // A write is not (it may have committed before the connection went): it fails, the next works.
  CHECK(kind_of_failure([&] { db.exec("INSERT INTO kept VALUES (1)"); }) == ErrorKind::unavailable);
  db.exec("INSERT INTO kept VALUES (2)");
  {
    data::Transaction t(db);
    db.exec("INSERT INTO kept VALUES (3)");
    cut();
    // Inside a transaction the work is gone: every statement fails until it ends.
    CHECK(kind_of_failure([&] { db.exec("INSERT INTO kept VALUES (4)"); }) ==
          ErrorKind::unavailable);
    CHECK(kind_of_failure([&] { t.commit(); }) == ErrorKind::unavailable);
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM kept") == 2);
  CHECK(test::scalar(db, "SELECT sum(v) FROM kept") == 7);
  CHECK(kept(2) == 1);
}
