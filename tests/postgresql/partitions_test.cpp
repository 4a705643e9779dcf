// Monthly partitions of the large tables on PostgreSQL (data/partitions.hpp): made by migration
// 13 with every row kept in its month, made ahead, filled from the default partition, and
// dropped whole by retention.
#include "data/partitions.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/engine_copy.hpp"
#include "data/migrations.hpp"
#include "data/patrols.hpp"
#include "data/time.hpp"
#include "support/db_support.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

// What must survive the move into partitions: how many rows, and sums over their keys.
std::string summary(data::Db& db, const std::string& table, const std::string& key) {
  data::Statement st(
      db, "SELECT count(*), coalesce(sum(" + key + "), 0), coalesce(sum(at), 0) FROM " + table);
  REQUIRE(st.step());
  return std::to_string(st.int64(0)) + " " + st.text(1) + " " + st.text(2);
}

void add_points(data::Db& db, int64_t worker, int64_t from, int days) {
  data::Transaction t(db);
  data::Statement st(
      db, "INSERT INTO patrol_points(worker_id, at, lon, lat) VALUES (?1, ?2, 116.4, 39.9)");
  for (int d = 0; d < days; ++d) st.bind(1, worker).bind(2, from + d * 86400).run();
  t.commit();
}

}  // namespace

TEST_CASE("months are China months, named by their year and month") {
  // 2026-12-01 00:00 in China is 2026-11-30 16:00 UTC.
  int64_t dec = data::days_from_civil(2026, 11, 30) * 86400 + 16 * 3600;
  CHECK(data::month_start(dec) == dec);
  CHECK(data::month_start(dec - 1) == data::days_from_civil(2026, 10, 31) * 86400 + 16 * 3600);
  CHECK(data::month_start(dec + 20 * 86400) == dec);
  CHECK(data::month_after(dec) == data::days_from_civil(2026, 12, 31) * 86400 + 16 * 3600);
  CHECK(data::month_after(data::month_after(dec)) ==
        data::days_from_civil(2027, 1, 31) * 86400 + 16 * 3600);
}

TEST_CASE("migration 13 partitions a PostgreSQL database by month, every row kept in its month") {
  test::PgDatabase pg;
  test::TempDir dir;
  test::ScopedEnv env({{"GRIDMAP_AUDIT_DIR", dir.file("")}});
  int64_t now = data::now_seconds();
  std::map<std::string, std::string> before;
  {
    // A year of cases and their events, as `gridmap migrate` brings a city of schema 12.
    {
      data::Db file = data::Db::open(dir.file("tatabu.sqlite"), true, 12);
      data::DemoOptions o;
      o.preset = data::Preset::tatabu;
      data::generate_demo(file, o);
    }
    data::Db file = data::Db::open(dir.file("tatabu.sqlite"), false, 12);
    data::Db db = data::Db::open(pg.url(), true, 12);
    REQUIRE(db.schema_version() == 12);
    data::copy_database(file, db);
    add_points(db, 1, now - 70 * 86400, 70);
    for (int d = 90; d > 0; d -= 3) {
      data::Transaction t(db);
      data::audit(db, now - d * 86400, "admin", "resident.reveal", "resident:" + std::to_string(d));
      t.commit();
    }
    before["petition_events"] = summary(db, "petition_events", "id");
    before["patrol_points"] = summary(db, "patrol_points", "worker_id");
    before["audit_log"] = summary(db, "audit_log", "id");
    REQUIRE(test::scalar(db, "SELECT count(DISTINCT at / 2678400) FROM audit_log") >= 3);
  }
  data::Db db = data::Db::open(pg.url(), false);
  CHECK(db.schema_version() == data::kSchemaVersion);
  // Before migrating it, a portable backup of the database as it was, beside the audit anchor.
  std::vector<std::string> upgrade_backups;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename().string().find(".before-schema-13-") != std::string::npos)
      upgrade_backups.push_back(e.path().string());
  REQUIRE(upgrade_backups.size() == 1);
  test::RunResult verified = test::run_gridmap({"backup", "verify", upgrade_backups[0]});
  INFO(verified.out + verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("schema 12"));
  CHECK(summary(db, "petition_events", "id") == before["petition_events"]);
  CHECK(summary(db, "patrol_points", "worker_id") == before["patrol_points"]);
  CHECK(summary(db, "audit_log", "id") == before["audit_log"]);
  for (std::string_view table : data::kMonthlyTables) {
    std::string t(table);
    INFO(t);
    CHECK(test::scalar(db, "SELECT relkind = 'p' FROM pg_class WHERE relname = '" + t + "'") == 1);
    // Every row is in its month; none is left in the default partition.
    CHECK(test::scalar(db, "SELECT count(*) FROM " + t + "_default") == 0);
    int64_t in_months = 0;
    std::vector<data::MonthPartition> months = data::month_partitions(db, t);
    for (const data::MonthPartition& p : months) {
      CHECK(test::scalar(db, "SELECT count(*) FROM " + p.name + " WHERE at < " +
                                 std::to_string(p.from) + " OR at >= " + std::to_string(p.to)) ==
            0);
      in_months += test::scalar(db, "SELECT count(*) FROM " + p.name);
    }
    CHECK(in_months == test::scalar(db, "SELECT count(*) FROM " + t));
    // The coming months are made ahead.
    REQUIRE(!months.empty());
    CHECK(months.back().from == data::month_after(data::month_after(data::month_start(now))));
  }
  // Ids are numbered over the whole table, whichever month a row falls in.
  int64_t last_entry = test::scalar(db, "SELECT max(id) FROM audit_log");
  {
    data::Transaction t(db);
    data::audit(db, now, "admin", "resident.reveal", "resident:1");
    t.commit();
  }
  CHECK(test::scalar(db, "SELECT max(id) FROM audit_log") == last_entry + 1);
  CHECK(test::scalar(db, "SELECT count(*) - count(DISTINCT id) FROM audit_log") == 0);
  // The cases' events are not partitioned (read by case, kept with it): still one table.
  CHECK(test::scalar(db, "SELECT relkind = 'r' FROM pg_class WHERE relname = 'petition_events'") ==
        1);
  // The audit chain verifies across the months, and the log stays append-only in each.
  CHECK(data::verify_audit(db).intact());
  std::string month = data::month_partitions(db, "audit_log").front().name;
  std::string entries = summary(db, "audit_log", "id");
  for (const std::string& sql : std::vector<std::string>{
           "DELETE FROM audit_log", "UPDATE audit_log SET actor = 'x'", "TRUNCATE audit_log",
           "TRUNCATE " + month, "DELETE FROM " + month}) {
    INFO(sql);
    CHECK_THROWS(db.exec_native(sql));
  }
  CHECK(summary(db, "audit_log", "id") == entries);
}

