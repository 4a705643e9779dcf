// Bulk loading (data/bulk): the packed R-tree answers as SpatiaLite's own index would, a
// load restores every index and trigger it suspended (and a failed one leaves them as they
// were), batches write what they were given; the import's string map and its two-stage
// queue.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "data/bulk.hpp"
#include "data/chunk_queue.hpp"
#include "data/db.hpp"
#include "data/string_id_map.hpp"
#include "geo/error.hpp"
#include "support/db_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

std::string text(data::Db& db, const std::string& sql) {
  data::Statement st(db, sql);
  REQUIRE(st.step());
  return st.text(0);
}

// Every index and trigger of the table, with its SQL.
std::set<std::string> schema_of(data::Db& db, const std::string& table) {
  std::set<std::string> out;
  data::Statement st(db,
                     "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master "
                     "WHERE tbl_name = ?1 OR name = 'idx_' || ?1 || '_geom'");
  st.bind(1, table);
  while (st.step()) out.insert(st.text(0));
  return out;
}

// A scratch table of boxes (polygons) and points with SpatiaLite's spatial index.
void make_shapes(data::Db& db) {
  db.exec("CREATE TABLE shapes (id INTEGER PRIMARY KEY, label TEXT NOT NULL)");
  REQUIRE(test::scalar(db, "SELECT AddGeometryColumn('shapes', 'geom', 4326, 'GEOMETRY', 'XY')") ==
          1);
  REQUIRE(test::scalar(db, "SELECT CreateSpatialIndex('shapes', 'geom')") == 1);
  db.exec("CREATE INDEX shapes_label ON shapes(label)");
}

void add_shapes(data::Db& db, int n, std::mt19937& rng, int64_t first_id) {
  std::uniform_real_distribution<double> x(100.0, 101.0), y(30.0, 31.0), size(0.0, 0.01);
  data::Statement st(db,
                     "INSERT INTO shapes(id, label, geom) VALUES (?1, ?2, GeomFromText(?3, 4326))");
  for (int i = 0; i < n; ++i) {
    double x0 = x(rng), y0 = y(rng);
    std::string wkt;
    if (i % 3 == 0) {
      wkt = "POINT(" + std::to_string(x0) + " " + std::to_string(y0) + ")";
    } else {
      double x1 = x0 + size(rng), y1 = y0 + size(rng);
      auto p = [](double a, double b) { return std::to_string(a) + " " + std::to_string(b); };
      wkt = "POLYGON((" + p(x0, y0) + ", " + p(x1, y0) + ", " + p(x1, y1) + ", " + p(x0, y1) +
            ", " + p(x0, y0) + "))";
    }
    st.bind(1, first_id + i).bind(2, "s" + std::to_string(i % 50)).bind(3, wkt).run();
  }
}

// The ids whose geometry's box meets the window, through the index and by scanning.
std::pair<std::set<int64_t>, std::set<int64_t>> window(data::Db& db, double x0, double y0,
                                                       double x1, double y1) {
  std::set<int64_t> by_index, by_scan;
  data::Statement a(db,
                    "SELECT id FROM shapes WHERE MbrIntersects(geom, BuildMbr(?1, ?2, ?3, ?4)) AND "
                    "id IN (SELECT pkid FROM idx_shapes_geom WHERE xmax >= ?1 AND xmin <= ?3 AND "
                    "ymax >= ?2 AND ymin <= ?4)");
  a.bind(1, x0).bind(2, y0).bind(3, x1).bind(4, y1);
  while (a.step()) by_index.insert(a.int64(0));
  data::Statement b(db,
                    "SELECT id FROM shapes WHERE MbrIntersects(geom, BuildMbr(?1, ?2, ?3, ?4))");
  b.bind(1, x0).bind(2, y0).bind(3, x1).bind(4, y1);
  while (b.step()) by_scan.insert(b.int64(0));
  return {by_index, by_scan};
}

}  // namespace

