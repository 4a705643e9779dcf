#include "geo/worker_index.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

using namespace gridmap;

namespace Catch {
template <>
struct StringMaker<WorkerId> {
  static std::string convert(WorkerId id) { return std::to_string(id.value); }
};
template <>
struct StringMaker<WorkerDistance> {
  static std::string convert(const WorkerDistance& w) {
    return std::to_string(w.id.value) + "@" + std::to_string(w.distance_m);
  }
};
}  // namespace Catch

namespace {

// Distances from the positions as the index keeps them (to 2^-23 degree).
std::vector<WorkerDistance> brute_force(const std::vector<WorkerState>& all, LonLat p, size_t k,
                                        const WorkerFilter& f) {
  DistanceFrom d(p);
  std::vector<WorkerDistance> out;
  for (auto& w : all) {
    if (!f.include_off_duty && !w.on_duty) continue;
    if (f.community && w.community != *f.community) continue;
    if (f.grid && std::find(w.grids.begin(), w.grids.end(), *f.grid) == w.grids.end()) continue;
    out.push_back({w.id, d.metres(WorkerIndex::stored(w.position))});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.id < b.id;
  });
  if (out.size() > k) out.resize(k);
  return out;
}

std::vector<WorkerState> random_workers(std::mt19937_64& rng, size_t n, LonLat centre,
                                        double spread) {
  std::uniform_real_distribution<double> u(-spread, spread);
  std::vector<WorkerState> out;
  for (size_t i = 0; i < n; ++i) {
    WorkerState w;
    w.id = WorkerId{static_cast<int64_t>(i * 3 + 1)};
    w.position = {centre.lon + u(rng), std::clamp(centre.lat + u(rng), -89.9, 89.9)};
    if (w.position.lon > 180) w.position.lon -= 360;
    w.on_duty = rng() % 4 != 0;
    w.community = static_cast<uint32_t>(rng() % 10);
    w.grids = {static_cast<uint32_t>(rng() % 100)};
    if (rng() % 5 == 0) w.grids.push_back(static_cast<uint32_t>(rng() % 100));
    out.push_back(w);
  }
  return out;
}

}  // namespace

TEST_CASE("the fast distance agrees with the WGS84 geodesic to millimetres within 10 km") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> lat(-80, 80), d(-0.08, 0.08);
  double worst = 0;
  for (int i = 0; i < 20000; ++i) {
    LonLat a{d(rng) * 1000, lat(rng)};
    LonLat b{a.lon + d(rng), a.lat + d(rng)};
    double exact = geodesic_distance_m(a, b);
    worst = std::max(worst, std::fabs(DistanceFrom(a).metres(b) - exact));
  }
  INFO("worst error " << worst << " m");
  CHECK(worst < 0.005);
  // Beyond 10 km it is the exact geodesic.
  CHECK(DistanceFrom({116.4, 39.9}).metres({121.47, 31.23}) ==
        Approx(geodesic_distance_m({116.4, 39.9}, {121.47, 31.23})));
}

TEST_CASE("nearest workers match brute force, with every filter") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (double cell : {0.01, 0.002, 0.5}) {
    for (LonLat centre : {LonLat{111.7, 40.8}, LonLat{126.5, 52.9}, LonLat{179.95, -10}}) {
      std::vector<WorkerState> all = random_workers(rng, 3000, centre, 0.3);
      WorkerIndex index(all.size(), cell);
      for (auto& w : all) index.upsert(w);
      REQUIRE(index.size() == all.size());
      std::uniform_real_distribution<double> u(-0.4, 0.4);
      for (int q = 0; q < 300; ++q) {
        LonLat p{centre.lon + u(rng), centre.lat + u(rng)};
        if (p.lon > 180) p.lon -= 360;
        WorkerFilter f;
        f.include_off_duty = q % 3 == 0;
        if (q % 5 == 1) f.community = static_cast<uint32_t>(q % 10);
        if (q % 7 == 2) f.grid = static_cast<uint32_t>(q % 100);
        size_t k = 1 + q % 12;
        // Wrap the workers' positions the same way for the reference.
        INFO("cell " << cell << " centre " << centre.lon << " query " << p.lon << "," << p.lat
                     << " k " << k);
        CHECK(index.nearest(p, k, f) == brute_force(all, p, k, f));
      }
    }
  }
}