TEST_CASE(
    "a month's partition is made ahead, and rows that came before it move in from the default") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  int64_t now = data::now_seconds();
  // A clock far ahead: five months on, no partition yet.
  int64_t ahead = data::month_after(data::month_after(data::month_after(
                      data::month_after(data::month_after(data::month_start(now)))))) +
                  86400;
  {
    data::Transaction t(db);
    db.exec("INSERT INTO workers(id, name) VALUES (1, 'w')");
    t.commit();
  }
  add_points(db, 1, ahead, 3);
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points_default") == 3);
  int made = 0;
  {
    data::Transaction t(db);
    made = data::ensure_month_partitions(db, ahead);
    t.commit();
  }
  CHECK(made >= 3);  // that month and those after it, in the three tables
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points_default") == 0);
  std::vector<data::MonthPartition> months = data::month_partitions(db, "patrol_points");
  auto it = std::find_if(months.begin(), months.end(), [&](const data::MonthPartition& p) {
    return p.from == data::month_start(ahead);
  });
  REQUIRE(it != months.end());
  CHECK(test::scalar(db, "SELECT count(*) FROM " + it->name) == 3);
  // Run again: nothing more to make.
  data::Transaction t(db);
  CHECK(data::ensure_month_partitions(db, ahead) == 0);
}

TEST_CASE(
    "patrol retention drops the months wholly past as partitions and deletes the rest by row") {
  test::PgDatabase pg;
  data::Db db = data::Db::open(pg.url());
  int64_t now = data::now_seconds();
  {
    data::Transaction t(db);
    db.exec("INSERT INTO workers(id, name) VALUES (1, 'w')");
    t.commit();
  }
  add_points(db, 1, now - 100 * 86400, 100);
  {
    data::Transaction t(db);
    data::ensure_month_partitions(db, now);
    t.commit();
  }
  size_t months_before = data::month_partitions(db, "patrol_points").size();
  int64_t limit = now - 30 * 86400;
  int64_t expired = 0;
  {
    data::Statement st(db, "SELECT count(*) FROM patrol_points WHERE at < ?1");
    st.bind(1, limit);
    REQUIRE(st.step());
    expired = st.int64(0);
  }
  REQUIRE(expired >= 69);
  int64_t removed = 0;
  {
    data::Transaction t(db);
    removed = data::Patrols(db).purge(limit);
    t.commit();
  }
  CHECK(removed == expired);
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points") == 100 - expired);
  {
    data::Statement st(db, "SELECT min(at) >= ?1 FROM patrol_points");
    st.bind(1, limit);
    REQUIRE(st.step());
    CHECK(st.int64(0) == 1);
  }
  std::vector<data::MonthPartition> months = data::month_partitions(db, "patrol_points");
  CHECK(months.size() < months_before);  // two or three months went whole
  CHECK(months.front().to > limit);
}
