// The heat index against brute-force counting on random points: every level (pyramid and
// point scans), random boxes (also beyond the world's edge), random filters, and the change
// overlay before and after it is folded into a new index.
#include <catch2/catch.hpp>

#include <random>

#include "tiles/heat_index.hpp"
#include "tiles/heat_store.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

struct Point {
  uint64_t key;
  uint32_t attrs, id;
};

std::vector<Point> random_points(std::mt19937_64& rng, size_t n) {
  // Clusters of various spreads, plus a few points in the world's corners.
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Point> pts;
  for (size_t i = 0; i < n; ++i) {
    double cx = 0.8 + 0.01 * double(i % 7), cy = 0.4 + 0.003 * double(i % 5);
    double spread = i % 3 == 0 ? 1e-2 : i % 3 == 1 ? 1e-5 : 1e-7;
    WorldXY w{cx + spread * (u(rng) - 0.5), cy + spread * (u(rng) - 0.5)};
    if (i % 997 == 0) w = {u(rng) < 0.5 ? 0.0 : 1.0, u(rng) < 0.5 ? 0.0 : 1.0};
    HeatAttrs a;
    a.category = static_cast<uint8_t>(rng() % 6);
    a.kind = static_cast<uint8_t>(rng() % 2);
    a.status = static_cast<uint8_t>(rng() % 10);
    a.day = static_cast<uint16_t>(19000 + rng() % 100);
    pts.push_back({heat_key(w), a.pack(), static_cast<uint32_t>(i + 1)});
  }
  return pts;
}

HeatFilter random_filter(std::mt19937_64& rng) {
  HeatFilter f;
  if (rng() % 4 == 0) return f;
  f.all = false;
  if (rng() % 2) {
    f.categories.reset();
    for (int c = 0; c < 6; ++c)
      if (rng() % 2) f.categories.set(size_t(c));
  }
  if (rng() % 2) f.kinds = static_cast<uint8_t>(1 + rng() % 3);
  if (rng() % 2) f.statuses = static_cast<uint16_t>(rng() % 1024);
  if (rng() % 2) {
    f.day_from = 19000 + uint32_t(rng() % 60);
    f.day_to = f.day_from + uint32_t(rng() % 60);
  }
  f.key = std::to_string(rng());
  f.prepare();
  return f;
}

std::vector<uint32_t> brute_force(const std::vector<Point>& pts, const CellBox& box,
                                  const HeatFilter& f) {
  std::vector<uint32_t> out(size_t(box.w) * size_t(box.h), 0);
  for (const Point& p : pts) {
    if (!f.all && !f.matches(p.attrs)) continue;
    uint32_t x, y;
    unmorton(p.key >> (2 * (kHeatKeyLevel - box.level)), x, y);
    int64_t bx = int64_t{x} - box.x0, by = int64_t{y} - box.y0;
    if (bx >= 0 && by >= 0 && bx < box.w && by < box.h) ++out[size_t(by) * box.w + size_t(bx)];
  }
  return out;
}

CellBox random_box(std::mt19937_64& rng, const std::vector<Point>& pts) {
  CellBox b;
  b.level = static_cast<int>(rng() % (kHeatKeyLevel + 1));
  const Point& around = pts[rng() % pts.size()];
  uint32_t x, y;
  unmorton(around.key >> (2 * (kHeatKeyLevel - b.level)), x, y);
  b.w = 1 + static_cast<int>(rng() % 80);
  b.h = 1 + static_cast<int>(rng() % 80);
  b.x0 = int64_t{x} - static_cast<int64_t>(rng() % uint64_t(b.w + 8)) + 4;
  b.y0 = int64_t{y} - static_cast<int64_t>(rng() % uint64_t(b.h + 8)) + 4;
  return b;
}

std::vector<HeatPointInput> inputs(const std::vector<Point>& pts) {
  std::vector<HeatPointInput> in;
  for (const Point& p : pts) in.push_back({p.key, p.attrs, p.id});
  return in;
}

}  // namespace

TEST_CASE("Morton codes interleave and come apart again") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    uint32_t x = static_cast<uint32_t>(rng()), y = static_cast<uint32_t>(rng()), a, b;
    unmorton(morton(x, y), a, b);
    CHECK(a == x);
    CHECK(b == y);
  }
  CHECK(morton(1, 0) == 1);
  CHECK(morton(0, 1) == 2);
  CHECK(morton(3, 3) == 15);
}

