// Patrol tracks: recording (opt-in and on duty only, through the position writer), the
// cleaned track's distance, GPS jumps, coverage of a grid's cells, purging, aggregates.
#include <catch2/catch.hpp>

#include <filesystem>

#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/patrols.hpp"
#include "data/position_writer.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/patrol_track.hpp"
#include "support/db_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

constexpr const char* kFirstGrid = "150102001001001";  // worker 1's grid in the tatabu demo

// A copy of one tatabu demo database per test (generated once).
struct DemoDb {
  test::TempDir dir;
  std::string path = dir.file("tatabu.sqlite");
  DemoDb() {
    static test::TempDir master_dir;
    static const std::string master = [] {
      std::string p = master_dir.file("tatabu.sqlite");
      {
        data::Db db = data::Db::open(p);
        data::DemoOptions o;
        o.preset = data::Preset::tatabu;
        o.now = data::now_seconds();
        data::generate_demo(db, o);
      }
      return p;
    }();
    std::filesystem::copy_file(master, path);
  }
};

void add_point(data::Db& db, int64_t worker, int64_t at, LonLat p) {
  data::Statement st(db,
                     "INSERT INTO patrol_points(worker_id, at, lon, lat) VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, worker).bind(2, at).bind(3, p.lon).bind(4, p.lat).run();
}

LonLat north_of(LonLat p, double metres) {
  return {p.lon, p.lat + metres / metres_per_degree(p.lat).lat};
}
LonLat east_of(LonLat p, double metres) {
  return {p.lon + metres / metres_per_degree(p.lat).lon, p.lat};
}

Box grid_box(data::Db& db, const std::string& grid) {
  data::Statement st(db,
                     "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM grids "
                     "WHERE code = ?1");
  st.bind(1, grid);
  REQUIRE(st.step());
  return {st.real(0), st.real(1), st.real(2), st.real(3)};
}

const int64_t kNoon = *data::parse_time("2026-03-02T12:00:00");  // China time
const LonLat kStart{111.70, 40.80};

}  // namespace

TEST_CASE(
    "the position writer records a track point only for a worker who opted in and is on duty") {
  DemoDb demo;
  {
    data::Db db = data::Db::open(demo.path, false);
    db.exec("UPDATE workers SET patrol = 1, on_duty = 1 WHERE id = 1");
    db.exec("UPDATE workers SET patrol = 0, on_duty = 1 WHERE id = 2");
    db.exec("UPDATE workers SET patrol = 1, on_duty = 0 WHERE id = 3");
  }
  data::PositionWriter writer(demo.path, std::chrono::hours(1));
  for (int64_t w : {1, 2, 3}) writer.record(w, kStart, kNoon);
  writer.flush();
  writer.record(1, north_of(kStart, 50), kNoon + 60);
  writer.flush();
  data::Db db = data::Db::open(demo.path, false);
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points WHERE worker_id = 1") == 2);
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points WHERE worker_id IN (2, 3)") == 0);
  // Opting out through the repository stops the recording.
  data::Patrols(db).set_patrol(1, false);
  CHECK_FALSE(data::Patrols(db).patrol(1));
  writer.record(1, north_of(kStart, 100), kNoon + 120);
  writer.flush();
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points WHERE worker_id = 1") == 2);
  CHECK_THROWS_AS(data::Patrols(db).set_patrol(999999, true), Error);
}

TEST_CASE("a track of three points 100 m apart is 200 m long") {
  DemoDb demo;
  data::Db db = data::Db::open(demo.path, false);
  for (int i = 0; i < 3; ++i) add_point(db, 1, kNoon + 60 * i, north_of(kStart, 100.0 * i));
  auto t = data::Patrols(db).track(1, "2026-03-02");
  CHECK(t.raw_points == 3);
  CHECK(t.points.size() == 3);
  CHECK(t.distance_m == Approx(200).margin(0.5));
  CHECK(t.ignored_jumps == 0);
  CHECK(data::Patrols(db).track(1, "2026-03-03").points.empty());  // another day
  CHECK_THROWS_AS(data::Patrols(db).track(1, "03/02/2026"), Error);
}

TEST_CASE("a GPS jump faster than 40 km/h is noise and jitter under 5 m is dropped") {
  DemoDb demo;
  data::Db db = data::Db::open(demo.path, false);
  add_point(db, 1, kNoon, kStart);
  add_point(db, 1, kNoon + 60, north_of(kStart, 100));
  add_point(db, 1, kNoon + 90, east_of(kStart, 5000));  // 5 km in 30 s: a spike
  add_point(db, 1, kNoon + 120, north_of(kStart, 200));
  add_point(db, 1, kNoon + 150, north_of(kStart, 202));  // standing still
  add_point(db, 1, kNoon + 180, north_of(kStart, 300));
  auto t = data::Patrols(db).track(1, "2026-03-02");
  CHECK(t.raw_points == 6);
  CHECK(t.ignored_jumps == 1);
  CHECK(t.points.size() == 4);
  CHECK(t.distance_m == Approx(300).margin(0.5));
  for (const auto& p : t.points) CHECK(p.position.lon == Approx(kStart.lon));
}

TEST_CASE("a move to another place by car is not walked, the track goes on from there") {
  std::vector<TrackPoint> raw = {{kStart, 0, false},
                                 {north_of(kStart, 100), 60, false},
                                 {east_of(kStart, 8000), 120, false},  // 8 km in a minute
                                 {north_of(east_of(kStart, 8000), 100), 180, false}};
  CleanTrack c = clean_track(raw);
  CHECK(c.ignored_jumps == 1);  // the next point is no nearer to the last walked one: no spike
  REQUIRE(c.points.size() == 4);
  CHECK(c.points[2].after_jump);
  CHECK(c.distance_m == Approx(200).margin(0.5));
}

