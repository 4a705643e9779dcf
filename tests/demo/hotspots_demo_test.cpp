// The demo's planted hotspots come out hot; uniform petitions give (almost) none.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "data/demo.hpp"
#include "data/hotspot_store.hpp"
#include "data/households.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using namespace gridmap::data;

// Replaces every petition by `n` noise petitions, each at a random household, created at a
// random time in the year from `from`: petitions that follow the households exactly.
static void replace_with_uniform_petitions(Db& db, int n, int64_t from, uint64_t seed) {
  db.exec("DELETE FROM petitions");
  std::vector<Household> homes;
  HouseholdRepo(db).for_each([&](const Household& h) { homes.push_back(h); });
  std::mt19937_64 rng(seed);
  PetitionRepo repo(db);
  Transaction tx(db);
  for (int i = 0; i < n; ++i) {
    const Household& h = homes[rng() % homes.size()];
    Petition p;
    p.category = "noise";
    p.created_at = from + static_cast<int64_t>(rng() % (365 * 86400));
    p.position = h.position;
    p.grid_code = h.grid_code;
    repo.upsert(p);
  }
  tx.commit();
}

TEST_CASE("the demo city's planted hotspots come out hot, uniform petitions give almost none") {
  test::TempDir dir;
  Db db = Db::open(dir.file("c.sqlite"));
  DemoOptions o;
  o.preset = Preset::tatabu;
  DemoSummary demo = generate_demo(db, o);
  REQUIRE(demo.hotspots.size() >= 3);
  HotspotLayout layout = load_hotspot_layout(db);
  REQUIRE(layout.codes.size() == 41);
  HotspotQuery q;
  q.to = days_from_civil(2026, 11, 1) * 86400;
  q.from = q.to - 365 * 86400;
  q.per_household = true;  // dense housing alone must not look like a hotspot
  auto spots = grid_hotspots(db, layout, household_counts(db, layout), q);
  Locator locator = Locator::load(db);
  int hot_sites = 0;
  std::string seen;
  for (const DemoHotspot& h : demo.hotspots) {
    const GridLineage* g = locator.locate(h.position);
    REQUIRE(g);
    auto idx = static_cast<size_t>(
        std::find(layout.codes.begin(), layout.codes.end(), g->grid_code.value) - layout.codes.begin());
    seen += h.kind + " in " + g->grid_code.value + " z " + std::to_string(spots[idx].current.z) + " " +
            std::string(to_string(spots[idx].current.cls)) + "; ";
    hot_sites += is_hot(spots[idx].current.cls);
  }
  INFO(seen);
  CHECK(hot_sites * 3 >=
        static_cast<int>(demo.hotspots.size()) * 2);  // at least two thirds of the sites
  std::string json = hotspots_geojson(layout, spots);
  CHECK(json.find("\"gi_z\"") != std::string::npos);

  // Replace the year's petitions by uniformly placed ones: one per random household.
  replace_with_uniform_petitions(db, 1623, q.from, 99);
  // Petitions now follow households exactly, so per household the rate is flat.
  int uniform_hot = 0;
  for (auto& s : grid_hotspots(db, layout, household_counts(db, layout), q))
    uniform_hot += is_hot(s.current.cls);
  CHECK(uniform_hot <= 1);
}

namespace {

// Petitions of one grid at one time, placed at one of its households.
void add_petitions(PetitionRepo& repo, const std::vector<Household>& homes, const std::string& grid,
                   int n, int64_t t) {
  const Household* home = nullptr;
  for (const Household& h : homes)
    if (h.grid_code == grid) home = &h;
  REQUIRE(home);
  for (int i = 0; i < n; ++i) {
    Petition p;
    p.category = "noise";
    p.created_at = t + i;
    p.position = home->position;
    p.grid_code = grid;
    repo.upsert(p);
  }
}

}  // namespace

