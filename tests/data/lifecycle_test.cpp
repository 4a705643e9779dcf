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
  CHECK(allowed == 19);
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
  CHECK(data::status_names() ==
        "reported, dispatched, in_progress, pending_review, closed, registered, rejected, "
        "verified, suspended, "
        "withdrawn");
  CHECK(data::kind_names() == "appeal, incident");
  CHECK_THROWS_AS(data::stored_status("done"), Error);
  CHECK(data::stored_level("department") == Level::department);
}

// Every move of the lifecycle by who may make it, written out apart from lifecycle.cpp's
// table: O office (dispatcher, admin), H the worker who handles it, R the worker who reported
// it; "" a move the lifecycle does not have. Then every (from, to, role) is checked.
TEST_CASE("every move for every role answers as the written-out table says") {
  using enum Status;
  struct Row {
    Status from, to;
    const char* who;
  };
  const Row table[] = {{reported, registered, "O"},         {reported, rejected, "O"},
                       {reported, dispatched, "O"},         {reported, closed, "OHR"},
                       {reported, withdrawn, "OR"},         {registered, dispatched, "O"},
                       {registered, suspended, "O"},        {registered, withdrawn, "OR"},
                       {dispatched, in_progress, "OH"},     {dispatched, suspended, "O"},
                       {in_progress, pending_review, "OH"}, {in_progress, suspended, "O"},
                       {pending_review, verified, "O"},     {pending_review, closed, "O"},
                       {pending_review, in_progress, "O"},  {verified, closed, "O"},
                       {suspended, registered, "O"},        {suspended, dispatched, "O"},
                       {suspended, in_progress, "O"}};
  int checked = 0;
  for (Status from : data::kAllStatuses)
    for (Status to : data::kAllStatuses) {
      std::string who;
      for (const Row& r : table)
        if (r.from == from && r.to == to) who = r.who;
      INFO(data::to_string(from) << " -> " << data::to_string(to));
      const data::MoveRule* rule = data::move_rule(from, to);
      CHECK((rule != nullptr) == !who.empty());
      if (!rule) continue;
      CHECK(rule->handler == (who.find('H') != std::string::npos));
      CHECK(rule->reporter == (who.find('R') != std::string::npos));
      // The centre and a level's office make every move (the service then holds the office
      // to its area's queue); a department only starts and submits.
      for (const char* role : {"admin", "dispatcher", "community", "subdistrict"})
        CHECK(data::role_may(role, Action::transition, from, to));
      CHECK(data::role_may("worker", Action::transition, from, to) == (who.size() > 1));
      bool department_move = (from == dispatched && to == in_progress) ||
                             (from == in_progress && to == pending_review);
      CHECK(data::role_may("department", Action::transition, from, to) == department_move);
      CHECK_FALSE(data::role_may("planner", Action::transition, from, to));
      ++checked;
    }
  CHECK(checked == 19);
  // Reasons: rejecting, withdrawing, suspending and resolving on site need a note.
  for (auto [from, to] : {std::pair{reported, rejected},
                          {reported, withdrawn},
                          {reported, closed},
                          {registered, suspended},
                          {in_progress, suspended}})
    CHECK(data::move_rule(from, to)->needs_note);
  CHECK_FALSE(data::move_rule(reported, registered)->needs_note);
  CHECK(data::role_may("dispatcher", Action::supervise, in_progress, std::nullopt));
  CHECK_FALSE(data::role_may("worker", Action::supervise, in_progress, std::nullopt));
  // Every other action for every role, written out: O = office (admin, dispatcher),
  // L = a level's office (community, subdistrict), W = worker, D = department, A = admin only.
  const std::pair<Action, const char*> actions[] = {{Action::escalate, "OLW"},
                                                    {Action::reassign, "OL"},
                                                    {Action::supervise, "O"},
                                                    {Action::request_extension, "OWD"},
                                                    {Action::approve_extension, "OL"},
                                                    {Action::refuse_extension, "OL"},
                                                    {Action::merge, "O"},
                                                    {Action::unmerge, "A"},
                                                    {Action::report, "OLW"},
                                                    {Action::progress, "OLWD"}};
  for (auto [action, who] : actions) {
    std::string w = who;
    auto has = [&](char c) { return w.find(c) != std::string::npos; };
    INFO(data::to_string(action));
    CHECK(data::role_may("admin", action, in_progress, std::nullopt));
    CHECK(data::role_may("dispatcher", action, in_progress, std::nullopt) == has('O'));
    CHECK(data::role_may("community", action, in_progress, std::nullopt) == has('L'));
    CHECK(data::role_may("subdistrict", action, in_progress, std::nullopt) == has('L'));
    CHECK(data::role_may("worker", action, in_progress, std::nullopt) == has('W'));
    CHECK(data::role_may("department", action, in_progress, std::nullopt) == has('D'));
    CHECK_FALSE(data::role_may("planner", action, in_progress, std::nullopt));
  }
  CHECK(data::is_final(withdrawn));
  CHECK_FALSE(data::clock_runs(suspended));
  CHECK(data::clock_runs(registered));
}