TEST_CASE("nearest workers follow moves, duty changes and removals") {
  WorkerIndex index;
  index.upsert({WorkerId{1}, {111.70, 40.80}, true, 0, {5}});
  index.upsert({WorkerId{2}, {111.71, 40.80}, true, 0, {6}});
  index.upsert({WorkerId{3}, {111.72, 40.80}, false, 1, {7}});
  LonLat p{111.7001, 40.80};
  auto n = index.nearest(p, 3);
  REQUIRE(n.size() == 2);  // off-duty worker 3 left out by default
  CHECK(n[0].id == WorkerId{1});
  CHECK(index.move(WorkerId{2}, {111.70015, 40.80}));  // 5 m closer than worker 1
  CHECK(index.nearest(p, 1)[0].id == WorkerId{2});
  CHECK(index.set_on_duty(WorkerId{3}, true));
  CHECK(index.nearest(p, 3).size() == 3);
  WorkerFilter by_grid;
  by_grid.grid = 7;
  CHECK(index.nearest(p, 3, by_grid).front().id == WorkerId{3});
  CHECK(index.remove(WorkerId{3}));
  CHECK(index.nearest(p, 3, by_grid).empty());
  CHECK(!index.move(WorkerId{99}, p));
  CHECK_THROWS_AS(index.move(WorkerId{1}, {200, 0}), Error);
  CHECK_THROWS_AS(index.nearest({0, std::nan("")}, 3), Error);
  CHECK(index.get(WorkerId{1})->grids == std::vector<uint32_t>{5});
}

TEST_CASE("a worker alone on the other side of the world is still found") {
  WorkerIndex index(16, 0.01);
  index.upsert({WorkerId{7}, {-70.0, -30.0}, true, 0, {}});
  auto n = index.nearest({111.7, 40.8}, 5);
  REQUIRE(n.size() == 1);
  CHECK(n[0].id == WorkerId{7});
  CHECK(n[0].distance_m == Approx(geodesic_distance_m({111.7, 40.8}, {-70.0, -30.0})));
}