TEST_CASE(
    "emerging hotspots: grids newly hot, still hot and no longer hot against the previous window") {
  test::TempDir dir;
  Db db = Db::open(dir.file("t.sqlite"));
  DemoOptions o;
  o.preset = Preset::tatabu;
  generate_demo(db, o);
  HotspotLayout layout = load_hotspot_layout(db);
  std::vector<int64_t> households = household_counts(db, layout);
  // Three centres whose neighbourhoods neither overlap nor touch.
  std::vector<uint32_t> centres;
  std::vector<char> taken(layout.codes.size(), 0);
  for (uint32_t i = 0; i < layout.codes.size() && centres.size() < 3; ++i) {
    if (layout.neighbours[i].size() < 3 || taken[i]) continue;
    bool clear = true;
    for (uint32_t j : layout.neighbours[i]) clear = clear && !taken[j];
    if (!clear) continue;
    centres.push_back(i);
    taken[i] = 1;
    for (uint32_t j : layout.neighbours[i]) {
      taken[j] = 1;
      for (uint32_t k : layout.neighbours[j]) taken[k] = 1;
    }
  }
  REQUIRE(centres.size() == 3);
  uint32_t was = centres[0], now = centres[1], both = centres[2];
  db.exec("DELETE FROM petitions");
  std::vector<Household> homes;
  HouseholdRepo(db).for_each([&](const Household& h) { homes.push_back(h); });
  HotspotQuery q;
  q.from = days_from_civil(2026, 6, 1) * 86400;
  q.to = days_from_civil(2026, 9, 1) * 86400;
  int64_t previous = q.from - (q.to - q.from);
  PetitionRepo repo(db);
  {
    Transaction tx(db);
    for (uint32_t g = 0; g < layout.codes.size(); ++g) {  // a little everywhere, in both windows
      add_petitions(repo, homes, layout.codes[g], 3 + static_cast<int>(g % 3), previous + 1000);
      add_petitions(repo, homes, layout.codes[g], 3 + static_cast<int>((g + 1) % 3), q.from + 1000);
    }
    auto cluster = [&](uint32_t centre, int64_t t) {
      add_petitions(repo, homes, layout.codes[centre], 60, t);
      for (uint32_t j : layout.neighbours[centre])
        add_petitions(repo, homes, layout.codes[j], 40, t);
    };
    cluster(was, previous + 5000);
    cluster(both, previous + 5000);
    cluster(now, q.from + 5000);
    cluster(both, q.from + 5000);
    add_petitions(repo, homes, layout.codes[now], 500, q.to);  // after the window: not counted
    tx.commit();
  }
  auto spots = grid_hotspots(db, layout, households, q);
  INFO("was " << layout.codes[was] << " now " << layout.codes[now] << " both "
              << layout.codes[both]);
  CHECK(spots[was].trend == Trend::no_longer_hot);
  CHECK(is_hot(spots[was].previous.cls));
  CHECK(!is_hot(spots[was].current.cls));
  CHECK(spots[now].trend == Trend::new_hot);
  CHECK(spots[both].trend == Trend::persistent_hot);
  CHECK(spots[now].count == 60 + 3 + static_cast<int>((now + 1) % 3));
  CHECK(spots[was].previous_count == 60 + 3 + static_cast<int>(was % 3));
  int hot_elsewhere = 0;
  for (uint32_t g = 0; g < spots.size(); ++g)
    if (!taken[g]) hot_elsewhere += is_hot(spots[g].current.cls) || is_hot(spots[g].previous.cls);
  CHECK(hot_elsewhere == 0);

  // The value: a raw count, or petitions per household.
  q.per_household = false;
  auto raw = grid_hotspots(db, layout, households, q);
  q.per_household = true;
  auto rate = grid_hotspots(db, layout, households, q);
  for (uint32_t g = 0; g < spots.size(); ++g) {
    CHECK(raw[g].value == static_cast<double>(raw[g].count));
    REQUIRE(households[g] > 0);
    CHECK(rate[g].value ==
          Approx(static_cast<double>(raw[g].count) / static_cast<double>(households[g])));
  }
  // Category and kind filter the counts.
  q.category = "traffic";
  for (auto& s : grid_hotspots(db, layout, households, q)) CHECK(s.count == 0);
}

TEST_CASE(
    "the city preset's planted markets and dormitories come out hot, uniform petitions almost "
    "nowhere") {
  test::TempDir dir;
  Db db = Db::open(dir.file("city.sqlite"));
  DemoOptions o;
  o.preset = Preset::city;
  DemoSummary demo = generate_demo(db, o);
  HotspotLayout layout = load_hotspot_layout(db);
  REQUIRE(layout.codes.size() == 1500);
  std::vector<int64_t> households = household_counts(db, layout);
  HotspotQuery q;  // the demo's two years, raw counts
  q.to = days_from_civil(2026, 11, 1) * 86400;
  q.from = q.to - 730 * 86400;
  auto spots = grid_hotspots(db, layout, households, q);
  Locator locator = Locator::load(db);
  // A site draws petitions from a few hundred metres around it: its own grid must come out
  // hot, and so (at least) must the grid or one of its neighbours.
  int sites = 0, hot_sites = 0, hot_around = 0;
  std::string seen;
  for (const DemoHotspot& h : demo.hotspots) {
    if (h.kind != "market" && h.kind != "dormitory") continue;
    const GridLineage* g = locator.locate(h.position);
    REQUIRE(g);
    uint32_t idx = layout.index.at(g->grid_code.value);
    ++sites;
    bool hot = is_hot(spots[idx].current.cls), around = hot;
    for (uint32_t j : layout.neighbours[idx]) around = around || is_hot(spots[j].current.cls);
    hot_sites += hot;
    hot_around += around;
    seen += h.kind + " " + g->grid_code.value + " z " + std::to_string(spots[idx].current.z) + "; ";
  }
  INFO(seen << " " << hot_sites << " sites hot, " << hot_around << " hot or next to a hot grid, of "
            << sites);
  REQUIRE(sites >= 10);
  CHECK(hot_around == sites);
  CHECK(hot_sites * 10 >= sites * 9);

  replace_with_uniform_petitions(db, 100000, q.from, 5);
  // Petitions follow households, so per household the rate is flat.
  q.from = q.to - 365 * 86400;
  q.per_household = true;
  int hot = 0;
  for (auto& s : grid_hotspots(db, layout, households, q)) hot += is_hot(s.current.cls);
  INFO(hot << " hot grids of 1500");
  CHECK(hot <= 8);  // about 0.5 %
}
