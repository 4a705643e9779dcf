// The audit log's retention: whole months past the period go (on PostgreSQL as partitions), the
// chain verifies from the cut, and a beginning removed without a retention entry is found.
#include "data/audit.hpp"

#include <catch2/catch.hpp>

#include "data/db.hpp"
#include "data/partitions.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

int64_t scalar(data::Db& db, const std::string& sql, std::optional<int64_t> arg = std::nullopt) {
  data::Statement st(db, sql);
  if (arg) st.bind(1, *arg);
  REQUIRE(st.step());
  return st.int64(0);
}

// An entry a day from `from` for `days` days, each in its own transaction as a server writes
// them.
void write_days(data::Db& db, int64_t from, int days) {
  for (int d = 0; d < days; ++d) {
    data::Transaction t(db);
    data::audit(db, from + d * 86400 + 3600, "admin", "resident.reveal",
                "resident:" + std::to_string(d), "phone");
    t.commit();
  }
}

}  // namespace

TEST_CASE("audit retention removes the months past the period, and the chain verifies from the cut",
          "[engines]") {
  test::TempDir dir;
  test::ScopedEnv env({{"GRIDMAP_AUDIT_DIR", dir.file("")}});
  data::Db db = data::Db::open(test::test_database(dir.path(), "audit.sqlite"));
  int64_t now = data::now_seconds();
  // 400 days of entries, ending yesterday.
  int64_t first = now - 400 * 86400;
  write_days(db, first, 400);
  {
    data::Transaction t(db);
    data::ensure_month_partitions(db, now);
    t.commit();
  }
  REQUIRE(data::verify_audit(db).intact());

  // Kept 200 days: the months that ended before the month holding now - 200 days go.
  int64_t older_than = now - 200 * 86400;
  int64_t cut = data::month_start(older_than);
  int64_t expired = scalar(db, "SELECT count(*) FROM audit_log WHERE at < ?1", cut);
  int64_t kept = scalar(db, "SELECT count(*) FROM audit_log WHERE at >= ?1", cut);
  REQUIRE(expired > 150);
  REQUIRE(expired < 230);
  data::AuditPrune pruned;
  {
    data::Transaction t(db);
    pruned = data::prune_audit(db, older_than, now, "retention");
    t.commit();
  }
  CHECK(pruned.removed == expired);
  // What was kept, and the retention entry after it.
  CHECK(scalar(db, "SELECT count(*) FROM audit_log") == kept + 1);
  CHECK(scalar(db, "SELECT count(*) FROM audit_log WHERE at < ?1", cut) == 0);
  CHECK(scalar(db, "SELECT min(id) FROM audit_log") == pruned.through_id + 1);
  data::AuditCheck check = data::verify_audit(db);
  INFO(check.anchor_problem);
  CHECK(check.intact());
  CHECK(check.entries == kept + 1);
  std::optional<data::AuditCut> recorded = data::audit_cut(db);
  REQUIRE(recorded);
  CHECK(recorded->removed == expired);
  if (db.postgresql()) {  // the months went as partitions
    for (const data::MonthPartition& p : data::month_partitions(db, "audit_log")) CHECK(p.to > cut);
  }

  // Nothing more has expired: a second run removes nothing and writes nothing.
  int64_t entries = scalar(db, "SELECT count(*) FROM audit_log");
  {
    data::Transaction t(db);
    CHECK(data::prune_audit(db, older_than, now, "retention").removed == 0);
    t.commit();
  }
  CHECK(scalar(db, "SELECT count(*) FROM audit_log") == entries);

  // A later cut, a month further: the chain verifies again and the total grows.
  {
    data::Transaction t(db);
    data::AuditPrune again = data::prune_audit(db, older_than + 31 * 86400, now, "retention");
    t.commit();
    CHECK(again.removed > 0);
    CHECK(data::audit_cut(db)->removed == expired + again.removed);
  }
  CHECK(data::verify_audit(db).intact());
}

TEST_CASE("an audit log whose beginning was removed, or whose cut was moved, fails verification") {
  test::TempDir dir;
  std::string path = dir.file("audit.sqlite");
  data::Db db = data::Db::open(path);
  int64_t now = data::now_seconds();
  write_days(db, now - 120 * 86400, 120);
  {
    data::Transaction t(db);
    data::prune_audit(db, now - 60 * 86400, now, "retention");
    t.commit();
  }
  REQUIRE(data::verify_audit(db).intact());
  int64_t first = scalar(db, "SELECT min(id) FROM audit_log");

  SECTION("the first entries kept removed by hand") {
    db.exec("DROP TRIGGER audit_log_no_delete");
    data::Statement del(db, "DELETE FROM audit_log WHERE id < ?1");
    del.bind(1, first + 5).run();
    data::AuditCheck c = data::verify_audit(db);
    CHECK_FALSE(c.intact());
    CHECK(c.first_bad == first + 5);
  }
  SECTION("the cut moved to cover entries removed by hand") {
    // Someone removes five more entries and points the cut at the last of them: its hash is in
    // the file, but no retention entry (whose MAC needs the key) says the log was cut there.
    std::string hash;
    {
      data::Statement st(db, "SELECT hash FROM audit_log WHERE id = ?1");
      st.bind(1, first + 4);
      REQUIRE(st.step());
      hash = st.text(0);
    }
    db.exec("DROP TRIGGER audit_log_no_delete");
    data::Statement del(db, "DELETE FROM audit_log WHERE id < ?1");
    del.bind(1, first + 5).run();
    data::Statement up(db, "UPDATE audit_cut SET last_id = ?1, last_hash = ?2");
    up.bind(1, first + 4).bind(2, hash).run();
    data::AuditCheck c = data::verify_audit(db);
    CHECK_FALSE(c.intact());
    CHECK_FALSE(c.first_bad);
    CHECK_THAT(c.anchor_problem, Catch::Contains("no retention entry"));
  }
  SECTION("the record of the cut removed") {
    db.exec("DELETE FROM audit_cut");
    data::AuditCheck c = data::verify_audit(db);
    CHECK_FALSE(c.intact());
    CHECK(c.first_bad == first);
  }
}

TEST_CASE("an entry is never dated before the one it follows, so retention cuts a prefix") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("audit.sqlite"));
  int64_t now = data::now_seconds();
  data::audit(db, now, "admin", "resident.reveal", "resident:1");
  // A second server whose clock is a minute behind.
  data::audit(db, now - 60, "admin", "resident.reveal", "resident:2");
  CHECK(scalar(db, "SELECT count(*) FROM audit_log WHERE at = ?1", now) == 2);
  CHECK(data::verify_audit(db).intact());

  // A log written before that rule, whose dates go back: not cut, and nothing is lost.
  db.exec("DROP TRIGGER audit_log_no_update");
  data::Statement back(db, "UPDATE audit_log SET at = ?1 WHERE id = 1");
  back.bind(1, now - 400 * 86400).run();
  data::Statement later(db, "UPDATE audit_log SET at = ?1 WHERE id = 2");
  later.bind(1, now - 500 * 86400).run();
  data::audit(db, now, "admin", "resident.reveal", "resident:3");
  {
    data::Transaction t(db);
    try {
      data::prune_audit(db, now - 450 * 86400 + 40 * 86400, now, "retention");
      FAIL("cut");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::conflict);
      CHECK_THAT(e.what(), Catch::Contains("do not rise"));
    }
  }
  CHECK(scalar(db, "SELECT count(*) FROM audit_log") == 3);
}
