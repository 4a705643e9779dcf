// Backups of a database that is being written: a consistent snapshot with every change
// acknowledged before it began, checked without restoring, restored only into a new place,
// attachments and the audit chain included.
#include "data/backup.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "data/audit.hpp"
#include "data/blob_store.hpp"
#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/locator.hpp"
#include "data/migrations.hpp"
#include "data/petition_service.hpp"
#include "data/time.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
namespace fs = std::filesystem;

namespace {

struct City {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  City() {
    data::Db d = data::Db::open(db);
    data::DemoOptions o;
    o.preset = data::Preset::tatabu;
    o.now = data::now_seconds();
    data::generate_demo(d, o);
    for (int i = 0; i < 5; ++i)
      data::audit(d, data::now_seconds(), "admin", "reveal", "resident:" + std::to_string(i));
    data::DirBlobStore files(data::files_dir_for(db));
    for (const char* photo : {"a photo", "another photo", "a third"})
      files.put(data::sha256_hex(photo), photo);
  }
};

int64_t count(const std::string& db, const std::string& sql) {
  data::Db d = data::Db::open_readonly(db);
  data::Statement st(d, sql);
  REQUIRE(st.step());
  return st.int64(0);
}

}  // namespace

TEST_CASE(
    "a backup taken while a writer adds petitions restores every petition acknowledged before it "
    "began") {
  City c;
  std::atomic<bool> stop{false}, started{false};
  std::mutex lock;
  std::vector<int64_t> acknowledged;  // committed, with the time they were
  std::vector<int64_t> acknowledged_at_ns;
  std::thread writer([&] {
    data::Db db = data::Db::open(c.db, false);
    data::Locator locator = data::Locator::load(db);
    data::Statement where(db, "SELECT X(geom), Y(geom) FROM households LIMIT 1");
    if (!where.step()) return;  // (no REQUIRE off the test's thread: started stays false)
    LonLat p{where.real(0), where.real(1)};
    where.reset();
    for (int i = 0; !stop; ++i) {
      data::NewPetition n;
      n.category = "noise";
      n.position = p;
      n.actor = "writer";
      n.description = "写入中 " + std::to_string(i);
      int64_t id =
          data::PetitionService(db).create(n, locator, data::now_seconds()).petition.id->value;
      data::audit(db, data::now_seconds(), "writer", "report", "petition:" + std::to_string(id));
      auto now = std::chrono::steady_clock::now().time_since_epoch().count();
      std::lock_guard l(lock);
      acknowledged.push_back(id);
      acknowledged_at_ns.push_back(now);
      started = true;
    }
  });
  for (int i = 0; i < 2000 && !started; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!started) {
    stop = true;
    writer.join();
    FAIL("the writer wrote nothing");
  }
  auto began = std::chrono::steady_clock::now().time_since_epoch().count();
  data::BackupOptions o;
  o.db_path = c.db;
  o.out = c.dir.file("city.gmbackup.tar.gz");
  data::BackupManifest m = data::backup_database(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer goes on after it
  stop = true;
  writer.join();
  CHECK(m.files == 3);
  CHECK(m.audit_entries >= 5);
  CHECK(m.tables.at("petitions") > 0);

  auto check = data::verify_backup(o.out);
  INFO(check.problem);
  REQUIRE(check.ok());
  CHECK(check.manifest.database_sha256 == m.database_sha256);

  std::string restored = c.dir.file("restored.sqlite");
  data::RestoreOptions r;
  r.archive = o.out;
  r.db_path = restored;
  data::restore_backup(r);
  // Every petition acknowledged before the backup began is there; the writer went on after.
  std::lock_guard l(lock);
  size_t before = 0;
  for (size_t i = 0; i < acknowledged.size(); ++i)
    if (acknowledged_at_ns[i] < began) {
      ++before;
      CHECK(count(restored, "SELECT count(*) FROM petitions WHERE id = " +
                                std::to_string(acknowledged[i])) == 1);
    }
  CHECK(before > 0);
  CHECK(count(c.db, "SELECT count(*) FROM petitions") > m.tables.at("petitions"));
  CHECK(count(restored, "SELECT count(*) FROM petitions") == m.tables.at("petitions"));
  {
    data::Db d = data::Db::open_readonly(restored);
    data::Statement st(d, "PRAGMA integrity_check");
    REQUIRE(st.step());
    CHECK(st.text(0) == "ok");
    CHECK(data::verify_audit(d).intact());
  }
  // The attachments came back, under their hashes.
  data::DirBlobStore files(data::files_dir_for(restored));
  CHECK(files.get(data::sha256_hex("another photo")) ==
        std::optional<std::string>("another photo"));
  CHECK(files.keys().size() == 3);
}

TEST_CASE("a damaged or doctored backup fails verify, and restore refuses an existing target") {
  City c;
  data::BackupOptions o;
  o.db_path = c.db;
  o.out = c.dir.file("b.tar.gz");
  data::backup_database(o);
  REQUIRE(data::verify_backup(o.out).ok());
  std::string bytes = test::read_file(o.out);
  // A flipped byte in the compressed stream, and a truncated archive.
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x40);
  test::write_file(c.dir.file("flipped.tar.gz"), flipped);
  CHECK_FALSE(data::verify_backup(c.dir.file("flipped.tar.gz")).ok());
  test::write_file(c.dir.file("short.tar.gz"), bytes.substr(0, bytes.size() / 3));
  CHECK_FALSE(data::verify_backup(c.dir.file("short.tar.gz")).ok());
  test::write_file(c.dir.file("empty.tar.gz"), "");
  CHECK_FALSE(data::verify_backup(c.dir.file("empty.tar.gz")).ok());
  CHECK_FALSE(data::verify_backup(c.dir.file("missing.tar.gz")).ok());
  // Doctored and repacked as a whole tar: a row gone from the database, the manifest unchanged.
  std::string work = c.dir.file("work");
  fs::create_directories(work);
  REQUIRE(std::system(("tar -xzf " + o.out + " -C " + work).c_str()) == 0);
  {
    data::Db d = data::Db::open(work + "/gridmap.sqlite", false);
    d.exec("DELETE FROM petitions WHERE id = (SELECT min(id) FROM petitions)");
  }
  REQUIRE(std::system(("cd " + work +
                       " && tar -czf ../doctored.tar.gz manifest.json gridmap.sqlite audit-key "
                       "audit-head files")
                          .c_str()) == 0);
  auto doctored = data::verify_backup(c.dir.file("doctored.tar.gz"));
  CHECK_FALSE(doctored.ok());
  CHECK(doctored.problem.find("manifest") != std::string::npos);
  // Restore never writes over a database, served or not, nor over another's audit anchor.
  data::RestoreOptions r;
  r.archive = o.out;
  r.db_path = c.db;
  CHECK_THROWS_AS(data::restore_backup(r), gridmap::Error);
  std::string fresh = c.dir.file("fresh.sqlite");
  test::write_file(data::AuditAnchor::of(fresh).key_path, "someone else's key");
  r.db_path = fresh;
  CHECK_THROWS_AS(data::restore_backup(r), gridmap::Error);
  CHECK_FALSE(fs::exists(fresh));
  // A failed restore leaves nothing behind.
  fs::remove(data::AuditAnchor::of(fresh).key_path);
  r.archive = c.dir.file("flipped.tar.gz");
  CHECK_THROWS(data::restore_backup(r));
  CHECK_FALSE(fs::exists(fresh));
  CHECK_FALSE(fs::exists(data::AuditAnchor::of(fresh).key_path));
  CHECK_FALSE(fs::exists(data::files_dir_for(fresh)));
}

