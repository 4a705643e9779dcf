// gridmap backup of a PostgreSQL database: the portable archive of an SQLite backup, taken from
// one snapshot while writers go on, verified, and restored as a file.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "data/audit.hpp"
#include "data/blob_store.hpp"
#include "data/db.hpp"
#include "data/time.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

TEST_CASE(
    "a PostgreSQL database is backed up while it is written, verified, and restored as a file") {
  test::TempDir dir;
  test::PgDatabase pg;
  test::ScopedEnv audit_dir({{"GRIDMAP_AUDIT_DIR", dir.file("")}});
  REQUIRE(test::run_gridmap({"demo", "--db", pg.url(), "--preset", "tatabu"}).exit_code == 0);
  // The shared attachments' directory, with a photo in it.
  std::string files = dir.file("files");
  const std::string photo = "a photo's bytes";
  data::DirBlobStore(files).put(data::sha256_hex(photo), photo);

  // A writer goes on while the backup runs: audit entries, each committed before it counts.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> committed{0};
  std::thread writer([&] {
    data::Db db = data::Db::open(pg.url(), false);
    while (!stop) {
      data::Transaction t(db);
      data::audit(db, data::now_seconds(), "admin", "resident.reveal", "resident:1", "phone");
      t.commit();
      ++committed;
    }
  });
  while (committed < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t before = committed;
  std::string archive = dir.file("pg.tar.gz");
  test::RunResult b =
      test::run_gridmap({"backup", "--db", pg.url(), "--files", files, "--to", archive});
  int64_t during = committed;
  stop = true;
  writer.join();
  INFO(b.out + b.err);
  REQUIRE(b.exit_code == 0);
  CHECK(during > before);                            // it was written meanwhile
  CHECK(b.out.find(pg.url()) == std::string::npos);  // no password on the screen

  test::RunResult v = test::run_gridmap({"backup", "verify", archive});
  INFO(v.out + v.err);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("audit chain verifies") && Catch::Contains("attachments 1"));

  // Restored as a file, on a machine of its own (another anchor directory).
  test::TempDir elsewhere;
  test::ScopedEnv other_anchor({{"GRIDMAP_AUDIT_DIR", elsewhere.file("")}});
  std::string restored = elsewhere.file("city.sqlite");
  test::RunResult r = test::run_gridmap({"restore", archive, "--db", restored});
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  data::Db file = data::Db::open(restored, false);
  data::Db live = data::Db::open(pg.url(), false);
  for (const char* table : {"grids", "households", "residents", "petitions", "petition_events"}) {
    INFO(table);
    std::string sql = std::string("SELECT count(*) FROM ") + table;
    data::Statement a(file, sql), c(live, sql);
    REQUIRE(a.step());
    REQUIRE(c.step());
    CHECK(a.int64(0) == c.int64(0));
  }
  // Every entry committed before the backup began is in it, and no more than were committed.
  data::Statement n(file, "SELECT count(*) FROM audit_log WHERE action = 'resident.reveal'");
  REQUIRE(n.step());
  CHECK(n.int64(0) >= before);
  CHECK(n.int64(0) <= during);
  CHECK(data::verify_audit(file).intact());
  // A PostgreSQL backup needs to be told where the attachments are.
  test::RunResult nofiles =
      test::run_gridmap({"backup", "--db", pg.url(), "--to", dir.file("x.tar.gz")});
  CHECK(nofiles.exit_code != 0);
  CHECK_THAT(nofiles.err, Catch::Contains("--files"));
}
