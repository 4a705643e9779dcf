// A resident's data, exported from every place it appears and erased from all of them: the
// database file, its WAL and a backup taken afterwards hold no trace of the ID number, phone
// or name; the statistics keep their counts.
#include "data/subject_rights.hpp"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <filesystem>
#include <string>

#include "data/audit.hpp"
#include "data/backup.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/locator.hpp"
#include "data/petition_service.hpp"
#include "data/time.hpp"
#include "support/db_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
namespace fs = std::filesystem;

namespace {

const std::string kPhone = "13912345678", kIdNumber = "11010119900307987X", kName = "测试甲乙";

// The table.column values that still hold `secret` ("" when none).
std::string where_is(data::Db& db, const std::string& secret) {
  std::vector<std::string> tables;
  {
    data::Statement st(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND "
        "sql NOT LIKE 'CREATE VIRTUAL%'");
    while (st.step()) tables.push_back(st.text(0));
  }
  std::string found;
  for (const std::string& t : tables) {
    std::vector<std::string> columns;
    {
      data::Statement c(db, "SELECT name FROM pragma_table_info(?1)");
      c.bind(1, t);
      while (c.step()) columns.push_back(c.text(0));
    }
    for (const std::string& col : columns) {
      data::Statement hit(db, "SELECT count(*) FROM \"" + t + "\" WHERE instr(CAST(\"" + col +
                                  "\" AS TEXT), ?1) > 0");
      hit.bind(1, secret);
      if (hit.step() && hit.int64(0) > 0) found += t + "." + col + " ";
    }
  }
  return found;
}

// Every byte of the database's files: the file itself and its WAL.
std::string on_disk(const std::string& db) {
  std::string all = test::read_file(db);
  if (fs::exists(db + "-wal")) all += test::read_file(db + "-wal");
  return all;
}

}  // namespace

