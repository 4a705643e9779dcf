#include "data/position_writer.hpp"

#include <catch2/catch.hpp>

#include "data/db.hpp"
#include "data/worker_directory.hpp"
#include "data/workers.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using namespace gridmap::data;

namespace {
void make_workers(const std::string& path, int n) {
  Db db = Db::open(path);
  WorkerRepo repo(db);
  Transaction tx(db);
  for (int i = 1; i <= n; ++i) {
    Worker w;
    w.id = i;
    w.name = "网格员" + std::to_string(i);
    w.on_duty = true;
    w.position = LonLat{111.7, 40.8};
    repo.upsert(w);
  }
  tx.commit();
}
}  // namespace

TEST_CASE("pings are coalesced per worker and written in batches that survive a restart") {
  test::TempDir dir;
  std::string path = dir.file("w.sqlite");
  make_workers(path, 100);
  {
    PositionWriter writer(path, std::chrono::hours(1));  // only explicit flushes write
    for (int round = 0; round < 50; ++round)
      for (int id = 1; id <= 100; ++id) writer.record(id, {111.7 + round * 1e-4, 40.8 + id * 1e-4}, 1000 + round);
    CHECK(writer.pending() == 100);  // 5,000 pings, one pending position per worker
    writer.flush();
    CHECK(writer.pending() == 0);
    CHECK(writer.written() == 100);
    CHECK(writer.batches() == 1);
    writer.record(7, {111.9, 40.9}, 2000);
  }  // the destructor writes what is still pending
  Db db = Db::open(path, false);
  WorkerRepo repo(db);
  auto w3 = repo.get(3);
  REQUIRE(w3->position);
  CHECK(w3->position->lon == Approx(111.7 + 49 * 1e-4));
  CHECK(*w3->position_at == 1049);
  CHECK(repo.get(7)->position->lon == Approx(111.9));
}

TEST_CASE("an older ping never overwrites a newer stored position") {
  test::TempDir dir;
  std::string path = dir.file("w.sqlite");
  make_workers(path, 1);
  {
    PositionWriter writer(path, std::chrono::hours(1));
    writer.record(1, {111.8, 40.8}, 500);
    writer.flush();
    writer.record(1, {111.1, 40.1}, 400);  // arrives late
    writer.flush();
  }
  Db db = Db::open(path, false);
  CHECK(WorkerRepo(db).get(1)->position->lon == Approx(111.8));
}

TEST_CASE("the worker directory answers nearest workers with codes and names, filters checked") {
  test::TempDir dir;
  std::string path = dir.file("w.sqlite");
  make_workers(path, 3);
  Db db = Db::open(path, false);
  WorkerDirectory d = WorkerDirectory::load(db);
  CHECK(d.size() == 3);
  auto n = d.nearest({111.7, 40.8}, 2, {});
  REQUIRE(n.size() == 2);
  CHECK(n[0].name.rfind("网格员", 0) == 0);
  NearbyFilter f;
  f.grid_code = "nope";
  CHECK_THROWS_WITH(d.nearest({111.7, 40.8}, 2, f), Catch::Contains("no grid with code nope"));
}