TEST_CASE("position updates and queries run concurrently without losing workers") {
  std::mt19937_64 rng(5);
  std::vector<WorkerState> all = random_workers(rng, 5000, {111.7, 40.8}, 0.2);
  for (auto& w : all) w.on_duty = true;
  WorkerIndex index(all.size());
  for (auto& w : all) index.upsert(w);
  std::atomic<bool> stop{false};
  std::atomic<long> queries{0};
  std::thread reader([&] {
    std::mt19937_64 r(9);
    std::uniform_real_distribution<double> u(-0.2, 0.2);
    while (!stop) {
      auto n = index.nearest({111.7 + u(r), 40.8 + u(r)}, 5);
      CHECK(n.size() == 5);
      ++queries;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t)
    writers.emplace_back([&, t] {
      std::mt19937_64 r(t);
      std::uniform_real_distribution<double> u(-0.2, 0.2);
      for (int i = 0; i < 200000; ++i)
        index.move(all[r() % all.size()].id, {111.7 + u(r), 40.8 + u(r)});
    });
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  CHECK(index.size() == all.size());
  CHECK(queries > 0);
  // Every worker is still exactly once in the index.
  auto everyone = index.nearest({111.7, 40.8}, all.size() + 10);
  CHECK(everyone.size() == all.size());
}

TEST_CASE("workers exactly on the antimeridian or at the pole are found") {
  WorkerIndex index(16, 0.01);
  index.upsert({WorkerId{1}, {180.0, 10.0}, true, 0, {}});
  index.upsert({WorkerId{2}, {0.0, 90.0}, true, 0, {}});
  auto east = index.nearest({179.999, 10.0}, 1);
  REQUIRE(east.size() == 1);
  CHECK(east[0].id == WorkerId{1});
  auto west = index.nearest({-179.999, 10.0}, 1);
  REQUIRE(west.size() == 1);
  CHECK(west[0].id == WorkerId{1});
  auto north = index.nearest({10.0, 89.999}, 1);
  REQUIRE(north.size() == 1);
  CHECK(north[0].id == WorkerId{2});
}

TEST_CASE(
    "crowded cells and cells a tile apart sharing storage still match brute force, through moves "
    "and removals") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  // 16 expected workers: the fewest slots, so cells 8 apart share one; half the workers on
  // a few exact spots, so some cells hold dozens.
  std::vector<WorkerState> all = random_workers(rng, 1500, {116.4, 39.9}, 0.5);
  std::vector<LonLat> spots = {{116.4, 39.9}, {116.405, 39.9}, {116.48, 39.9}, {116.4, 39.98}};
  for (size_t i = 0; i < all.size(); i += 2) all[i].position = spots[rng() % spots.size()];
  WorkerIndex index(16, 0.01);
  for (auto& w : all) index.upsert(w);
  std::uniform_real_distribution<double> u(-0.6, 0.6);
  auto check_queries = [&] {
    for (int q = 0; q < 200; ++q) {
      LonLat p = q % 4 == 0 ? spots[static_cast<size_t>(q / 4) % spots.size()]
                            : LonLat{116.4 + u(rng), 39.9 + u(rng)};
      WorkerFilter f;
      f.include_off_duty = q % 2 == 0;
      if (q % 5 == 1) f.community = static_cast<uint32_t>(q % 10);
      if (q % 7 == 2) f.grid = static_cast<uint32_t>(q % 100);
      size_t k = q % 10 == 0 ? 100 : 1 + q % 12;
      INFO("query " << p.lon << "," << p.lat << " k " << k);
      CHECK(index.nearest(p, k, f) == brute_force(all, p, k, f));
    }
  };
  check_queries();
  for (int i = 0; i < 3000; ++i) {
    WorkerState& w = all[rng() % all.size()];
    w.position = i % 3 == 0 ? spots[rng() % spots.size()] : LonLat{116.4 + u(rng), 39.9 + u(rng)};
    REQUIRE(index.move(w.id, w.position));
  }
  for (int i = 0; i < 300; ++i) {
    size_t at = rng() % all.size();
    REQUIRE(index.remove(all[at].id));
    all.erase(all.begin() + static_cast<std::ptrdiff_t>(at));
  }
  REQUIRE(index.size() == all.size());
  check_queries();
  for (auto& w : all) REQUIRE(index.get(w.id)->position == WorkerIndex::stored(w.position));
}

TEST_CASE("workers at the same distance come out by id") {
  WorkerIndex index(16, 0.01);
  // Four at one spot, two mirrored about the query's meridian: equal distances.
  for (int64_t id : {9, 3, 7, 5}) index.upsert({WorkerId{id}, {10.0, 45.0}, true, 0, {}});
  index.upsert({WorkerId{12}, {10.02, 45.01}, true, 0, {}});
  index.upsert({WorkerId{11}, {9.98, 45.01}, true, 0, {}});
  auto n = index.nearest({10.0, 45.0}, 6);
  REQUIRE(n.size() == 6);
  CHECK(n[0] == WorkerDistance{WorkerId{3}, 0});
  CHECK(n[1] == WorkerDistance{WorkerId{5}, 0});
  CHECK(n[2] == WorkerDistance{WorkerId{7}, 0});
  CHECK(n[3] == WorkerDistance{WorkerId{9}, 0});
  CHECK(n[4].id == WorkerId{11});
  CHECK(n[5].id == WorkerId{12});
  CHECK(n[4].distance_m == n[5].distance_m);
  CHECK(index.nearest({10.0, 45.0}, 2) ==
        std::vector<WorkerDistance>{{WorkerId{3}, 0}, {WorkerId{5}, 0}});
}

TEST_CASE("workers near the antimeridian and the poles are found from either side") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<WorkerState> all;
  std::uniform_real_distribution<double> u(-1, 1);
  for (int i = 0; i < 400; ++i) {
    WorkerState w;
    w.id = WorkerId{i + 1};
    w.on_duty = true;
    if (i % 2 == 0) {
      double lon = 180 + 0.3 * u(rng);
      w.position = {lon > 180 ? lon - 360 : lon, 20 * u(rng) * 0.01};
    } else {
      w.position = {180 * u(rng),
                    std::clamp((i % 4 == 1 ? 89.9 : -89.9) + 0.1 * u(rng), -90.0, 90.0)};
    }
    all.push_back(w);
  }
  WorkerIndex index(all.size(), 0.05);
  for (auto& w : all) index.upsert(w);
  for (int q = 0; q < 200; ++q) {
    LonLat p = q % 2 == 0 ? LonLat{q % 4 == 0 ? 179.99 : -179.99, 0.1 * u(rng)}
                          : LonLat{180 * u(rng),
                                   q % 4 == 1 ? 89.95 + 0.05 * u(rng) : -89.95 + 0.05 * u(rng)};
    p.lat = std::clamp(p.lat, -90.0, 90.0);
    size_t k = 1 + q % 8;
    INFO("query " << p.lon << "," << p.lat << " k " << k);
    CHECK(index.nearest(p, k) == brute_force(all, p, k, {}));
  }
}

