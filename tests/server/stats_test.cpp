// GET /api/v1/stats: filters by area and category count what they say, and a parameter the
// route does not know is refused rather than ignored.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "data/db.hpp"
#include "support/pg_support.hpp"
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

TEST_CASE("stats filter by subdistrict, community and category, and unknown parameters are 400",
          "[engines]") {
  test::RoleServer s;
  rapidjson::Document all = json(s.get("/api/v1/stats?level=grid", "planner"));
  CHECK(total(all) ==
        count_sql(s.db, "SELECT count(*) FROM petitions WHERE grid_code IS NOT NULL"));
  std::string community = "150102001001";
  rapidjson::Document one =
      json(s.get("/api/v1/stats?level=grid&community_code=" + community, "planner"));
  CHECK(total(one) ==
        count_sql(
            s.db,
            "SELECT count(*) FROM petitions WHERE grid_code IS NOT NULL AND community_code = '" +
                community + "'"));
  CHECK(total(one) < total(all));
  for (const auto& r : one.GetArray())
    CHECK(std::string(r["code"].GetString()).rfind(community, 0) == 0);
  // Every grid of the community is a row, one without a case too (with zeros).
  CHECK(static_cast<int64_t>(one.Size()) ==
        count_sql(s.db, "SELECT count(*) FROM grids WHERE community_code = '" + community + "'"));
  CHECK(static_cast<int64_t>(all.Size()) == count_sql(s.db, "SELECT count(*) FROM grids"));
  // A new grid, nothing reported in it yet: listed with zeros.
  s.send("POST", "/api/v1/grids",
         "{\"type\":\"Feature\",\"properties\":{\"code\":\"150102001001099\",\"name\":\"新网格\","
         "\"community_code\":\"" +
             community +
             "\"},\"geometry\":{\"type\":\"Polygon\","
             "\"coordinates\":[[[111.60,40.70],[111.601,40.70],[111.601,40.701],[111.60,40.701],"
             "[111.60,40.70]]]}}");
  rapidjson::Document with_new =
      json(s.get("/api/v1/stats?level=grid&community_code=" + community, "planner"));
  bool found = false;
  for (const auto& r : with_new.GetArray())
    if (std::string(r["code"].GetString()) == "150102001001099") {
      found = true;
      CHECK(r["total"].GetInt64() == 0);
      CHECK(r["due"].GetInt64() == 0);
    }
  CHECK(found);
  // A 小类, and its 大类 counting all of its 小类.
  rapidjson::Document noise =
      json(s.get("/api/v1/stats?level=subdistrict&category=noise", "planner"));
  CHECK(total(noise) == count_sql(s.db, "SELECT count(*) FROM petitions WHERE category = 'noise'"));
  rapidjson::Document city =
      json(s.get("/api/v1/stats?level=subdistrict&category=city_appearance", "planner"));
  CHECK(total(city) ==
        count_sql(s.db,
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
  check_problem(s.get("/api/v1/stats?level=grid&communty_code=" + community, "planner"), 400,
                "invalid_input");
  check_problem(s.get("/api/v1/stats?category=nothing", "planner"), 400, "invalid_input");
  check_problem(s.get("/api/v1/hotspots?frm=2026-01-01", "planner"), 400, "invalid_input");
}

TEST_CASE(
    "a follow-up of a closed case counts in the satisfaction rate, and an unsatisfied one may "
    "reopen it",
    "[engines]") {
  test::RoleServer s;
  // Two closed cases of the same grid, with no follow-ups yet.
  std::string grid = "150102001001001";
  data::Db d = data::Db::open(s.db, false);
  data::Statement st(
      d, "SELECT id FROM petitions WHERE status = 'closed' AND grid_code = ?1 ORDER BY id LIMIT 2");
  st.bind(1, grid);
  REQUIRE(st.step());
  int64_t a = st.int64(0);
  REQUIRE(st.step());
  int64_t b = st.int64(0);
  auto follow = [&](int64_t id, const std::string& body, const std::string& role = "dispatcher",
                    bool version = true) {
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + s.tokens.at(role)},
                                            {"Content-Type", "application/json"}};
    std::string target = "/api/v1/petitions/" + std::to_string(id);
    if (version) h["If-Match"] = test::http(s.server->port(), "GET", target, "", h).headers["etag"];
    return test::http(s.server->port(), "POST", target + "/follow-ups", body, h);
  };
  // Bad input and the wrong caller change nothing.
  check_problem(follow(a, R"({"satisfaction":"satisfied"})", "worker"), 403, "forbidden");
  check_problem(follow(a, R"({"satisfaction":"satisfied"})", "dispatcher", false), 428,
                "precondition_required");
  check_problem(follow(a, R"({"satisfaction":"happy"})"), 400, "invalid_input");
  check_problem(follow(a, R"({"reached":true})"), 400, "invalid_input");
  check_problem(follow(a, R"({"reached":false,"satisfaction":"satisfied"})"), 400, "invalid_input");
  check_problem(follow(a, R"({"satisfaction":"satisfied","reopen":true})"), 400, "invalid_input");
  REQUIRE(follow(a, R"({"satisfaction":"basically_satisfied","note":"已回访"})").status == 201);
  rapidjson::Document row =
      json(s.get("/api/v1/stats?level=grid&community_code=150102001001", "planner"));
  const rapidjson::Value* mine = nullptr;
  for (const auto& r : row.GetArray())
    if (std::string(r["code"].GetString()) == grid) mine = &r;
  REQUIRE(mine);
  CHECK((*mine)["followed_up"].GetInt64() == 1);
  CHECK((*mine)["satisfaction_rate"].GetDouble() == 1.0);
  // Unsatisfied and reopened: back in progress, counted as reopened, and only one follow-up
  // per case counts (the latest reached one).
  test::HttpResult r =
      follow(b, R"({"satisfaction":"unsatisfied","reopen":true,"note":"噪声仍在"})");
  REQUIRE(r.status == 201);
  rapidjson::Document p = json(r);
  CHECK(std::string(p["properties"]["status"].GetString()) == "in_progress");
  CHECK(p["properties"]["reopened"].GetInt() == 1);
  check_problem(follow(b, R"({"satisfaction":"satisfied"})"), 409, "conflict");  // no longer closed
  rapidjson::Document list =
      json(s.get("/api/v1/petitions/" + std::to_string(b) + "/follow-ups", "dispatcher"));
  REQUIRE(list.Size() == 1);
  CHECK(std::string(list[0]["satisfaction"].GetString()) == "unsatisfied");
  CHECK(list[0]["reopened"].GetBool());
  row = json(s.get("/api/v1/stats?level=grid&community_code=150102001001", "planner"));
  for (const auto& x : row.GetArray())
    if (std::string(x["code"].GetString()) == grid) {
      CHECK(x["followed_up"].GetInt64() == 2);
      CHECK(x["satisfaction_rate"].GetDouble() == 0.5);
    }
}

