// Departments and the routing of categories to them, as plain functions.
#include <catch2/catch.hpp>

#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/departments.hpp"
#include "geo/error.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

TEST_CASE(
    "a category is routed to its own department before its parent's, its subdistrict's before "
    "everywhere's",
    "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "d.sqlite"));
  data::Catalogue cat(db);
  data::CatalogueEntry parent = data::simple_category("city", "市容环境", 72);
  cat.put(parent);
  data::CatalogueEntry noise = data::simple_category("noise", "噪声扰民", 72);
  noise.parent = "city";
  cat.put(noise);
  data::CatalogueEntry litter = data::simple_category("litter", "垃圾", 72);
  litter.parent = "city";
  cat.put(litter);
  db.exec(
      "INSERT INTO subdistricts(code, name, geom) VALUES ('S1', '一', "
      "GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 "
      "0)))', 4326)), ('S2', '二', GeomFromText('MULTIPOLYGON(((1 0, 2 0, 2 1, 1 0)))', 4326))");
  data::DepartmentRepo repo(db);
  repo.put({0, "city-mgmt", "城管局", {{"city", ""}}});
  repo.put({0, "env", "环保局", {{"noise", ""}}});
  repo.put({0, "s1-office", "一街道执法队", {{"noise", "S1"}}});
  CHECK(repo.route_for("noise", "S1")->code == "s1-office");
  CHECK(repo.route_for("noise", "S2")->code == "env");
  CHECK(repo.route_for("noise", std::nullopt)->code == "env");
  CHECK(repo.route_for("litter", "S1")->code == "city-mgmt");  // through its 大类
  CHECK_FALSE(repo.route_for("unknown", "S1"));
  // A route another department has is refused, and the refused put changes nothing.
  {
    data::Transaction tx(db);
    CHECK_THROWS_AS(repo.put({0, "other", "别的", {{"noise", "S1"}}}), Error);
  }
  CHECK(repo.list().size() == 3);
  CHECK_THROWS_AS(repo.put({0, "x", "x", {{"noise", "S9"}}}), Error);  // unknown subdistrict
  CHECK_THROWS_AS(repo.put({0, "", "x", {}}), Error);
  // Replacing a department replaces its routes.
  repo.put({0, "env", "生态环境局", {}});
  CHECK(repo.route_for("noise", "S2")->code == "city-mgmt");
  CHECK(repo.get(std::string("env"))->name == "生态环境局");
  CHECK(repo.remove("env"));
  CHECK_FALSE(repo.remove("env"));
}