TEST_CASE("a worker's grids are replaced on upsert and filter queries at once") {
  WorkerIndex index(16, 0.01);
  index.upsert({WorkerId{1}, {111.7, 40.8}, true, 0, {4, 5}});
  index.upsert({WorkerId{2}, {111.701, 40.8}, true, 0, {4, 5}});  // the same set, shared
  WorkerFilter in5;
  in5.grid = 5;
  CHECK(index.nearest({111.7, 40.8}, 5, in5).size() == 2);
  index.upsert({WorkerId{1}, {111.7, 40.8}, true, 0, {6}});
  CHECK(index.get(WorkerId{1})->grids == std::vector<uint32_t>{6});
  CHECK(index.get(WorkerId{2})->grids == std::vector<uint32_t>{4, 5});
  auto n = index.nearest({111.7, 40.8}, 5, in5);
  REQUIRE(n.size() == 1);
  CHECK(n[0].id == WorkerId{2});
  index.upsert({WorkerId{1}, {111.7, 40.8}, true, 0, {}});
  CHECK(index.get(WorkerId{1})->grids.empty());
  WorkerFilter in6;
  in6.grid = 6;
  CHECK(index.nearest({111.7, 40.8}, 5, in6).empty());
}

TEST_CASE("queries never see a position half written while workers move") {
  // Each worker jumps between two places in different cells; a query that read the
  // longitude of one and the latitude of the other would report a distance of neither.
  const LonLat a = WorkerIndex::stored({111.70, 40.80}), b = WorkerIndex::stored({111.75, 40.83});
  DistanceFrom from(a);
  const double da = 0, db = from.metres(b);
  WorkerIndex index(64, 0.01);
  for (int64_t id = 1; id <= 40; ++id) index.upsert({WorkerId{id}, id % 2 ? a : b, true, 0, {}});
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0}, queries{0};
  std::thread reader([&] {
    while (!stop) {
      for (const WorkerDistance& w : index.nearest(a, 100))
        if (w.distance_m != da && w.distance_m != db) ++bad;
      ++queries;
    }
  });
  std::thread writer([&] {
    for (int i = 0; i < 300000; ++i) index.move(WorkerId{1 + i % 40}, (i / 40) % 2 ? a : b);
  });
  writer.join();
  stop = true;
  reader.join();
  CHECK(bad == 0);
  CHECK(queries > 0);
  CHECK(index.size() == 40);
}

TEST_CASE("positions are kept to 2^-23 degree") {
  LonLat p = WorkerIndex::stored({116.3974123456789, 39.9087654321});
  CHECK(std::abs(p.lon - 116.3974123456789) <= 0.5 / 8388608.0);
  CHECK(std::abs(p.lat - 39.9087654321) <= 0.5 / 8388608.0);
  CHECK(WorkerIndex::stored(p) == p);  // a kept position is kept as it is
  CHECK(WorkerIndex::stored({-180, -90}) == LonLat{-180, -90});
  CHECK(WorkerIndex::stored({180, 90}) == LonLat{180, 90});
  CHECK_THROWS_AS(WorkerIndex::stored({180.5, 0}), Error);
  CHECK_THROWS_AS(WorkerIndex::stored({0, std::nan("")}), Error);
  WorkerIndex index;
  index.upsert({WorkerId{1}, {116.3974123456789, 39.9087654321}, true, 0, {}});
  CHECK(index.get(WorkerId{1})->position == p);
}

TEST_CASE("a batch of moves ends where the same moves one by one end") {
  std::mt19937_64 rng(11);
  LonLat centre{120.15, 30.28};
  auto all = random_workers(rng, 3000, centre, 0.3);
  WorkerIndex batch(64), single(64);
  for (auto& w : all) {
    batch.upsert(w);
    single.upsert(w);
  }
  std::uniform_real_distribution<double> u(-0.3, 0.3);
  std::vector<WorkerMove> moves;
  for (int i = 0; i < 20000; ++i) {
    // Some workers move several times in the batch; some ids are unknown.
    WorkerId id = rng() % 50 == 0 ? WorkerId{-static_cast<int64_t>(rng() % 7) - 1}
                                  : all[rng() % all.size()].id;
    moves.push_back({id, {centre.lon + u(rng), centre.lat + u(rng)}});
  }
  size_t unknown_single = 0;
  std::vector<WorkerId> unknown_ids_single;
  for (auto& m : moves)
    if (!single.move(m.id, m.to)) {
      ++unknown_single;
      unknown_ids_single.push_back(m.id);
    }
  std::sort(unknown_ids_single.begin(), unknown_ids_single.end());
  std::vector<WorkerId> unknown_ids;
  CHECK(batch.move_all(moves, &unknown_ids) == unknown_single);
  CHECK(unknown_ids == unknown_ids_single);
  CHECK(unknown_single > 0);
  for (auto& w : all) {
    INFO("worker " << w.id.value);
    CHECK(batch.get(w.id)->position == single.get(w.id)->position);
  }
  for (int q = 0; q < 300; ++q) {
    LonLat p{centre.lon + u(rng), centre.lat + u(rng)};
    CHECK(batch.nearest(p, 7) == single.nearest(p, 7));
  }
  CHECK(batch.size() == all.size());
}