TEST_CASE("stats per category, ranked, as a monthly series and as CSV and xlsx downloads",
          "[engines]") {
  test::RoleServer s;
  rapidjson::Document cats = json(s.get("/api/v1/stats?level=category", "planner"));
  REQUIRE(cats.Size() > 1);
  CHECK(total(cats) == count_sql(s.db, "SELECT count(*) FROM petitions"));
  // Ranked by completion rate, best first; ranks follow the order, ties share one.
  rapidjson::Document ranked =
      json(s.get("/api/v1/stats?level=grid&sort=completion_rate&order=desc", "dispatcher"));
  REQUIRE(ranked.Size() == 41);
  for (rapidjson::SizeType i = 1; i < ranked.Size(); ++i) {
    double prev = ranked[i - 1]["completion_rate"].GetDouble(),
           here = ranked[i]["completion_rate"].GetDouble();
    CHECK(prev >= here);
    int64_t rank = ranked[i]["rank"].GetInt64();
    CHECK(rank == (prev == here ? ranked[i - 1]["rank"].GetInt64() : int64_t(i) + 1));
  }
  rapidjson::Document asc =
      json(s.get("/api/v1/stats?level=grid&sort=completion_rate&order=asc", "planner"));
  CHECK(asc[0]["completion_rate"].GetDouble() <=
        asc[asc.Size() - 1]["completion_rate"].GetDouble());
  CHECK_FALSE(json(s.get("/api/v1/stats?level=grid", "planner"))[0].HasMember("rank"));
  // A year month by month, in Asia/Shanghai months: every case due in the year counted once.
  rapidjson::Document months = json(s.get(
      "/api/v1/stats?level=subdistrict&series=month&from=2025-06-01&to=2026-06-01", "planner"));
  REQUIRE(months.Size() > 1);
  CHECK(std::string(months[0]["month"].GetString()) == "2025-06");
  CHECK(std::string(months[0]["from"].GetString()) == "2025-05-31T16:00:00Z");
  int64_t due = 0;
  for (const auto& m : months.GetArray()) due += m["due"].GetInt64();
  CHECK(due ==
        count_sql(s.db,
                  "SELECT count(*) FROM petitions WHERE status NOT IN ('rejected', 'withdrawn') "
                  "AND deadline_at >= 1748707200 AND deadline_at < 1780243200"));
  // Downloads: by Accept or by format=, Chinese headers, a BOM, an attachment.
  test::HttpResult csv = s.get("/api/v1/stats?level=community&from=2026-01-01&to=2026-02-01",
                               "planner", {{"Accept", "text/csv"}});
  REQUIRE(csv.status == 200);
  CHECK(csv.headers["content-type"].rfind("text/csv", 0) == 0);
  CHECK(csv.headers["content-disposition"] ==
        "attachment; filename=\"kpi-community-2026-01-01-2026-02-01.csv\"");
  CHECK(csv.body.rfind("\xEF\xBB\xBF社区编码,社区名称,统计起始,统计截止,上报数", 0) == 0);
  CHECK(csv.body.find(",2026-01-01 00:00,2026-02-01 00:00,") != std::string::npos);
  test::HttpResult csv2 =
      s.get("/api/v1/stats?level=community&from=2026-01-01&to=2026-02-01&format=csv", "planner");
  CHECK(csv2.body == csv.body);
  const std::string xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  test::HttpResult xlsx =
      s.get("/api/v1/stats?level=grid&sort=overdue", "planner", {{"Accept", xlsx_type}});
  REQUIRE(xlsx.status == 200);
  CHECK(xlsx.headers["content-type"] == xlsx_type);
  CHECK(xlsx.headers["content-disposition"] == "attachment; filename=\"kpi-grid.xlsx\"");
  CHECK(xlsx.body.rfind("PK", 0) == 0);
  CHECK(s.get("/api/v1/stats?format=xlsx", "planner").body.rfind("PK", 0) == 0);
  // No resident's personal data in any form.
  for (const auto* body : {&csv.body, &csv2.body})
    CHECK(body->find("reporter") == std::string::npos);
  // Planners, dispatchers and admins only.
  CHECK(s.get("/api/v1/stats?format=csv", "worker").status >= 400);
}

TEST_CASE("stats refuse an unknown level, sort, order, series or format, and from after to",
          "[engines]") {
  test::RoleServer s;
  for (const char* q :
       {"level=galaxy", "sort=happiness", "sort=due&order=up", "order=asc", "series=week",
        "format=pdf", "from=2026-03-01&to=2026-02-01", "from=2026-03-01&to=2026-03-01",
        "series=month&from=2016-01-01&to=2026-03-01"})
    check_problem(s.get(std::string("/api/v1/stats?") + q, "planner"), 400, "invalid_input");
}
