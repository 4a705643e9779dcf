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
#include "data/time.hpp"
#include "geo/error.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

struct Scratch {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "p.sqlite"));
  data::Locator locator = data::Locator::load(db);  // no grids: petitions anywhere
  data::ChangeFeed feed;
  std::vector<std::string> heard;
  Scratch() {
    data::Catalogue(db).put(data::simple_category("noise", "噪声扰民", 72));
    feed.subscribe([this](const data::ChangeNotice& c) { heard.push_back(c.key); });
  }
  PetitionId report(const std::string& actor = "li") {
    data::NewPetition n;
    n.category = "noise";
    n.position = {111.7, 40.8};
    n.actor = actor;
    return *data::PetitionService(db, &feed).create(n, locator, 1000).petition.id;
  }
  data::Petition move(PetitionId id, const std::string& to, const std::string& role,
                      std::optional<int64_t> worker = {}, std::optional<int64_t> version = {}) {
    data::Change c;
    c.to = data::parse_status(to);
    c.role = role;
    c.actor = role;
    if (worker) c.actor_worker = WorkerId{*worker};
    c.expected_version = version ? version : data::PetitionRepo(db).get(id)->version;
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

TEST_CASE(
    "moves are checked for the role, the lifecycle and the version, and only committed ones are "
    "heard",
    "[engines]") {
  Scratch s;
  PetitionId id = s.report();
  s.feed.deliver();
  REQUIRE(s.heard.size() == 1);
  CHECK(kind_of([&] { s.move(id, "dispatched", "worker", 1); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { s.move(id, "in_progress", "dispatcher"); }) == ErrorKind::conflict);
  CHECK(kind_of([&] { s.move(id, "dispatched", "dispatcher", {}, 7); }) ==
        ErrorKind::precondition_failed);
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
  PetitionId mine = s.report("worker-li");
  data::Change c;
  c.to = data::Status::closed;
  c.role = "worker";
  c.actor = "worker-li";
  c.actor_worker = WorkerId{1};
  c.note = "当场劝离";
  c.expected_version = 1;
  CHECK(data::PetitionService(s.db, &s.feed).change(mine, c, 3000).status == data::Status::closed);
}

TEST_CASE("a notice published in a transaction that rolls back is never delivered", "[engines]") {
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

TEST_CASE("a move without the version is 428, and nobody reviews a case they handled",
          "[engines]") {
  Scratch s;
  PetitionId id = s.report();
  data::Change bare;
  bare.to = data::Status::registered;
  bare.role = "dispatcher";
  bare.actor = "dispatcher";
  CHECK(kind_of([&] { data::PetitionService(s.db).change(id, bare, 2000); }) ==
        ErrorKind::precondition_required);
  // Give the case a handler, worker 7.
  s.db.exec("INSERT INTO workers(id, name) VALUES (7, '张伟'), (8, '李娜')");
  s.db.exec("UPDATE petitions SET handler_worker_id = 7 WHERE id = " + std::to_string(id.value));
  s.move(id, "registered", "dispatcher");
  s.move(id, "dispatched", "dispatcher");
  CHECK(kind_of([&] { s.move(id, "in_progress", "worker", 8); }) ==
        ErrorKind::forbidden);  // not theirs
  s.move(id, "in_progress", "worker", 7);
  s.move(id, "pending_review", "worker", 7);
  // The handler's own review: refused even with an office role (an admin linked to worker 7).
  CHECK(kind_of([&] { s.move(id, "verified", "admin", 7); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { s.move(id, "verified", "worker", 7); }) == ErrorKind::forbidden);
  data::Petition v = s.move(id, "verified", "dispatcher");
  CHECK(v.status == data::Status::verified);
  CHECK(s.move(id, "closed", "dispatcher").status == data::Status::closed);
  CHECK(kind_of([&] { s.move(id, "in_progress", "dispatcher"); }) == ErrorKind::conflict);
}

TEST_CASE(
    "rejecting needs a reason, a reporter withdraws their own case, and final states take no more "
    "moves",
    "[engines]") {
  Scratch s;
  PetitionId a = s.report("li"), b = s.report("wang");
  data::Change c;
  c.to = data::Status::rejected;
  c.role = "dispatcher";
  c.actor = "dispatcher";
  c.expected_version = 1;
  CHECK(kind_of([&] { data::PetitionService(s.db).change(a, c, 2000); }) ==
        ErrorKind::invalid_input);
  c.note = "不属于受理范围";
  data::Petition r = data::PetitionService(s.db).change(a, c, 2000);
  CHECK(r.status == data::Status::rejected);
  CHECK(r.closed_at == 2000);
  CHECK(kind_of([&] { s.move(a, "registered", "dispatcher"); }) == ErrorKind::conflict);
  // A worker withdraws only what they reported.
  CHECK(kind_of([&] { s.move(b, "withdrawn", "worker", 1); }) ==
        ErrorKind::forbidden);  // actor "worker"
  data::Change w;
  w.to = data::Status::withdrawn;
  w.role = "worker";
  w.actor = "wang";
  w.note = "已自行解决";
  w.expected_version = 1;
  CHECK(data::PetitionService(s.db).change(b, w, 2500).status == data::Status::withdrawn);
}

TEST_CASE(
    "a suspended case's deadline moves on by the working time it was suspended, and it resumes "
    "where it was",
    "[engines]") {
  Scratch s;
  PetitionId id = s.report();
  auto at = [](const char* t) { return *data::parse_time(t); };
  // Reported Monday 2026-03-02 09:00 with 72 working hours: set the deadline by hand to
  // Thursday 2026-03-12 12:00 for round figures.
  s.db.exec("UPDATE petitions SET deadline_at = " + std::to_string(at("2026-03-12 12:00")) +
            " WHERE id = " + std::to_string(id.value));
  auto change = [&](data::Status to, const char* when, const std::string& note = "") {
    data::Change c;
    c.to = to;
    c.role = "dispatcher";
    c.actor = "dispatcher";
    c.note = note;
    c.expected_version = data::PetitionRepo(s.db).get(id)->version;
    return data::PetitionService(s.db).change(id, c, at(when));
  };
  change(data::Status::registered, "2026-03-02 10:00");
  CHECK(kind_of([&] { change(data::Status::suspended, "2026-03-03 09:00"); }) ==
        ErrorKind::invalid_input);
  data::Petition p = change(data::Status::suspended, "2026-03-03 09:00", "等待产权单位答复");
  CHECK(p.suspended_from == data::Status::registered);
  // Resuming to anywhere but where it was is refused.
  CHECK(kind_of([&] { change(data::Status::dispatched, "2026-03-05 09:00"); }) ==
        ErrorKind::conflict);
  // Suspended Tuesday 09:00 to Thursday 09:00: two whole working days (15 h) stood still.
  data::Petition back = change(data::Status::registered, "2026-03-05 09:00");
  CHECK(back.status == data::Status::registered);
  CHECK_FALSE(back.suspended_from);
  // 2026-03-12 12:00 + 15 working hours: 12:00-18:00 is 4.5 h (Thursday), Friday 7.5 h (12),
  // Monday 09:00 + 3 h = 12:00 on 2026-03-16.
  CHECK(back.deadline_at == at("2026-03-16 12:00"));
  CHECK(data::PetitionRepo(s.db).get(id)->deadline_at == at("2026-03-16 12:00"));
}

TEST_CASE(
    "an extension is asked for with a later deadline and a reason, and decided by someone else",
    "[engines]") {
  Scratch s;
  PetitionId id = s.report();
  s.db.exec("INSERT INTO workers(id, name) VALUES (7, '张伟')");
  s.db.exec("UPDATE petitions SET handler_worker_id = 7, deadline_at = 10000 WHERE id = " +
            std::to_string(id.value));
  auto ask = [&](data::Action a, const std::string& role, const std::string& actor,
                 std::optional<int64_t> worker, std::optional<int64_t> until,
                 const std::string& note) {
    data::Change c;
    c.action = a;
    c.role = role;
    c.actor = actor;
    if (worker) c.actor_worker = WorkerId{*worker};
    c.until = until;
    c.note = note;
    c.expected_version = data::PetitionRepo(s.db).get(id)->version;
    return data::PetitionService(s.db).change(id, c, 3000);
  };
  using enum data::Action;
  // Nothing to extend while merely reported.
  CHECK(kind_of([&] { ask(request_extension, "worker", "w7", 7, 20000, "待配件"); }) ==
        ErrorKind::conflict);
  s.move(id, "registered", "dispatcher");
  s.move(id, "dispatched", "dispatcher");
  CHECK(kind_of([&] { ask(request_extension, "worker", "w8", 8, 20000, "x"); }) ==
        ErrorKind::forbidden);
  CHECK(kind_of([&] { ask(request_extension, "worker", "w7", 7, std::nullopt, "待配件"); }) ==
        ErrorKind::invalid_input);
  CHECK(kind_of([&] { ask(request_extension, "worker", "w7", 7, 9000, "待配件"); }) ==
        ErrorKind::invalid_input);
  CHECK(kind_of([&] { ask(request_extension, "worker", "w7", 7, 20000, ""); }) ==
        ErrorKind::invalid_input);
  CHECK(kind_of([&] { ask(approve_extension, "dispatcher", "d1", {}, {}, ""); }) ==
        ErrorKind::conflict);
  data::Petition asked = ask(request_extension, "worker", "w7", 7, 20000, "待配件");
  CHECK(asked.extension_until == 20000);
  CHECK(asked.deadline_at == 10000);
  CHECK(kind_of([&] { ask(request_extension, "worker", "w7", 7, 30000, "again"); }) ==
        ErrorKind::conflict);
  CHECK(kind_of([&] { ask(approve_extension, "worker", "w7", 7, {}, ""); }) ==
        ErrorKind::forbidden);
  CHECK(kind_of([&] { ask(refuse_extension, "dispatcher", "d1", {}, {}, ""); }) ==
        ErrorKind::invalid_input);
  data::Petition approved = ask(approve_extension, "dispatcher", "d1", {}, {}, "同意");
  CHECK(approved.deadline_at == 20000);
  CHECK(approved.extensions == 1);
  CHECK_FALSE(approved.extension_until);
  // Asked for by a dispatcher, decided by another one.
  ask(request_extension, "dispatcher", "d1", {}, 40000, "节假日");
  CHECK(kind_of([&] { ask(approve_extension, "dispatcher", "d1", {}, {}, ""); }) ==
        ErrorKind::forbidden);
  data::Petition refused = ask(refuse_extension, "dispatcher", "d2", {}, {}, "理由不充分");
  CHECK(refused.deadline_at == 20000);
  CHECK(refused.extensions == 1);
  auto events = data::PetitionRepo(s.db).events(id);
  CHECK(events.back().action == refuse_extension);
}
