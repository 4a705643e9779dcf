#include "geo/coverage.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "geo/geodesic.hpp"

using namespace gridmap;

namespace {

// A subdistrict of two communities, each of two grids: 0.001-degree units near Hohhot.
geos::GeomPtr box(double x0, double y0, double x1, double y1) {
  double s = 0.001, ox = 111.7, oy = 40.8;
  return geos::polygon({{{ox + x0 * s, oy + y0 * s}, {ox + x1 * s, oy + y0 * s}, {ox + x1 * s, oy + y1 * s},
                         {ox + x0 * s, oy + y1 * s}, {ox + x0 * s, oy + y0 * s}}});
}

struct Layout {
  std::vector<geos::GeomPtr> keep;
  CoverageInput in;
  const GEOSGeometry* add(geos::GeomPtr g) {
    keep.push_back(std::move(g));
    return keep.back().get();
  }
  Layout() {
    in.subdistricts.push_back({"150102001", "塔塔埠街道", std::nullopt, add(box(0, 0, 4, 2))});
    in.communities.push_back({"150102001001", "光明社区", "150102001", add(box(0, 0, 2, 2))});
    in.communities.push_back({"150102001002", "幸福社区", "150102001", add(box(2, 0, 4, 2))});
    grid("150102001001001", "光明社区第1网格", "150102001001", box(0, 0, 1, 2));
    grid("150102001001002", "光明社区第2网格", "150102001001", box(1, 0, 2, 2));
    grid("150102001002001", "幸福社区第1网格", "150102001002", box(2, 0, 3, 2));
    grid("150102001002002", "幸福社区第2网格", "150102001002", box(3, 0, 4, 2));
    for (auto& g : in.grids) in.grids_with_worker.insert(g.code);
  }
  void grid(std::string code, std::string name, std::string parent, geos::GeomPtr g) {
    in.grids.push_back({code, name, parent, add(std::move(g))});
  }
  CoverageArea& find(const std::string& code) {
    return *std::find_if(in.grids.begin(), in.grids.end(), [&](auto& g) { return g.code == code; });
  }
};

std::vector<Finding> of_kind(const std::vector<Finding>& all, FindingKind k) {
  std::vector<Finding> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [k](const Finding& f) { return f.kind == k; });
  return out;
}

double unit_area() {  // one 0.001 x 0.001 degree square at 40.8N
  Layout l;
  return geodesic_area_m2(l.keep.back().get()) / 2;
}

}  // namespace

TEST_CASE("a layout whose grids tile their communities exactly is clean") {
  Layout l;
  CHECK(check_coverage(l.in).empty());
}

TEST_CASE("a gap between grids inside a community is found with its area and geometry") {
  Layout l;
  l.find("150102001001002").geom = l.add(box(1, 0, 2, 1.5));  // the top quarter is missing
  auto f = check_coverage(l.in);
  auto gaps = of_kind(f, FindingKind::gap);
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].codes == std::vector<std::string>{"150102001001"});
  CHECK(gaps[0].area_m2 == Approx(unit_area() * 0.5).epsilon(1e-4));
  CHECK(gaps[0].geojson.find("\"Polygon\"") != std::string::npos);
}

TEST_CASE("overlapping grids are found as an overlap of the two") {
  Layout l;
  l.find("150102001001001").geom = l.add(box(0, 0, 1.25, 2));
  auto overlaps = of_kind(check_coverage(l.in), FindingKind::overlap);
  REQUIRE(overlaps.size() == 1);
  CHECK(overlaps[0].codes == std::vector<std::string>{"150102001001001", "150102001001002"});
  CHECK(overlaps[0].area_m2 == Approx(unit_area() * 0.5).epsilon(1e-6));
}

TEST_CASE("a gap thinner than the threshold is reported as a sliver") {
  Layout l;
  l.find("150102001002002").geom = l.add(box(3.02, 0, 4, 2));  // a 1.7 m wide strip, about 375 m2
  l.in.sliver_m2 = 500;
  auto f = check_coverage(l.in);
  CHECK(of_kind(f, FindingKind::gap).empty());
  auto slivers = of_kind(f, FindingKind::sliver);
  REQUIRE(slivers.size() == 1);
  CHECK(slivers[0].codes == std::vector<std::string>{"150102001002"});
  CHECK(slivers[0].area_m2 < 500);
  CHECK(slivers[0].area_m2 > 100);
}

TEST_CASE("a grid reaching outside its community is found, and its neighbour's overlap too") {
  Layout l;
  l.find("150102001001002").geom = l.add(box(1, 0, 2.5, 2));
  auto f = check_coverage(l.in);
  auto outside = of_kind(f, FindingKind::outside_parent);
  REQUIRE(outside.size() >= 1);
  CHECK(outside[0].codes[0] == "150102001001002");
  CHECK(outside[0].area_m2 == Approx(unit_area()).epsilon(1e-6));
}

TEST_CASE("duplicate, malformed and orphaned codes are found") {
  Layout l;
  l.grid("150102001001001 ", "重复网格", "150102001001", box(0, 0, 0.1, 0.1));
  l.grid("ABC", "坏编码", "150102001001", box(0, 0, 0.1, 0.1));
  l.grid("150102001099001", "孤儿网格", "150102001099", box(0, 0, 0.1, 0.1));
  l.grid("150102001002003", "幸福社区第1网格", "150102001002", box(0, 0, 0.1, 0.1));
  for (auto& g : l.in.grids) l.in.grids_with_worker.insert(g.code);
  auto f = check_coverage(l.in);
  auto dup = of_kind(f, FindingKind::duplicate_code);
  REQUIRE(dup.size() == 1);
  CHECK(dup[0].codes == std::vector<std::string>{"150102001001001", "150102001001001 "});
  auto bad = of_kind(f, FindingKind::malformed_code);
  CHECK(std::any_of(bad.begin(), bad.end(), [](auto& x) { return x.codes[0] == "ABC"; }));
  auto orphan = of_kind(f, FindingKind::missing_parent);
  REQUIRE(orphan.size() == 1);
  CHECK(orphan[0].codes[0] == "150102001099001");
  auto names = of_kind(f, FindingKind::duplicate_name);
  REQUIRE(names.size() == 1);
  CHECK(names[0].codes == std::vector<std::string>{"150102001002001", "150102001002003"});
}

TEST_CASE("a grid without a worker is found") {
  Layout l;
  l.in.grids_with_worker.erase("150102001002001");
  auto f = check_coverage(l.in);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::no_worker);
  CHECK(f[0].codes[0] == "150102001002001");
}

TEST_CASE("gaps and overlaps between communities inside a subdistrict are found") {
  Layout l;
  l.in.communities[1].geom = l.add(box(2.5, 0, 4, 2));
  auto f = check_coverage(l.in);
  auto gaps = of_kind(f, FindingKind::gap);
  REQUIRE(!gaps.empty());
  CHECK(std::any_of(gaps.begin(), gaps.end(), [](auto& g) { return g.level == "subdistrict" && g.codes[0] == "150102001"; }));
}
