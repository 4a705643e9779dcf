// gridmap migrate --from --to: a city moved between SQLite and PostgreSQL, and back.
#include <catch2/catch.hpp>

#include "data/db.hpp"
#include "data/engine_copy.hpp"
#include "geo/error.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

// Every table's rows in a stable text form: what must survive a round trip unchanged.
std::string fingerprint(const std::string& path, const std::string& table) {
  data::Db db = data::Db::open(path, false);
  std::vector<std::string> columns;
  {
    data::Statement st(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    st.bind(1, table);
    while (st.step()) columns.push_back(st.text(0));
  }
  std::string select = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i)
    select += (i ? ", " : "") + (columns[i] == "geom" || columns[i] == "footprint"
                                     ? "hex(AsBinary(" + columns[i] + "))"
                                     : "quote(" + columns[i] + ")");
  data::Statement st(db, select + " FROM " + table + " ORDER BY 1");
  std::string out;
  int rows = 0;
  while (st.step()) {
    ++rows;
    for (int c = 0; c < st.columns(); ++c) out += (st.is_null(c) ? "NULL" : st.text(c)) + "|";
    out += "\n";
  }
  return std::to_string(rows) + " rows\n" + out;
}

// gridmap's tables, as the PostgreSQL schema lists them (SQLite's sit among SpatiaLite's),
// without the engine's own (gridmap_*: its schema version, id counters, the servers' change
// log and sign-in throttle), which are not data; partitioned tables once, not their months.
std::vector<std::string> data_tables(const std::string& url) {
  std::vector<std::string> tables;
  data::Db db = data::Db::open(url, false);
  data::Statement st(db,
                     "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                     "c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                     "AND NOT c.relispartition AND c.relname <> 'spatial_ref_sys' AND "
                     "left(c.relname, 8) <> 'gridmap_' ORDER BY 1");
  while (st.step()) tables.push_back(st.text(0));
  return tables;
}

}  // namespace

TEST_CASE("a demo city moved to PostgreSQL and back to SQLite keeps every row as it was") {
  test::TempDir dir;
  test::PgDatabase pg;
  test::ScopedEnv audit_dir({{"GRIDMAP_AUDIT_DIR", dir.path().string()}});
  std::string first = dir.file("first.sqlite"), back = dir.file("back.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", first, "--preset", "tatabu"}).exit_code == 0);
  test::RunResult to =
      test::run_gridmap({"migrate", "--from", "spatialite:" + first, "--to", pg.url()});
  INFO(to.err);
  REQUIRE(to.exit_code == 0);
  CHECK_THAT(to.out, Catch::Contains("petitions: "));
  CHECK_THAT(to.out, Catch::Contains("every count checked"));
  // The password never shows.
  CHECK(to.out.find(pg.url()) == std::string::npos);
  test::RunResult from = test::run_gridmap({"migrate", "--from", pg.url(), "--to", back});
  INFO(from.err);
  REQUIRE(from.exit_code == 0);
  std::vector<std::string> tables = data_tables(pg.url());
  REQUIRE(tables.size() > 30);
  for (const std::string& t : tables) {
    INFO(t);
    CHECK(fingerprint(back, t) == fingerprint(first, t));
  }
  // The audit chain verifies on the copy.
  test::RunResult audit = test::run_gridmap({"audit", "verify", "--db", back});
  INFO(audit.out + audit.err);
  CHECK(audit.exit_code == 0);
}