TEST_CASE("a batch of moves with one bad position moves nobody") {
  WorkerIndex index;
  index.upsert({WorkerId{1}, {111.70, 40.80}, true, 0, {}});
  index.upsert({WorkerId{2}, {111.71, 40.80}, true, 0, {}});
  std::vector<WorkerMove> moves{{WorkerId{1}, {111.75, 40.85}}, {WorkerId{2}, {111.72, 91.0}}};
  CHECK_THROWS_AS(index.move_all(moves), Error);
  moves[1].to = {std::nan(""), 40.8};
  CHECK_THROWS_AS(index.move_all(moves), Error);
  CHECK(index.get(WorkerId{1})->position == WorkerIndex::stored({111.70, 40.80}));
  CHECK(index.get(WorkerId{2})->position == WorkerIndex::stored({111.71, 40.80}));
  CHECK(index.move_all({}) == 0);
  CHECK(index.move_all(std::span(moves).first(1)) == 0);
  CHECK(index.nearest({111.75, 40.85}, 1)[0].id == WorkerId{1});
}

TEST_CASE("a crowded cell keeps every worker as they come and go") {
  // Hundreds of workers in one bucket cell, then most of them move out and back in.
  WorkerIndex index(16);
  std::vector<WorkerState> all;
  for (int i = 0; i < 600; ++i)
    all.push_back({WorkerId{i + 1}, {121.4700 + 0.00001 * i, 31.2300}, i % 3 != 0, 0, {}});
  for (auto& w : all) index.upsert(w);
  LonLat p{121.4730, 31.2300};
  CHECK(index.nearest(p, 50) == brute_force(all, p, 50, {}));
  std::vector<WorkerMove> out, back;
  for (auto& w : all) {
    if (w.id.value % 10 == 0) continue;
    out.push_back({w.id, {w.position.lon + 1.0, w.position.lat}});
    back.push_back({w.id, w.position});
  }
  CHECK(index.move_all(out) == 0);
  std::vector<WorkerState> moved = all;
  for (auto& w : moved)
    if (w.id.value % 10 != 0) w.position.lon += 1.0;
  CHECK(index.nearest(p, 100) == brute_force(moved, p, 100, {}));
  CHECK(index.nearest(p, 30).back().distance_m < 1000);  // the 40 who stayed come first
  CHECK(index.move_all(back) == 0);
  WorkerFilter everyone;
  everyone.include_off_duty = true;
  CHECK(index.nearest(p, 600, everyone) == brute_force(all, p, 600, everyone));
  CHECK(index.size() == all.size());
}

TEST_CASE("a batch of nearest queries answers each as nearest() does") {
  std::mt19937_64 rng(12);
  LonLat centre{113.26, 23.13};
  auto all = random_workers(rng, 5000, centre, 0.2);
  WorkerIndex index(64);
  for (auto& w : all) index.upsert(w);
  std::uniform_real_distribution<double> u(-0.25, 0.25);
  std::vector<LonLat> points;
  for (int i = 0; i < 2000; ++i) points.push_back({centre.lon + u(rng), centre.lat + u(rng)});
  points.push_back(points[5]);  // the same point twice
  for (size_t k : {0u, 1u, 5u, 40u}) {
    for (int variant = 0; variant < 3; ++variant) {
      WorkerFilter f;
      if (variant == 1) f.include_off_duty = true;
      if (variant == 2) f.community = 4;
      auto answers = index.nearest_all(points, k, f);
      REQUIRE(answers.queries() == points.size());
      for (size_t i = 0; i < points.size(); ++i) {
        INFO("k " << k << " variant " << variant << " query " << i);
        auto got = answers.of(i);
        CHECK(std::vector<WorkerDistance>(got.begin(), got.end()) ==
              index.nearest(points[i], k, f));
      }
    }
  }
  CHECK(index.nearest_all({}, 5).queries() == 0);
  WorkerIndex empty;
  auto none = empty.nearest_all(points, 5);
  CHECK(none.queries() == points.size());
  CHECK(none.items.empty());
  points.push_back({0, 95});
  CHECK_THROWS_AS(index.nearest_all(points, 5), Error);
}
