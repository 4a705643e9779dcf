#include "data/db.hpp"
#include "data/catalogue.hpp"
#include "data/migrations.hpp"

#include <gdal.h>
#include <catch2/catch.hpp>

#include "data/areas.hpp"
#include "data/households.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"
#include "support/db_support.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

std::string square_wkb(double x, double y, double size) {
  geos::GeomPtr p =
      geos::polygon({{{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}, {x, y}}});
  return geos::to_wkb(geos::to_multipolygon(p.get()).get());
}

}  // namespace

TEST_CASE("opening a new file creates the current schema with spatial indexes") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("new.db"));
  CHECK(db.schema_version() == data::kSchemaVersion);
  for (const char* table :
       {"subdistricts", "communities", "grids", "workers", "households", "petitions"}) {
    INFO(table);
    data::Statement st(db,
                       "SELECT srid, spatial_index_enabled FROM geometry_columns "
                       "WHERE f_table_name = ?1 AND f_geometry_column = 'geom'");
    st.bind(1, table);
    REQUIRE(st.step());
    CHECK(st.int64(0) == 4326);
    CHECK(st.int64(1) == 1);
    CHECK(test::scalar(db, std::string("SELECT count(*) FROM sqlite_master WHERE name = 'idx_") +
                               table + "_geom'") == 1);
  }
}

TEST_CASE("reopening a gridmap database keeps its schema and data") {
  test::TempDir dir;
  std::string path = dir.file("again.db");
  int64_t objects = 0;
  {
    data::Db db = data::Db::open(path);
    data::AreaRepo(db, data::Layer::subdistricts)
        .upsert({"150102001", "一街道", {}, square_wkb(111.7, 40.8, 0.01)});
    objects = test::scalar(db, "SELECT count(*) FROM sqlite_master");
  }
  data::Db db = data::Db::open(path, false);
  CHECK(db.schema_version() == data::kSchemaVersion);
  CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master") == objects);
  CHECK(data::AreaRepo(db, data::Layer::subdistricts).count() == 1);
}

TEST_CASE("a reused statement comes back reset, unbound and working, nested or moved") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("reuse.db"));
  db.exec("CREATE TABLE t (k INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  const char* sql = "SELECT v FROM t WHERE k >= ?1 ORDER BY k";
  auto first = [&](int64_t k) {
    data::Statement st(db, sql, data::Statement::reuse);
    st.bind(1, k);
    return st.step() ? st.text(0) : std::string("none");
  };
  CHECK(first(2) == "b");
  CHECK(first(1) == "a");  // the same statement again, with a new binding
  {
    // Left mid-way through its rows: the next user starts from the first row, unbound.
    data::Statement st(db, sql, data::Statement::reuse);
    st.bind(1, int64_t{1});
    REQUIRE(st.step());
    CHECK(st.text(0) == "a");
  }
  {
    data::Statement st(db, sql, data::Statement::reuse);
    CHECK_FALSE(st.step());  // ?1 is NULL again: no row has k >= NULL
  }
  {
    // Two at once (the same query nested) are two statements with their own cursors.
    data::Statement outer(db, sql, data::Statement::reuse);
    outer.bind(1, int64_t{1});
    REQUIRE(outer.step());
    CHECK(first(3) == "c");
    REQUIRE(outer.step());
    CHECK(outer.text(0) == "b");
    data::Statement moved(std::move(outer));
    REQUIRE(moved.step());
    CHECK(moved.text(0) == "c");
  }
  CHECK(first(2) == "b");
  // The table changes under a kept statement: it is prepared again by SQLite.
  db.exec("ALTER TABLE t ADD COLUMN w INTEGER");
  CHECK(first(3) == "c");
  CHECK_THROWS(data::Statement(db, "SELECT nothing FROM nowhere", data::Statement::reuse));
}

TEST_CASE("a missing database is refused when it may not be created") {
  test::TempDir dir;
  try {
    data::Db::open(dir.file("missing.db"), false);
    FAIL("opened a missing database");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("does not exist"));
  }
}