TEST_CASE("a copy stopped midway goes on where it stopped, from the same source only") {
  test::TempDir dir;
  test::PgDatabase pg;
  test::ScopedEnv audit_dir({{"GRIDMAP_AUDIT_DIR", dir.path().string()}});
  std::string first = dir.file("first.sqlite"), back = dir.file("back.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", first, "--preset", "tatabu"}).exit_code == 0);
  std::string stopped_in;  // a table of more rows than a commit, copied whole when the copy stops
  {
    data::Db from = data::Db::open(first, false), to = data::Db::open(pg.url());
    CHECK_THROWS_WITH(data::copy_database(from, to,
                                          [&](const data::CopiedTable& t) {
                                            if (t.rows > 6000 && t.name != "audit_log") {
                                              stopped_in = t.name;
                                              throw Error(ErrorKind::unavailable, "stopped");
                                            }
                                          }),
                      "stopped");
  }
  REQUIRE(!stopped_in.empty());
  INFO(stopped_in);
  {
    // As if the copy had died after that table's first commit: its later rows and its mark go.
    data::Db to = data::Db::open(pg.url(), false);
    data::Transaction t(to);
    to.exec("DELETE FROM " + stopped_in + " WHERE id > (SELECT id FROM " + stopped_in +
            " ORDER BY id LIMIT 1 OFFSET 4999)");
    to.exec("DELETE FROM gridmap_copy_progress WHERE table_name = '" + stopped_in + "'");
    t.commit();
  }
  // Another source may not finish it.
  std::string other = dir.file("other.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", other, "--preset", "tatabu"}).exit_code == 0);
  test::RunResult wrong = test::run_gridmap({"migrate", "--from", other, "--to", pg.url()});
  CHECK(wrong.exit_code != 0);
  CHECK_THAT(wrong.err, Catch::Contains("copy under way from"));
  // The same source finishes it: every count checked, every row as it was.
  test::RunResult resumed = test::run_gridmap({"migrate", "--from", first, "--to", pg.url()});
  INFO(resumed.out + resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Catch::Contains("every count checked"));
  REQUIRE(test::run_gridmap({"migrate", "--from", pg.url(), "--to", back}).exit_code == 0);
  for (const std::string& t : data_tables(pg.url())) {
    INFO(t);
    CHECK(fingerprint(back, t) == fingerprint(first, t));
  }
  data::Db to = data::Db::open(pg.url(), false);
  data::Statement left(to, "SELECT to_regclass('gridmap_copy_progress') IS NULL");
  REQUIRE(left.step());
  CHECK(left.int64(0) == 1);  // the record of the copy under way is gone
}

TEST_CASE("migrate refuses a destination holding data and a copy within one engine") {
  test::TempDir dir;
  test::PgDatabase pg;
  test::ScopedEnv audit_dir({{"GRIDMAP_AUDIT_DIR", dir.path().string()}});
  std::string city = dir.file("city.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", city, "--preset", "tatabu"}).exit_code == 0);
  // Without a place for the audit log's anchor nothing is copied.
  test::RunResult anchorless = test::run_gridmap_env({"migrate", "--from", city, "--to", pg.url()},
                                                     {{"GRIDMAP_AUDIT_DIR", std::nullopt}});
  CHECK(anchorless.exit_code != 0);
  CHECK_THAT(anchorless.err, Catch::Contains("GRIDMAP_AUDIT_DIR"));
  REQUIRE(test::run_gridmap({"migrate", "--from", city, "--to", pg.url()}).exit_code == 0);
  test::RunResult again = test::run_gridmap({"migrate", "--from", city, "--to", pg.url()});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Catch::Contains("already holds data"));
  test::RunResult same =
      test::run_gridmap({"migrate", "--from", city, "--to", dir.file("other.sqlite")});
  CHECK(same.exit_code != 0);
  CHECK_THAT(same.err, Catch::Contains("both databases are SQLite"));
  test::RunResult mixed = test::run_gridmap({"migrate", "--from", city, "--db", city});
  CHECK(mixed.exit_code != 0);
}

TEST_CASE("gridmap demo makes the same city on PostgreSQL as in a file") {
  test::TempDir dir;
  test::PgDatabase pg;
  test::ScopedEnv audit_dir({{"GRIDMAP_AUDIT_DIR", dir.path().string()}});
  const std::vector<std::string> same{"--preset", "tatabu", "--seed",
                                      "3",        "--now",  "2026-11-01T08:00:00+08:00"};
  std::vector<std::string> in_file{"demo", "--db", dir.file("demo.sqlite")},
      in_pg{"demo", "--db", pg.url()};
  in_file.insert(in_file.end(), same.begin(), same.end());
  in_pg.insert(in_pg.end(), same.begin(), same.end());
  REQUIRE(test::run_gridmap(in_file).exit_code == 0);
  test::RunResult made = test::run_gridmap(in_pg);
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(made.out.find(pg.url()) == std::string::npos);  // no password on the screen
  for (const char* table :
       {"grids", "households", "residents", "petitions", "petition_events", "users"}) {
    INFO(table);
    std::string sql = std::string("SELECT count(*) FROM ") + table;
    data::Db a = data::Db::open(dir.file("demo.sqlite"), false),
             b = data::Db::open(pg.url(), false);
    data::Statement x(a, sql), y(b, sql);
    REQUIRE(x.step());
    REQUIRE(y.step());
    CHECK(x.int64(0) == y.int64(0));
    CHECK(y.int64(0) > 0);
  }
}