TEST_CASE("a bulk load restores every index and trigger, and its R-tree finds what a scan finds") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("bulk.sqlite"), true);
  make_shapes(db);
  std::mt19937 rng(7);
  {
    data::Transaction tx(db);
    add_shapes(db, 300, rng, 1);  // rows there before the load, indexed by SpatiaLite
    tx.commit();
  }
  auto before = schema_of(db, "shapes");
  REQUIRE(before.size() > 5);
  {
    data::BulkLoad bulk(db, {"shapes"});
    data::Transaction tx(db);
    bulk.suspend();
    CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'shapes_label'") == 0);
    CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'idx_shapes_geom'") ==
          0);
    add_shapes(db, 6000, rng, 1000);  // three levels of nodes of 51
    bulk.finish();
    tx.commit();
  }
  CHECK(schema_of(db, "shapes") == before);
  CHECK(text(db, "SELECT rtreecheck('idx_shapes_geom')") == "ok");
  CHECK(test::scalar(db, "SELECT CheckSpatialIndex('shapes', 'geom')") == 1);
  CHECK(test::scalar(db, "SELECT count(*) FROM idx_shapes_geom") == 6300);
  CHECK(test::scalar(db, "PRAGMA foreign_keys") == 1);
  for (auto [x0, y0, x1, y1] : std::vector<std::array<double, 4>>{
           {100.1, 30.1, 100.2, 30.2}, {100.0, 30.0, 101.0, 31.0}, {100.5, 30.5, 100.55, 30.55}}) {
    auto [by_index, by_scan] = window(db, x0, y0, x1, y1);
    CHECK(by_index == by_scan);
    CHECK(!by_scan.empty());
  }
  // The triggers are back: a row inserted, moved and deleted afterwards keeps the index right.
  db.exec(
      "INSERT INTO shapes(id, label, geom) VALUES (99999, 'late', MakePoint(100.77, 30.77, 4326))");
  db.exec("UPDATE shapes SET geom = MakePoint(100.12, 30.12, 4326) WHERE id = 1000");
  db.exec("DELETE FROM shapes WHERE id = 1001");
  CHECK(text(db, "SELECT rtreecheck('idx_shapes_geom')") == "ok");
  CHECK(test::scalar(db, "SELECT CheckSpatialIndex('shapes', 'geom')") == 1);
  CHECK(test::scalar(db, "SELECT count(*) FROM idx_shapes_geom WHERE pkid = 99999") == 1);
  // A wrong type of geometry fails the load, as the insert trigger would have.
  db.exec("CREATE TABLE pins (id INTEGER PRIMARY KEY)");
  REQUIRE(test::scalar(db, "SELECT AddGeometryColumn('pins', 'geom', 4326, 'POINT', 'XY')") == 1);
  REQUIRE(test::scalar(db, "SELECT CreateSpatialIndex('pins', 'geom')") == 1);
  {
    data::BulkLoad bulk(db, {"pins"});
    data::Transaction tx(db);
    bulk.suspend();
    db.exec("INSERT INTO pins(id, geom) VALUES (1, MakePoint(100, 30, 4326))");
    db.exec(
        "INSERT INTO pins(id, geom) VALUES (2, GeomFromText('LINESTRING(100 30, 101 31)', 4326))");
    CHECK_THROWS_WITH(bulk.finish(), Catch::Contains("pins.geom of row 2"));
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM pins") == 0);
  CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ggi_pins_geom'") == 1);
}

TEST_CASE("a bulk load that fails leaves the tables, their indexes and triggers as they were") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("bulk.sqlite"), true);
  make_shapes(db);
  std::mt19937 rng(11);
  add_shapes(db, 300, rng, 1);
  auto before = schema_of(db, "shapes");
  try {
    data::BulkLoad bulk(db, {"shapes"});
    data::Transaction tx(db);
    bulk.suspend();
    add_shapes(db, 1000, rng, 1000);
    throw std::runtime_error("the load stops half way");
  } catch (const std::runtime_error&) {
  }
  CHECK(schema_of(db, "shapes") == before);
  CHECK(test::scalar(db, "SELECT count(*) FROM shapes") == 300);
  CHECK(text(db, "SELECT rtreecheck('idx_shapes_geom')") == "ok");
  CHECK(test::scalar(db, "SELECT CheckSpatialIndex('shapes', 'geom')") == 1);
  CHECK(test::scalar(db, "PRAGMA foreign_keys") == 1);
  // A reference to no row fails the load at the end (they are not checked row by row).
  db.exec("CREATE TABLE owners (id INTEGER PRIMARY KEY)");
  db.exec(
      "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES owners(id))");
  {
    data::BulkLoad bulk(db, {"owners", "pets"});
    data::Transaction tx(db);
    bulk.suspend();
    db.exec("INSERT INTO owners(id) VALUES (1)");
    db.exec("INSERT INTO pets(id, owner) VALUES (1, 1), (2, 7)");
    CHECK_THROWS_WITH(bulk.finish(), Catch::Contains("row 2 of pets refers to no row of owners"));
  }
  CHECK(test::scalar(db, "SELECT count(*) FROM pets") == 0);
}

TEST_CASE("pack_rtree on an empty table leaves an empty index that takes inserts") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("bulk.sqlite"), true);
  make_shapes(db);
  data::Transaction tx(db);
  db.exec("DROP TABLE idx_shapes_geom");
  db.exec("CREATE VIRTUAL TABLE idx_shapes_geom USING rtree(pkid, xmin, xmax, ymin, ymax)");
  CHECK(data::pack_rtree(db, "idx_shapes_geom", "shapes", "geom") == 0);
  tx.commit();
  std::mt19937 rng(3);
  add_shapes(db, 200, rng, 1);
  CHECK(text(db, "SELECT rtreecheck('idx_shapes_geom')") == "ok");
  CHECK(test::scalar(db, "SELECT count(*) FROM idx_shapes_geom") == 200);
}

