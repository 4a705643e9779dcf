// The petition lifecycle and who may move a case, as plain functions.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/lifecycle.hpp"

using namespace gridmap;

TEST_CASE("the lifecycle allows exactly its moves") {
  const std::vector<std::string> statuses = {"reported", "dispatched", "in_progress", "pending_review", "closed"};
  int allowed = 0;
  for (auto& from : statuses)
    for (auto& to : statuses) allowed += data::transition_allowed(from, to);
  CHECK(allowed == 6);
  CHECK(data::transition_allowed("reported", "dispatched"));
  CHECK(data::transition_allowed("reported", "closed"));  // resolved on site
  CHECK(data::transition_allowed("pending_review", "in_progress"));  // review failed
  CHECK_FALSE(data::transition_allowed("closed", "in_progress"));
  CHECK_FALSE(data::transition_allowed("dispatched", "closed"));
}

TEST_CASE("a worker reports, starts, submits, resolves on site and escalates, the rest is a dispatcher's") {
  CHECK(data::role_may("worker", "transition", "dispatched", "in_progress"));
  CHECK(data::role_may("worker", "transition", "in_progress", "pending_review"));
  CHECK(data::role_may("worker", "transition", "reported", "closed"));
  CHECK(data::role_may("worker", "escalate", "in_progress", ""));
  CHECK_FALSE(data::role_may("worker", "transition", "reported", "dispatched"));
  CHECK_FALSE(data::role_may("worker", "transition", "pending_review", "closed"));
  CHECK_FALSE(data::role_may("worker", "transition", "pending_review", "in_progress"));
  CHECK_FALSE(data::role_may("worker", "reassign", "dispatched", ""));
  for (const char* role : {"dispatcher", "admin"}) {
    CHECK(data::role_may(role, "transition", "reported", "dispatched"));
    CHECK(data::role_may(role, "transition", "pending_review", "closed"));
    CHECK(data::role_may(role, "reassign", "dispatched", ""));
  }
  CHECK_FALSE(data::role_may("planner", "transition", "reported", "dispatched"));
  CHECK_FALSE(data::role_may("", "escalate", "reported", ""));
}

TEST_CASE("escalation climbs grid, community, subdistrict, department and stops") {
  CHECK(*data::escalated("grid") == "community");
  CHECK(*data::escalated("community") == "subdistrict");
  CHECK(*data::escalated("subdistrict") == "department");
  CHECK_FALSE(data::escalated("department"));
  CHECK(data::is_valid_level("department"));
  CHECK_FALSE(data::is_valid_level("province"));
}
