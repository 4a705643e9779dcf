#include "data/demo.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>

#include "data/areas.hpp"
#include "data/households.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"
#include "data/workers.hpp"
#include "geo/geos.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using namespace gridmap::data;

namespace {

struct DemoDb {
  test::TempDir dir;
  Db db;
  DemoSummary summary;
  explicit DemoDb(Preset p, uint64_t seed = 1) : db(Db::open(dir.file("demo.sqlite"))) {
    DemoOptions o;
    o.preset = p;
    o.seed = seed;
    summary = generate_demo(db, o);
  }
};

DemoDb& tatabu() {
  static DemoDb d(Preset::tatabu);
  return d;
}

double area(const GEOSGeometry* g) {
  double a = 0;
  REQUIRE(GEOSArea_r(geos::ctx(), g, &a) == 1);
  return a;
}

geos::GeomPtr union_of(const std::vector<geos::GeomPtr>& parts) {
  std::vector<GEOSGeometry*> raw;
  for (auto& p : parts) raw.push_back(geos::clone(p.get()).release());
  geos::GeomPtr coll = geos::own(
      GEOSGeom_createCollection_r(geos::ctx(), GEOS_GEOMETRYCOLLECTION, raw.data(), static_cast<unsigned>(raw.size())),
      "collection");
  return geos::own(GEOSUnaryUnion_r(geos::ctx(), coll.get()), "union");
}

// Children tile their parent: no gaps (union equals parent) and no overlaps (areas add up).
void check_tiling(Db& db, Layer parent_layer, Layer child_layer) {
  std::map<std::string, std::vector<geos::GeomPtr>> kids;
  AreaRepo(db, child_layer).for_each([&](const Area& a) {
    REQUIRE(a.parent);
    kids[*a.parent].push_back(geos::from_wkb(a.wkb));
  });
  AreaRepo(db, parent_layer).for_each([&](const Area& p) {
    INFO("parent " << p.code);
    auto& parts = kids[p.code];
    REQUIRE(!parts.empty());
    geos::GeomPtr parent = geos::from_wkb(p.wkb);
    double sum = 0;
    for (auto& k : parts) sum += area(k.get());
    double pa = area(parent.get());
    CHECK(sum == Approx(pa).epsilon(1e-9));
    geos::GeomPtr u = union_of(parts);
    geos::GeomPtr diff = geos::own(GEOSSymDifference_r(geos::ctx(), u.get(), parent.get()), "symdiff");
    CHECK(area(diff.get()) < pa * 1e-9);
  });
}

}  // namespace

TEST_CASE("the tatabu preset has the subdistrict our users describe") {
  auto& d = tatabu();
  CHECK(d.summary.subdistricts == 1);
  CHECK(d.summary.communities == 9);
  CHECK(d.summary.grids == 41);
  CHECK(WorkerRepo(d.db).count() == 41);
  CHECK(HouseholdRepo(d.db).count() == 12000);
  std::set<std::string> names;
  AreaRepo(d.db, Layer::communities).for_each([&](const Area& a) { names.insert(a.name); });
  for (const char* n : {"光明社区", "光兴里社区", "幸福社区", "一棉社区", "杨河社区"}) CHECK(names.count(n) == 1);
  CHECK(names.size() == 9);
}

TEST_CASE("tatabu logged 1,623 petitions in a year: 1,618 closed, 4 in handling, 1 pending review") {
  PetitionRepo repo(tatabu().db);
  CHECK(repo.count() == 1623);
  CHECK(repo.count_by_status(Status::closed) == 1618);
  CHECK(repo.count_by_status(Status::in_progress) == 4);
  CHECK(repo.count_by_status(Status::pending_review) == 1);
  int64_t first = INT64_MAX, last = INT64_MIN;
  repo.for_each([&](const Petition& p) {
    first = std::min(first, p.created_at);
    last = std::max(last, p.created_at);
  });
  CHECK(last - first <= 366 * 86400);
}