TEST_CASE(
    "a resident's data is exported from every place it appears, then erased from all of them") {
  test::TempDir dir;
  std::string path = dir.file("t.sqlite");
  int64_t resident = 0, household = 0, petition = 0, petitions_before = 0;
  {
    data::Db db = data::Db::open(path);
    data::DemoOptions o;
    o.preset = data::Preset::tatabu;
    o.now = data::now_seconds();
    data::generate_demo(db, o);
    resident = test::scalar(db, "SELECT min(id) FROM residents");
    household = test::scalar(
        db, "SELECT household_id FROM residents WHERE id = " + std::to_string(resident));
    db.exec("UPDATE residents SET name = '" + kName + "', phone = '" + kPhone + "', id_number = '" +
            kIdNumber + "' WHERE id = " + std::to_string(resident));
    db.exec("INSERT OR IGNORE INTO resident_tags(resident_id, tag, set_by, set_at) VALUES (" +
            std::to_string(resident) + ", 'lonely_elderly', 'w', 1)");
    // A case they reported by phone, naming their ID number; a visit to their home naming them.
    data::Locator locator = data::Locator::load(db);
    data::Statement at(
        db, "SELECT X(geom), Y(geom) FROM households WHERE id = " + std::to_string(household));
    REQUIRE(at.step());
    data::NewPetition n;
    n.category = "noise";
    n.position = {at.real(0), at.real(1)};
    at.reset();
    n.actor = "hotline";
    n.reporter_contact = kName + " " + kPhone;
    n.description = "楼上噪音，来电人身份证 " + kIdNumber;
    petition = data::PetitionService(db).create(n, locator, data::now_seconds()).petition.id->value;
    int64_t worker = test::scalar(db, "SELECT min(id) FROM workers");
    db.exec("INSERT INTO visits(worker_id, household_id, at, note) VALUES (" +
            std::to_string(worker) + ", " + std::to_string(household) + ", 1767225600, '见到" +
            kName + "，电话" + kPhone + "')");
    db.exec(
        "INSERT INTO visit_answers(visit_id, field, position, value) VALUES (last_insert_rowid(), "
        "'who', 0, '" +
        kName + "')");
    data::audit(db, data::now_seconds(), "admin", "reveal", "resident:" + std::to_string(resident),
                "a call back");
    petitions_before = test::scalar(db, "SELECT count(*) FROM petitions");
  }
  data::Db db = data::Db::open(path, false);
  REQUIRE(data::find_resident(db, kIdNumber) == resident);
  REQUIRE(data::find_resident(db, std::to_string(resident)) == resident);
  CHECK_FALSE(data::find_resident(db, "999999999"));

  data::PersonalDataExport e = data::export_resident(db, resident);
  rapidjson::Document d;
  d.Parse(e.json.c_str());
  REQUIRE(d.IsObject());
  CHECK(std::string(d["resident"]["id_number"].GetString()) == kIdNumber);
  CHECK(std::string(d["household"]["id"].GetString()) == std::to_string(household));
  CHECK(d["tags"].Size() >= 1);
  bool case_found = false;
  for (auto& c : d["cases"].GetArray())
    case_found |= std::string(c["id"].GetString()) == std::to_string(petition);
  CHECK(case_found);
  CHECK(e.visits >= 1);
  CHECK(e.audit_entries >= 1);
  CHECK(e.csv.find(kIdNumber) != std::string::npos);

  data::Erasure x =
      data::erase_resident(db, resident, "admin", "PIPL request 2026-001", data::now_seconds());
  CHECK(x.cases >= 1);
  CHECK(x.visits >= 2);  // the note and the answer
  CHECK(x.wal_truncated);
  CHECK_FALSE(data::find_resident(db, kIdNumber));
  CHECK(test::scalar(db, "SELECT count(*) FROM petitions") ==
        petitions_before);  // counts, not people
  CHECK(test::scalar(db, "SELECT reporter_contact IS NULL FROM petitions WHERE id = " +
                             std::to_string(petition)) == 1);
  CHECK(test::scalar(db, "SELECT count(*) FROM audit_log WHERE action = 'erase_resident'") == 1);
  CHECK(data::verify_audit(db).intact());
  CHECK_THROWS(data::erase_resident(db, resident, "admin", "again", data::now_seconds()));
  CHECK_THROWS(
      data::erase_resident(db, test::scalar(db, "SELECT min(id) FROM residents"), "admin", "", 0));

  // No trace in any table, the file, its WAL, or a backup taken afterwards.
  for (const std::string& secret : {kIdNumber, kPhone, kName}) CHECK(where_is(db, secret) == "");
  std::string bytes = on_disk(path);
  for (const std::string& secret : {kIdNumber, kPhone, kName}) {
    INFO(secret);
    CHECK(bytes.find(secret) == std::string::npos);
  }
  data::BackupOptions b;
  b.db_path = path;
  b.out = dir.file("after.tar.gz");
  data::backup_database(b);
  data::RestoreOptions r;
  r.archive = b.out;
  r.db_path = dir.file("restored.sqlite");
  data::restore_backup(r);
  std::string restored = on_disk(r.db_path);
  for (const std::string& secret : {kIdNumber, kPhone, kName})
    CHECK(restored.find(secret) == std::string::npos);
}

TEST_CASE("retention removes the reporter's contact of cases closed long ago, and only theirs") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("r.sqlite"));
  data::DemoOptions o;
  o.preset = data::Preset::tatabu;
  o.now = data::now_seconds();
  data::generate_demo(db, o);
  db.exec("UPDATE petitions SET reporter_contact = 'someone 13800000000'");
  int64_t total = test::scalar(db, "SELECT count(*) FROM petitions");
  int64_t closed = test::scalar(
      db, "SELECT count(*) FROM petitions WHERE status IN ('closed', 'rejected', 'withdrawn')");
  REQUIRE(closed > 0);
  REQUIRE(closed < total);
  int64_t limit =
      test::scalar(db, "SELECT max(coalesce(closed_at, created_at)) FROM petitions") + 1;
  CHECK(data::expire_case_contacts(db, limit) == closed);
  CHECK(test::scalar(db, "SELECT count(*) FROM petitions WHERE reporter_contact IS NULL") ==
        closed);
  CHECK(test::scalar(db, "SELECT count(*) FROM petitions") == total);
  CHECK(data::expire_case_contacts(db, limit) == 0);
  CHECK(data::expire_case_contacts(db, 0) == 0);
}
