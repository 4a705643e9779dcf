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
  auto spots = grid_hotspots(db, layout, q);
  Locator locator = Locator::load(db);
  int hot_sites = 0;
  std::string seen;
  for (const DemoHotspot& h : demo.hotspots) {
    const GridLineage* g = locator.locate(h.position);
    REQUIRE(g);
    auto idx = static_cast<size_t>(std::find(layout.codes.begin(), layout.codes.end(), g->grid_code) - layout.codes.begin());
    seen += h.kind + " in " + g->grid_code + " z " + std::to_string(spots[idx].current.z) + " " +
            std::string(to_string(spots[idx].current.cls)) + "; ";
    hot_sites += is_hot(spots[idx].current.cls);
  }
  INFO(seen);
  CHECK(hot_sites * 3 >= static_cast<int>(demo.hotspots.size()) * 2);  // at least two thirds of the sites
  std::string json = hotspots_geojson(layout, spots);
  CHECK(json.find("\"gi_z\"") != std::string::npos);

  // Replace the year's petitions by uniformly placed ones: one per random household.
  db.exec("DELETE FROM petitions");
  std::vector<Household> homes;
  HouseholdRepo(db).for_each([&](const Household& h) { homes.push_back(h); });
  std::mt19937_64 rng(99);
  PetitionRepo repo(db);
  Transaction tx(db);
  for (int i = 0; i < 1623; ++i) {
    const Household& h = homes[rng() % homes.size()];
    Petition p;
    p.category = "noise";
    p.created_at = q.from + static_cast<int64_t>(rng() % (365 * 86400));
    p.position = h.position;
    p.grid_code = h.grid_code;
    repo.upsert(p);
  }
  tx.commit();
  // Petitions now follow households exactly, so per household the rate is flat.
  int uniform_hot = 0;
  for (auto& s : grid_hotspots(db, layout, q)) uniform_hot += is_hot(s.current.cls);
  CHECK(uniform_hot <= 1);
}
