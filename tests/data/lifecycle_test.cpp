// The petition lifecycle and who may move a case, as plain functions; the domain values and
// their text at the edges.
#include <catch2/catch.hpp>

#include <string>

#include "data/lifecycle.hpp"
#include "data/petition_types.hpp"
#include "geo/error.hpp"

using namespace gridmap;
using data::Action;
using data::Level;
using data::Status;

TEST_CASE("the lifecycle allows exactly its moves") {
  int allowed = 0;
  for (Status from : data::kAllStatuses)
    for (Status to : data::kAllStatuses) allowed += data::transition_allowed(from, to);
  CHECK(allowed == 6);
  CHECK(data::transition_allowed(Status::reported, Status::dispatched));
  CHECK(data::transition_allowed(Status::reported, Status::closed));             // resolved on site
  CHECK(data::transition_allowed(Status::pending_review, Status::in_progress));  // review failed
  CHECK_FALSE(data::transition_allowed(Status::closed, Status::in_progress));
  CHECK_FALSE(data::transition_allowed(Status::dispatched, Status::closed));
}

TEST_CASE(
    "a worker reports, starts, submits, resolves on site and escalates, the rest is a "
    "dispatcher's") {
  CHECK(data::role_may("worker", Action::transition, Status::dispatched, Status::in_progress));
  CHECK(data::role_may("worker", Action::transition, Status::in_progress, Status::pending_review));
  CHECK(data::role_may("worker", Action::transition, Status::reported, Status::closed));
  CHECK(data::role_may("worker", Action::escalate, Status::in_progress, std::nullopt));
  CHECK_FALSE(data::role_may("worker", Action::transition, Status::reported, Status::dispatched));
  CHECK_FALSE(data::role_may("worker", Action::transition, Status::pending_review, Status::closed));
  CHECK_FALSE(
      data::role_may("worker", Action::transition, Status::pending_review, Status::in_progress));
  CHECK_FALSE(data::role_may("worker", Action::transition, Status::dispatched, std::nullopt));
  CHECK_FALSE(data::role_may("worker", Action::reassign, Status::dispatched, std::nullopt));
  for (const char* role : {"dispatcher", "admin"}) {
    CHECK(data::role_may(role, Action::transition, Status::reported, Status::dispatched));
    CHECK(data::role_may(role, Action::transition, Status::pending_review, Status::closed));
    CHECK(data::role_may(role, Action::reassign, Status::dispatched, std::nullopt));
  }
  CHECK_FALSE(data::role_may("planner", Action::transition, Status::reported, Status::dispatched));
  CHECK_FALSE(data::role_may("", Action::escalate, Status::reported, std::nullopt));
}

TEST_CASE("escalation climbs grid, community, subdistrict, department and stops") {
  CHECK(data::escalated(Level::grid) == Level::community);
  CHECK(data::escalated(Level::community) == Level::subdistrict);
  CHECK(data::escalated(Level::subdistrict) == Level::department);
  CHECK_FALSE(data::escalated(Level::department));
}

TEST_CASE("every domain value reads back from its text and nothing else does") {
  for (Status s : data::kAllStatuses) CHECK(data::parse_status(data::to_string(s)) == s);
  for (data::Kind k : data::kAllKinds) CHECK(data::parse_kind(data::to_string(k)) == k);
  for (Level l : data::kAllLevels) CHECK(data::parse_level(data::to_string(l)) == l);
  for (Action a : data::kAllActions) CHECK(data::parse_action(data::to_string(a)) == a);
  CHECK_FALSE(data::parse_status("done"));
  CHECK_FALSE(data::parse_status("Closed"));
  CHECK_FALSE(data::parse_status(""));
  CHECK_FALSE(data::parse_kind("complaint"));
  CHECK_FALSE(data::parse_level("province"));
  CHECK_FALSE(data::parse_action("dispatch "));
  CHECK(data::status_names() == "reported, dispatched, in_progress, pending_review, closed");
  CHECK(data::kind_names() == "appeal, incident");
  CHECK_THROWS_AS(data::stored_status("done"), Error);
  CHECK(data::stored_level("department") == Level::department);
}