TEST_CASE("packed heat attributes unpack to what was packed, and days are China Standard Time") {
  HeatAttrs a;
  a.day = 20000, a.category = 200, a.kind = 1, a.status = 9;
  HeatAttrs b = HeatAttrs::unpack(a.pack());
  CHECK(b.day == 20000);
  CHECK(b.category == 200);
  CHECK(b.kind == 1);
  CHECK(b.status == 9);
  // 2026-03-01T00:00:00+08:00 is 2026-02-28T16:00:00Z and already the 1st of March.
  CHECK(heat_day(1772294400) == heat_day(1772294400 + 86399));
  CHECK(heat_day(1772294400) == heat_day(1772294400 - 1) + 1);
}

TEST_CASE("heat counts equal brute-force counts at every level, in any box, for any filter") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto pts = random_points(rng, 20000);
  auto index = HeatIndex::build(inputs(pts));
  REQUIRE(index->size() == pts.size());
  for (int round = 0; round < 400; ++round) {
    CellBox box = random_box(rng, pts);
    HeatFilter f = random_filter(rng);
    INFO("round " << round << " level " << box.level << " box " << box.x0 << "," << box.y0 << " "
                  << box.w << "x" << box.h << " filter " << f.key);
    std::vector<uint32_t> got(size_t(box.w) * size_t(box.h), 0);
    index->add_counts(box, f, got);
    REQUIRE(got == brute_force(pts, box, f));
  }
  // The whole world at level 0 is every point.
  std::vector<uint32_t> world(1, 0);
  index->add_counts(CellBox{0, 0, 0, 1, 1}, HeatFilter{}, world);
  CHECK(world[0] == pts.size());
}

TEST_CASE("points are found by id, and busy cells shrink by four a level below the pyramid") {
  std::mt19937_64 rng(3);
  auto pts = random_points(rng, 5000);
  auto index = HeatIndex::build(inputs(pts));
  for (size_t i = 0; i < pts.size(); i += 37) {
    auto p = index->find(pts[i].id);
    REQUIRE(p);
    CHECK(p->key == pts[i].key);
    CHECK(p->attrs == pts[i].attrs);
  }
  CHECK(!index->find(999999));
  CHECK(index->busy_cell(0) == 5000);
  CHECK(index->busy_cell(kHeatPyramidLevel + 1) ==
        std::max(1.0, index->busy_cell(kHeatPyramidLevel) / 4));
  CHECK(index->memory_bytes() > pts.size() * 16);
}

TEST_CASE(
    "changes over a heat index count as if the index had been rebuilt, before and after "
    "folding") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto pts = random_points(rng, 8000);
  HeatSnapshot s;
  s.base = HeatIndex::build(inputs(pts));
  // Move, re-attribute, delete and add points the way HeatStore records changes.
  auto now = pts;
  for (int i = 0; i < 600; ++i) {
    size_t k = rng() % now.size();
    Point before = now[k];
    std::optional<Point> after;
    if (rng() % 5 == 0) {
      after = std::nullopt;  // deleted
    } else {
      after = before;
      after->attrs = random_points(rng, 1)[0].attrs;
      if (rng() % 2) after->key = now[rng() % now.size()].key;
    }
    s.deltas.push_back({before.key, before.attrs, before.id, -1});
    if (after) s.deltas.push_back({after->key, after->attrs, after->id, +1});
    s.changed[before.id] =
        after ? std::optional<HeatPointInput>(HeatPointInput{after->key, after->attrs, after->id})
              : std::nullopt;
    if (after)
      now[k] = *after;
    else
      now.erase(now.begin() + static_cast<ptrdiff_t>(k));
  }
  Point added{heat_key({0.3, 0.3}), 0, 1000000};
  s.deltas.push_back({added.key, added.attrs, added.id, +1});
  s.changed[added.id] = HeatPointInput{added.key, added.attrs, added.id};
  now.push_back(added);

  HeatSnapshot folded;
  folded.base = HeatStore::fold(s);
  CHECK(folded.base->size() == now.size());
  for (int round = 0; round < 200; ++round) {
    CellBox box = random_box(rng, now);
    HeatFilter f = random_filter(rng);
    INFO("round " << round << " level " << box.level);
    auto expected = brute_force(now, box, f);
    std::vector<uint32_t> overlay(expected.size(), 0), rebuilt(expected.size(), 0);
    s.add_counts(box, f, overlay);
    folded.add_counts(box, f, rebuilt);
    REQUIRE(overlay == expected);
    REQUIRE(rebuilt == expected);
  }
}
