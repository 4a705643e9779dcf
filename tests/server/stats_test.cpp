// GET /api/v1/stats: filters by area and category count what they say, and a parameter the
// route does not know is refused rather than ignored.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::json;

namespace {

int64_t count_sql(const std::string& db, const std::string& sql) {
  data::Db d = data::Db::open(db, false);
  data::Statement st(d, sql);
  st.step();
  return st.int64(0);
}

int64_t total(const rapidjson::Document& rows) {
  int64_t n = 0;
  for (const auto& r : rows.GetArray()) n += r["total"].GetInt64();
  return n;
}

}  // namespace

TEST_CASE("stats filter by subdistrict, community and category, and unknown parameters are 400") {
  test::RoleServer s;
  rapidjson::Document all = json(s.get("/api/v1/stats?level=grid", "planner"));
  CHECK(total(all) == count_sql(s.db, "SELECT count(*) FROM petitions WHERE grid_code IS NOT NULL"));
  std::string community = "150102001001";
  rapidjson::Document one = json(s.get("/api/v1/stats?level=grid&community_code=" + community, "planner"));
  CHECK(total(one) ==
        count_sql(s.db, "SELECT count(*) FROM petitions WHERE grid_code IS NOT NULL AND community_code = '" +
                            community + "'"));
  CHECK(total(one) < total(all));
  for (const auto& r : one.GetArray()) CHECK(std::string(r["code"].GetString()).rfind(community, 0) == 0);
  // A 小类, and its 大类 counting all of its 小类.
  rapidjson::Document noise = json(s.get("/api/v1/stats?level=subdistrict&category=noise", "planner"));
  CHECK(total(noise) == count_sql(s.db, "SELECT count(*) FROM petitions WHERE category = 'noise'"));
  rapidjson::Document city = json(s.get("/api/v1/stats?level=subdistrict&category=city_appearance", "planner"));
  CHECK(total(city) == count_sql(s.db,
                                 "SELECT count(*) FROM petitions WHERE category IN (SELECT code FROM categories "
                                 "WHERE parent = 'city_appearance')"));
  CHECK(total(city) > total(noise));
  // Every per-status count is there, and they add up to the total.
  for (const auto& r : all.GetArray()) {
    int64_t sum = 0;
    for (const auto& [k, v] : r["by_status"].GetObject()) sum += v.GetInt64();
    CHECK(sum == r["total"].GetInt64());
    CHECK(r["by_status"].HasMember("suspended"));
  }
  check_problem(s.get("/api/v1/stats?level=grid&communty_code=" + community, "planner"), 400, "invalid_input");
  check_problem(s.get("/api/v1/stats?category=nothing", "planner"), 400, "invalid_input");
  check_problem(s.get("/api/v1/hotspots?frm=2026-01-01", "planner"), 400, "invalid_input");
}