namespace {
void create_with_gdal(const std::string& driver, const std::string& path) {
  GDALAllRegister();
  GDALDatasetH ds =
      GDALCreate(GDALGetDriverByName(driver.c_str()), path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  REQUIRE(ds != nullptr);
  REQUIRE(GDALDatasetCreateLayer(ds, "things", nullptr, wkbPoint, nullptr) != nullptr);
  GDALClose(ds);
}

ErrorKind open_failure(const std::string& path) {
  try {
    data::Db::open(path);
  } catch (const Error& e) {
    INFO(e.what());
    return e.kind();
  }
  FAIL("opened " << path << " as a gridmap database");
  return ErrorKind::internal;
}
}  // namespace

TEST_CASE("an SQLite file of another application is refused as unavailable") {
  test::TempDir dir;
  std::string sqlite = dir.file("other.sqlite"), gpkg = dir.file("other.gpkg");
  create_with_gdal("SQLite", sqlite);
  create_with_gdal("GPKG", gpkg);
  CHECK(open_failure(sqlite) == ErrorKind::unavailable);
  CHECK_THROWS_WITH(data::Db::open(sqlite), Catch::Contains("not a gridmap database"));
  CHECK(open_failure(gpkg) == ErrorKind::unavailable);
}

TEST_CASE("areas are upserted by code and listed in code order with their lineage", "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "areas.db"));
  data::AreaRepo subs(db, data::Layer::subdistricts), comms(db, data::Layer::communities),
      grids(db, data::Layer::grids);
  subs.upsert({"150102001", "街道", {}, square_wkb(111.7, 40.8, 0.02)});
  comms.upsert({"150102001001", "社区", "150102001", square_wkb(111.7, 40.8, 0.02)});
  grids.upsert({"150102001001002", "二网格", "150102001001", square_wkb(111.71, 40.8, 0.01)});
  grids.upsert({"150102001001001", "一网格", "150102001001", square_wkb(111.7, 40.8, 0.01)});
  grids.upsert({"150102001001001", "第一网格", "150102001001", square_wkb(111.7, 40.8, 0.01)});
  std::vector<data::Area> all = grids.all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].code == "150102001001001");
  CHECK(all[0].name == "第一网格");
  std::vector<data::GridLineage> lineage = data::grid_lineage(db);
  REQUIRE(lineage.size() == 2);
  CHECK(lineage[1].subdistrict_code == "150102001");
  data::Locator locator = data::Locator::load(db);
  const data::GridLineage* hit = locator.locate({111.715, 40.805});
  REQUIRE(hit != nullptr);
  CHECK(hit->grid_code.value == "150102001001002");
}

TEST_CASE("a worker's grid assignment is replaced on upsert", "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "workers.db"));
  data::AreaRepo grids(db, data::Layer::grids);
  grids.upsert({"g1", "一", {}, square_wkb(111.7, 40.8, 0.01)});
  grids.upsert({"g2", "二", {}, square_wkb(111.71, 40.8, 0.01)});
  data::WorkerRepo workers(db);
  data::Worker w{std::nullopt, "王芳",      "13900000000", true, LonLat{111.705, 40.805},
                 1740787200,   {"g1", "g2"}};
  int64_t id = workers.upsert(w);
  w.id = id;
  w.grids = {"g2"};
  workers.upsert(w);
  std::optional<data::Worker> back = workers.get(id);
  REQUIRE(back);
  CHECK(back->grids == std::vector<std::string>{"g2"});
  CHECK(back->on_duty);
  CHECK(back->position->lon == 111.705);
  CHECK(workers.count() == 1);
}

TEST_CASE("households keep their residents in a table of their own", "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "households.db"));
  data::HouseholdRepo repo(db);
  int64_t id = repo.upsert({std::nullopt, "光明路1号", {111.7, 40.8}, {}, {}, {}});
  repo.add_resident({std::nullopt, id, "张三", "13800000000", {}, {}});
  CHECK(repo.count() == 1);
  CHECK(repo.count_residents() == 1);
  CHECK(repo.get(id)->address == "光明路1号");
}