TEST_CASE("cells of a 250 m square are about a hundred and a straight walk across visits a row") {
  LonLat o{111.7, 40.8};
  LonLat ne = north_of(east_of(o, 250), 250);
  geos::GeomPtr square = geos::polygon({{o, {ne.lon, o.lat}, ne, {o.lon, ne.lat}, o}});
  const GEOSGeometry* parts[] = {square.get()};
  CellRaster raster(parts);
  CHECK(raster.cells() >= 90);
  CHECK(raster.cells() <= 121);
  std::vector<TrackPoint> walk = {{north_of(o, 125), 0, false},
                                  {north_of(east_of(o, 249), 125), 200, false}};
  auto samples = sample_track(walk, 12.5);
  CHECK(raster.count_visited(samples) >= 9);
  CHECK(raster.count_visited(samples) <= 11);
  CHECK(raster.share_visited(samples) ==
        Approx(10.0 / static_cast<double>(raster.cells())).margin(0.02));
  std::vector<LonLat> outside = {east_of(o, -100), north_of(o, 1000)};
  CHECK(raster.count_visited(outside) == 0);
}

TEST_CASE("a walk across the worker's grid covers a strip of its cells") {
  DemoDb demo;
  data::Db db = data::Db::open(demo.path, false);
  db.exec("DELETE FROM worker_grids WHERE worker_id = 1");
  db.exec(std::string("INSERT INTO worker_grids(worker_id, grid_code) VALUES (1, '") + kFirstGrid +
          "')");
  Box b = grid_box(db, kFirstGrid);
  double mid = (b.min_lat + b.max_lat) / 2;
  LonLat west{b.min_lon, mid};
  double width = geodesic_distance_m(west, {b.max_lon, mid});
  int64_t at = kNoon;
  for (double x = 0; x <= width; x += 20, at += 15) add_point(db, 1, at, east_of(west, x));
  auto t = data::Patrols(db).track(1, "2026-03-02");
  REQUIRE(t.grids == std::vector<std::string>{kFirstGrid});
  CHECK(t.grid_cells > 0);
  CHECK(t.cells_visited > 0);
  CHECK(static_cast<double>(t.cells_visited) <= width / 25 + 3);
  CHECK(static_cast<double>(t.cells_visited) >= width / 25 * 0.3);  // the grid need not be a box
  CHECK(t.coverage ==
        Approx(static_cast<double>(t.cells_visited) / static_cast<double>(t.grid_cells)));
  CHECK(t.coverage < 0.5);
}

TEST_CASE("purge deletes exactly the points older than the limit") {
  DemoDb demo;
  data::Db db = data::Db::open(demo.path, false);
  for (int64_t at : {1000, 1999, 2000, 3000}) add_point(db, 1, at, kStart);
  add_point(db, 2, 1500, kStart);
  CHECK(data::Patrols(db).purge(2000) == 3);
  CHECK(test::scalar(db, "SELECT count(*) FROM patrol_points") == 2);
  CHECK(test::scalar(db, "SELECT min(at) FROM patrol_points") == 2000);
  CHECK(data::Patrols(db).purge(2000) == 0);
}

TEST_CASE("patrol aggregates count workers, kilometres and coverage per area and name nobody") {
  DemoDb demo;
  data::Db db = data::Db::open(demo.path, false);
  db.exec("DELETE FROM worker_grids WHERE worker_id = 1");
  db.exec(std::string("INSERT INTO worker_grids(worker_id, grid_code) VALUES (1, '") + kFirstGrid +
          "')");
  LonLat in = {(grid_box(db, kFirstGrid).min_lon + grid_box(db, kFirstGrid).max_lon) / 2,
               (grid_box(db, kFirstGrid).min_lat + grid_box(db, kFirstGrid).max_lat) / 2};
  for (int day = 0; day < 2; ++day)
    for (int i = 0; i < 3; ++i)
      add_point(db, 1, kNoon + day * 86400 + 60 * i, north_of(in, 100.0 * i));
  data::Patrols p(db);
  auto grids = p.aggregates(data::PatrolLevel::grid, kNoon - 86400, kNoon + 3 * 86400);
  auto row = std::find_if(grids.begin(), grids.end(), [](auto& r) { return r.code == kFirstGrid; });
  REQUIRE(row != grids.end());
  CHECK(row->workers == 1);
  CHECK(row->worker_days == 2);
  CHECK(row->distance_m == Approx(400).margin(1));
  CHECK(row->mean_coverage > 0);
  int64_t others = 0;
  for (const auto& r : grids)
    if (r.code != kFirstGrid) others += r.workers;
  CHECK(others == 0);
  auto communities = p.aggregates(data::PatrolLevel::community, kNoon - 86400, kNoon + 3 * 86400);
  auto c = std::find_if(communities.begin(), communities.end(),
                        [](auto& r) { return r.code == std::string(kFirstGrid).substr(0, 12); });
  REQUIRE(c != communities.end());
  CHECK(c->workers == 1);
  CHECK(c->distance_m == Approx(400).margin(1));
  // A period without points: zeros.
  auto empty = p.aggregates(data::PatrolLevel::subdistrict, kNoon + 10 * 86400, kNoon + 11 * 86400);
  REQUIRE_FALSE(empty.empty());
  for (const auto& r : empty) CHECK(r.workers == 0);
}
