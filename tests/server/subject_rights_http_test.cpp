// The residents' rights over HTTP: an admin exports everything held about one person, and
// erases it with a reason; no other role may.
#include <catch2/catch.hpp>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

TEST_CASE(
    "an admin exports a resident's data and erases it, with a reason, and other roles may not",
    "[engines]") {
  test::RoleServer s;
  int64_t resident = 0;
  std::string id_number;
  {
    data::Db db = data::Db::open(s.db, false);
    data::Statement st(db,
                       "SELECT id, id_number FROM residents WHERE id_number IS NOT NULL LIMIT 1");
    REQUIRE(st.step());
    resident = st.int64(0);
    id_number = st.text(1);
  }
  std::string base = "/api/v1/residents/" + std::to_string(resident);
  auto exported = s.get(base + "/export");
  REQUIRE(exported.status == 200);
  CHECK(exported.headers.at("cache-control") == "no-store");
  auto d = test::json(exported);
  CHECK(std::string(d["resident"]["id_number"].GetString()) == id_number);
  CHECK(d["household"].IsObject());
  test::check_problem(s.get(base + "/export", "dispatcher"), 403, "forbidden");
  test::check_problem(s.get(base + "/export", "worker"), 403, "forbidden");
  test::check_problem(s.send("POST", base + "/erase", "{}"), 400, "invalid_input");  // no reason
  auto erased = s.send("POST", base + "/erase", "{\"reason\":\"PIPL request 2026-002\"}");
  INFO(erased.body);
  REQUIRE(erased.status == 200);
  CHECK(test::json(erased)["resident_id"].GetInt64() == resident);
  test::check_problem(s.get(base + "/export"), 404, "not_found");
  data::Db db = data::Db::open(s.db, false);
  data::Statement left(db, "SELECT count(*) FROM residents WHERE id_number = ?1");
  left.bind(1, id_number);
  REQUIRE(left.step());
  CHECK(left.int64(0) == 0);
  data::Statement audit(
      db,
      "SELECT count(*) FROM audit_log WHERE action IN ('export_personal_data', 'erase_resident')");
  REQUIRE(audit.step());
  CHECK(audit.int64(0) == 2);
}