TEST_CASE("every demo petition has a full event history consistent with the lifecycle") {
  using enum Status;
  static const std::set<std::pair<Status, Status>> allowed = {
      {reported, dispatched},      {dispatched, in_progress}, {in_progress, pending_review},
      {pending_review, closed},    {reported, closed},        {pending_review, in_progress},
      {dispatched, dispatched}};  // escalation changes the handler, not the status
  PetitionRepo repo(tatabu().db);
  int checked = 0;
  repo.for_each([&](const Petition& p) {
    auto ev = repo.events(*p.id);
    INFO("petition " << p.id->value);
    REQUIRE(ev.size() >= 2);
    CHECK(ev.front().action == Action::report);
    CHECK(ev.front().to_status == reported);
    CHECK(ev.front().at == p.created_at);
    for (size_t i = 1; i < ev.size(); ++i) {
      REQUIRE(ev[i].from_status);
      CHECK(*ev[i].from_status == ev[i - 1].to_status);
      CHECK(allowed.count({*ev[i].from_status, ev[i].to_status}) == 1);
      CHECK(ev[i].at >= ev[i - 1].at);
    }
    CHECK(ev.back().to_status == p.status);
    if (p.status == closed) {
      REQUIRE(p.closed_at);
      CHECK(*p.closed_at == ev.back().at);
    } else {
      CHECK(!p.closed_at);
    }
    ++checked;
  });
  CHECK(checked == 1623);
}

TEST_CASE("grids tile their community and communities their subdistrict exactly") {
  check_tiling(tatabu().db, Layer::communities, Layer::grids);
  check_tiling(tatabu().db, Layer::subdistricts, Layer::communities);
}

TEST_CASE("every demo boundary is a valid multipolygon with shared edges, not a rectangle") {
  for (Layer l : {Layer::subdistricts, Layer::communities, Layer::grids})
    AreaRepo(tatabu().db, l).for_each([&](const Area& a) {
      geos::GeomPtr g = geos::from_wkb(a.wkb);
      INFO(a.code);
      CHECK(geos::invalid_reason(g.get()).empty());
      CHECK(geos::type_id(g.get()) == GEOS_MULTIPOLYGON);
      CHECK(geos::num_coordinates(g.get()) > 5);
    });
}

TEST_CASE("demo codes follow the 15-digit scheme and names are Chinese") {
  std::regex sub("\\d{9}"), comm("\\d{12}"), grid("\\d{15}");
  auto& db = tatabu().db;
  AreaRepo(db, Layer::subdistricts).for_each([&](const Area& a) {
    CHECK(std::regex_match(a.code, sub));
    CHECK(a.name == "塔塔埠街道");
  });
  AreaRepo(db, Layer::communities).for_each([&](const Area& a) {
    CHECK(std::regex_match(a.code, comm));
    CHECK(a.code.substr(0, 9) == *a.parent);
  });
  std::vector<std::string> codes;
  AreaRepo(db, Layer::grids).for_each([&](const Area& a) {
    CHECK(std::regex_match(a.code, grid));
    CHECK(a.code.substr(0, 12) == *a.parent);
    CHECK(a.name.find("网格") != std::string::npos);
    codes.push_back(a.code);
  });
  CHECK(codes.front().substr(12) == "001");
}

TEST_CASE("households and petitions lie in the grid they are stamped with") {
  auto& db = tatabu().db;
  Locator loc = Locator::load(db);
  int n = 0;
  HouseholdRepo(db).for_each([&](const Household& h) {
    if (*h.id % 7) return;
    const GridLineage* g = loc.locate(h.position);
    REQUIRE(g);
    CHECK(g->grid_code.value == *h.grid_code);
    CHECK(g->community_code == h.community_code);
    ++n;
  });
  PetitionRepo(db).for_each([&](const Petition& p) {
    const GridLineage* g = loc.locate(p.position);
    REQUIRE(g);
    CHECK(g->grid_code.value == *p.grid_code);
    CHECK(g->subdistrict_code == p.subdistrict_code);
  });
  CHECK(n > 1000);
}

TEST_CASE("the demo is deterministic for a seed and differs between seeds") {
  DemoDb again(Preset::tatabu, 1), other(Preset::tatabu, 2);
  auto first_grid = [](Db& db) { return AreaRepo(db, Layer::grids).all().front().wkb; };
  CHECK(first_grid(again.db) == first_grid(tatabu().db));
  CHECK(first_grid(other.db) != first_grid(tatabu().db));
  CHECK(PetitionRepo(again.db).get(PetitionId{100})->created_at == PetitionRepo(tatabu().db).get(PetitionId{100})->created_at);
}

TEST_CASE("the demo refuses a database that already holds grids") {
  DemoOptions o;
  o.preset = Preset::tatabu;
  CHECK_THROWS_WITH(generate_demo(tatabu().db, o), Catch::Contains("already holds grids"));
}