TEST_CASE("a batch insert writes every row it was given, in batches and the rest") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("bulk.sqlite"), true);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, note TEXT)");
  data::BatchInsert insert(db, "INSERT INTO t(id, name, score, data, note)", 5, {}, 7);
  data::RowBuffer rows(5);
  for (int i = 1; i <= 30; ++i) {
    rows.value(int64_t{i}).value("n" + std::to_string(i)).value(i * 0.5);
    rows.blob(std::string("\0x", 2) + std::to_string(i));
    if (i % 4 == 0)
      rows.null();
    else
      rows.value(std::optional<std::string>("note"));
    rows.end_row();
  }
  insert.write(rows);
  CHECK(test::scalar(db, "SELECT count(*) FROM t") == 30);
  CHECK(test::scalar(db, "SELECT count(*) FROM t WHERE note IS NULL") == 7);
  CHECK(text(db, "SELECT name FROM t WHERE id = 23") == "n23");
  CHECK(test::scalar(db, "SELECT length(data) FROM t WHERE id = 30") == 4);
  CHECK(test::scalar(db, "SELECT sum(score * 2) FROM t") == 465);
  rows.clear();
  rows.value(int64_t{99}).value("short");
  CHECK_THROWS(rows.end_row());
  // A conflict clause after the values.
  data::BatchInsert upsert(db, "INSERT INTO t(id, name, score, data, note)", 5,
                           "ON CONFLICT(id) DO NOTHING", 4);
  for (int i = 29; i <= 32; ++i) {
    upsert.rows().value(int64_t{i}).value("again").value(0.0).null().null().end_row();
    if (upsert.full()) upsert.flush();
  }
  upsert.flush();
  CHECK(test::scalar(db, "SELECT count(*) FROM t") == 32);
  CHECK(text(db, "SELECT name FROM t WHERE id = 29") == "n29");
}

TEST_CASE("the string map finds what was put in, grows, and keeps a key's first id") {
  data::StringIdMap map(4);
  std::unordered_map<std::string, int64_t> reference;
  std::mt19937 rng(5);
  for (int64_t i = 0; i < 50000; ++i) {
    std::string key = std::to_string(rng() % 40000) + "\x1f" + std::string(rng() % 20, 'k');
    bool added = map.insert(key, i);
    CHECK(added == reference.emplace(key, i).second);
  }
  CHECK(map.size() == reference.size());
  for (const auto& [key, id] : reference) {
    const int64_t* found = map.find(key);
    REQUIRE(found);
    CHECK(*found == id);
  }
  CHECK(map.find("absent") == nullptr);
  CHECK(map.find("") == nullptr);
  CHECK(map.insert("", 7));
  CHECK(*map.find("") == 7);
}

TEST_CASE("the two-stage queue keeps the order and stops both stages on the first failure") {
  struct Chunk {
    int first = 0, last = 0;
  };
  SECTION("every chunk consumed in order") {
    data::ChunkQueue<Chunk> queue(2);
    std::vector<int> seen;
    queue.run(
        [&] {
          for (int i = 0; i < 1000; i += 10) queue.push(std::make_unique<Chunk>(Chunk{i, i + 10}));
        },
        [&](const Chunk& c) {
          for (int i = c.first; i < c.last; ++i) seen.push_back(i);
        });
    REQUIRE(seen.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(seen[static_cast<size_t>(i)] == i);
  }
  SECTION("a failing producer: the error comes out after what it made is consumed") {
    data::ChunkQueue<Chunk> queue(2);
    int consumed = 0;
    CHECK_THROWS_WITH(queue.run(
                          [&] {
                            queue.push(std::make_unique<Chunk>());
                            throw_invalid("row 12 is not UTF-8");
                          },
                          [&](const Chunk&) { ++consumed; }),
                      Catch::Contains("row 12"));
    CHECK(consumed == 1);
  }
  SECTION("a failing consumer stops a producer that would go on for ever") {
    data::ChunkQueue<Chunk> queue(2);
    bool producer_saw_stop = false;
    CHECK_THROWS_WITH(queue.run(
                          [&] {
                            while (!queue.stopped()) queue.push(std::make_unique<Chunk>());
                            producer_saw_stop = true;
                          },
                          [&](const Chunk&) { throw std::runtime_error("disk full"); }),
                      Catch::Contains("disk full"));
    CHECK(producer_saw_stop);
  }
}