TEST_CASE("petitions keep their events and categories their deadlines", "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "petitions.db"));
  data::PetitionRepo repo(db);
  data::Catalogue(db).put(data::simple_category("env", "环境卫生", 48));
  data::Petition p;
  p.category = "env";
  p.created_at = 1740787200;
  p.position = {111.7, 40.8};
  PetitionId id = repo.upsert(p);
  repo.add_event({id,
                  1740787200,
                  "worker:1",
                  data::Action::report,
                  {},
                  data::Status::reported,
                  data::Level::grid,
                  ""});
  CHECK(data::Catalogue(db).get("env")->deadline == 48);
  CHECK(repo.events(id).size() == 1);
  CHECK(repo.count_by_status(data::Status::reported) == 1);
  CHECK(repo.events(id).front().to_status == data::Status::reported);
  CHECK(repo.events(id).front().handler_level == data::Level::grid);
}

TEST_CASE("a version 1 database is migrated to the current schema and keeps its data") {
  test::TempDir dir;
  std::string path = dir.file("old.db");
  {
    data::Db db = data::Db::open(path, true, 1);  // the schema of version 1, as it was
    REQUIRE(db.schema_version() == 1);
    CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'work_logs'") == 1);
    db.exec("INSERT INTO categories(code, name, deadline_hours) VALUES ('noise', '噪声扰民', 72)");
    db.exec("INSERT INTO workers(id, name) VALUES (1, '张三')");
    db.exec("INSERT INTO work_logs(worker_id, day, text) VALUES (1, '2026-11-30', '走访5户')");
  }
  data::Db db = data::Db::open(path);
  CHECK(db.schema_version() == data::kSchemaVersion);
  CHECK(test::scalar(
            db, "SELECT count(*) FROM pragma_table_info('petitions') WHERE name = 'version'") == 1);
  CHECK(test::scalar(db, "SELECT count(*) FROM categories") == 1);
  CHECK(test::scalar(
            db, "SELECT count(*) FROM pragma_table_info('petitions') WHERE name = 'merged_into'") ==
        1);
  CHECK(test::scalar(
            db, "SELECT count(*) FROM pragma_table_info('audit_log') WHERE name = 'keyed'") == 1);
  // The old category is a catalogue entry whose hours now count working time.
  std::optional<data::CatalogueEntry> noise = data::Catalogue(db).get("noise");
  REQUIRE(noise);
  CHECK(noise->deadline == 72);
  CHECK(noise->unit == data::DeadlineUnit::working_hours);
  CHECK_FALSE(noise->parent);
  CHECK(data::Catalogue(db).petition_codes() == "noise");
  // Version 11: a day's log became that day's one entry, at 18:00 China time.
  data::Statement log(db, "SELECT worker_id, day, at, text FROM work_log_entries");
  REQUIRE(log.step());
  CHECK(log.int64(0) == 1);
  CHECK(log.text(1) == "2026-11-30");
  CHECK(log.int64(2) == *data::parse_time("2026-11-30T18:00:00+08:00"));
  CHECK(log.text(3) == "走访5户");
  CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'work_logs'") == 0);
}

TEST_CASE("a transaction inside another is a savepoint: its rollback undoes its part only",
          "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "nested.sqlite"));
  db.exec("CREATE TABLE t (v INTEGER)");
  std::vector<int> committed;
  {
    data::Transaction outer(db);
    db.exec("INSERT INTO t VALUES (1)");
    {
      data::Transaction inner(db);
      db.exec("INSERT INTO t VALUES (2)");
      db.after_commit([&] { committed.push_back(2); });
      // dropped: rolled back to the savepoint, its after-commit work forgotten
    }
    {
      data::Transaction inner(db);
      db.exec("INSERT INTO t VALUES (3)");
      db.after_commit([&] { committed.push_back(3); });
      inner.commit();
    }
    CHECK(committed.empty());  // the inner commit waits for the outer one
    outer.commit();
  }
  data::Statement st(
      db, "SELECT group_concat(CAST(v AS TEXT), ',') FROM (SELECT v FROM t ORDER BY v) AS s");
  REQUIRE(st.step());
  CHECK(st.text(0) == "1,3");
  CHECK(committed == std::vector<int>{3});
  // An outer rollback undoes a committed inner part too.
  {
    data::Transaction outer(db);
    {
      data::Transaction inner(db);
      db.exec("INSERT INTO t VALUES (4)");
      inner.commit();
    }
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM t") == 2);
}
