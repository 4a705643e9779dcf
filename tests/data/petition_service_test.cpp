// The petition workflow as plain functions on a scratch database: roles, versions, and the
// change notices it publishes only for what committed.
#include <catch2/catch.hpp>

#include <vector>

#include "data/catalogue.hpp"
#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/locator.hpp"
#include "data/petition_service.hpp"
#include "data/petitions.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

struct Scratch {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("p.sqlite"));
  data::Locator locator = data::Locator::load(db);  // no grids: petitions anywhere
  data::ChangeFeed feed;
  std::vector<std::string> heard;
  Scratch() {
    data::Catalogue(db).put(data::simple_category("noise", "噪声扰民", 72));
    feed.subscribe([this](const data::ChangeNotice& c) { heard.push_back(c.key); });
  }
  int64_t report(const std::string& actor = "li") {
    data::NewPetition n;
    n.category = "noise";
    n.position = {111.7, 40.8};
    n.actor = actor;
    return *data::PetitionService(db, &feed).create(n, locator, 1000).petition.id;
  }
  data::Petition move(int64_t id, const std::string& to, const std::string& role, std::optional<int64_t> worker = {},
                      std::optional<int64_t> version = {}) {
    data::Change c;
    c.to = data::parse_status(to);
    c.role = role;
    c.actor = role;
    c.actor_worker = worker;
    c.expected_version = version;
    c.note = "done";
    return data::PetitionService(db, &feed).change(id, c, 2000);
  }
};

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::internal;
}

}  // namespace

TEST_CASE("moves are checked for the role, the lifecycle and the version, and only committed ones are heard") {
  Scratch s;
  int64_t id = s.report();
  s.feed.deliver();
  REQUIRE(s.heard.size() == 1);
  CHECK(kind_of([&] { s.move(id, "dispatched", "worker", 1); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { s.move(id, "in_progress", "dispatcher"); }) == ErrorKind::conflict);
  CHECK(kind_of([&] { s.move(id, "dispatched", "dispatcher", {}, 7); }) == ErrorKind::precondition_failed);
  CHECK(kind_of([&] { s.move(id, "nowhere", "dispatcher"); }) == ErrorKind::invalid_input);
  s.feed.deliver();
  CHECK(s.heard.size() == 1);  // refused moves publish nothing
  data::Petition p = s.move(id, "dispatched", "dispatcher", {}, 1);
  CHECK(p.status == data::Status::dispatched);
  CHECK(p.version == 2);
  s.feed.deliver();
  CHECK(s.heard.size() == 2);
  // The case has no handler (no grid here): no worker may start it.
  CHECK(kind_of([&] { s.move(id, "in_progress", "worker", 1); }) == ErrorKind::forbidden);
  // Its reporter may resolve on site what they reported.
  int64_t mine = s.report("worker-li");
  data::Change c;
  c.to = data::Status::closed;
  c.role = "worker";
  c.actor = "worker-li";
  c.actor_worker = 1;
  c.note = "当场劝离";
  CHECK(data::PetitionService(s.db, &s.feed).change(mine, c, 3000).status == data::Status::closed);
}

TEST_CASE("a notice published in a transaction that rolls back is never delivered") {
  Scratch s;
  {
    data::Transaction tx(s.db);
    s.feed.publish(s.db, {data::Layer::petitions, "42", std::nullopt, std::nullopt});
  }  // rolled back
  s.feed.deliver();
  CHECK(s.heard.empty());
  {
    data::Transaction tx(s.db);
    s.feed.publish(s.db, {data::Layer::petitions, "43", std::nullopt, std::nullopt});
    tx.commit();
  }
  s.feed.deliver();
  CHECK(s.heard == std::vector<std::string>{"43"});
}
