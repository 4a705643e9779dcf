// Features as typed rows: the values a client sees, computed in one place (no JSON in SQL).
#include <catch2/catch.hpp>

#include <variant>

#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/features.hpp"
#include "data/locator.hpp"
#include "data/petition_service.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

const data::PropertyValue& prop(const data::Feature& f, std::string_view name) {
  for (const data::Property& p : f.properties)
    if (name == p.name) return p.value;
  FAIL("no property " << name);
  static data::PropertyValue none;
  return none;
}

}  // namespace

TEST_CASE(
    "a petition feature carries typed values: times, flags, age and overdue computed from its "
    "clock") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("f.sqlite"));
  data::Catalogue(db).put(data::simple_category("noise", "噪声扰民", 72));
  data::Locator locator = data::Locator::load(db);
  data::NewPetition n;
  n.category = "noise";
  n.position = {111.7, 40.8};
  n.actor = "li";
  n.reporter_contact = "13800001234";
  int64_t created = 1'767'225'600;  // 2026-01-01T00:00:00Z
  int64_t id = data::PetitionService(db).create(n, locator, created).petition.id->value;
  db.exec("UPDATE petitions SET deadline_at = " + std::to_string(created + 86'400) +
          ", supervised = 1 WHERE id = " + std::to_string(id));

  // Two and a half days later the open case is overdue.
  auto f = data::get_feature(db, data::Layer::petitions, std::to_string(id), created + 216'000);
  REQUIRE(f);
  CHECK(std::get<int64_t>(f->id) == id);
  CHECK(f->version == 1);
  REQUIRE(f->geometry);
  CHECK(f->geometry->find("\"Point\"") != std::string::npos);
  CHECK(std::get<data::Timestamp>(prop(*f, "created_at")).epoch == created);
  CHECK(std::holds_alternative<std::monostate>(prop(*f, "closed_at")));
  CHECK(std::get<bool>(prop(*f, "supervised")));
  CHECK(std::get<double>(prop(*f, "age_days")) == Approx(2.5));
  CHECK(std::get<bool>(prop(*f, "overdue")));
  // No property holds the reporter's contact.
  for (const data::Property& p : f->properties)
    if (auto* s = std::get_if<std::string>(&p.value))
      CHECK(s->find("13800001234") == std::string::npos);

  // Suspended, its clock stands: not overdue whatever the time.
  db.exec("UPDATE petitions SET status = 'suspended' WHERE id = " + std::to_string(id));
  f = data::get_feature(db, data::Layer::petitions, std::to_string(id), created + 216'000);
  CHECK_FALSE(std::get<bool>(prop(*f, "overdue")));
  // Closed after one day: its age stops there.
  db.exec("UPDATE petitions SET status = 'closed', closed_at = " +
          std::to_string(created + 86'400) + " WHERE id = " + std::to_string(id));
  f = data::get_feature(db, data::Layer::petitions, std::to_string(id), created + 10 * 86'400);
  CHECK(std::get<double>(prop(*f, "age_days")) == Approx(1.0));
  CHECK(std::get<data::Timestamp>(prop(*f, "closed_at")).epoch == created + 86'400);
  CHECK_FALSE(data::get_feature(db, data::Layer::petitions, "999", created));
  CHECK_FALSE(data::get_feature(db, data::Layer::petitions, "x1", created));
}

TEST_CASE("pages of workers list their grids in order, and the cursor is the last key served") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("w.sqlite"));
  db.exec("PRAGMA foreign_keys = OFF");  // grids without boundaries, for the listing alone
  db.exec(
      "INSERT INTO workers(id, name, on_duty) VALUES (1, '张伟', 1), (2, '李娜', 0), (3, '王芳', "
      "1)");
  db.exec("INSERT INTO worker_grids(worker_id, grid_code) VALUES (1, 'G2'), (1, 'G1'), (3, 'G3')");
  data::FeatureQuery q;
  q.layer = data::Layer::workers;
  q.limit = 2;
  data::FeaturePage page = data::list_features(db, q);
  REQUIRE(page.features.size() == 2);
  CHECK(page.next == "2");
  CHECK(std::get<std::vector<std::string>>(prop(page.features[0], "grids")) ==
        std::vector<std::string>{"G1", "G2"});
  CHECK(std::get<std::vector<std::string>>(prop(page.features[1], "grids")).empty());
  CHECK(std::get<bool>(prop(page.features[0], "on_duty")));
  CHECK_FALSE(std::get<bool>(prop(page.features[1], "on_duty")));
  q.cursor = page.next;
  page = data::list_features(db, q);
  REQUIRE(page.features.size() == 1);
  CHECK(std::get<int64_t>(page.features[0].id) == 3);
  CHECK_FALSE(page.next);
}