TEST_CASE(
    "an upgrade from every earlier schema leaves a backup and a current database, and a newer one "
    "is "
    "refused") {
  test::TempDir dir;
  for (int v = 1; v < data::kSchemaVersion; ++v) {
    INFO("schema " << v);
    std::string path = dir.file("v" + std::to_string(v) + ".sqlite");
    { data::Db old = data::Db::open(path, true, v); }
    {
      data::Db db = data::Db::open(path, false);
      CHECK(db.schema_version() == data::kSchemaVersion);
      CHECK(data::pending_migrations(db).empty());
    }
    std::vector<fs::path> backups;
    for (const auto& e : fs::directory_iterator(dir.file("")))
      if (e.path().filename().string().rfind("v" + std::to_string(v) + ".sqlite.before-schema-",
                                             0) == 0)
        backups.push_back(e.path());
    REQUIRE(backups.size() == 1);
    auto check = data::verify_backup(backups[0].string());
    INFO(check.problem);
    CHECK(check.ok());
    CHECK(check.manifest.schema_version == v);
  }
  // What an upgrade would do, said before it is done.
  std::string old = dir.file("old.sqlite");
  { data::Db db = data::Db::open(old, true, data::kSchemaVersion - 2); }
  {
    data::Db db = data::Db::open_readonly(old);
    auto pending = data::pending_migrations(db);
    REQUIRE(pending.size() == 2);
    CHECK(pending.back().version == data::kSchemaVersion);
    CHECK_FALSE(pending.back().changes.empty());
  }
  // Without the backup when told so.
  setenv("GRIDMAP_NO_UPGRADE_BACKUP", "1", 1);
  { data::Db db = data::Db::open(old, false); }
  unsetenv("GRIDMAP_NO_UPGRADE_BACKUP");
  for (const auto& e : fs::directory_iterator(dir.file("")))
    CHECK(e.path().filename().string().rfind("old.sqlite.before-schema-", 0) != 0);
  // A database written by a newer gridmap is refused, untouched.
  std::string newer = dir.file("newer.sqlite");
  {
    data::Db db = data::Db::open(newer, true);
    db.exec("PRAGMA user_version = " + std::to_string(data::kSchemaVersion + 1));
  }
  try {
    data::Db db = data::Db::open(newer, false);
    FAIL("a newer database was opened");
  } catch (const gridmap::Error& e) {
    CHECK(std::string(e.what()).find("newer gridmap") != std::string::npos);
  }
}
