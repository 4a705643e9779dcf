// The one table of who may call what: route x role -> denied, everything, or own patch only.
// The application consults it for every request; a route without an entry is refused at
// start-up, and the tests are generated from this table.
#pragma once

#include <string_view>
#include <vector>

namespace gridmap::server {

enum class Scope { denied, all, own };

struct AccessRule {
  std::string_view route;  // route name in the routing table
  bool is_public;          // answers without credentials
  Scope admin, dispatcher, worker, planner;
  Scope community, subdistrict, department;  // the offices of an area or a department
};

const std::vector<AccessRule>& access_rules();
const AccessRule* rule_for(std::string_view route) noexcept;
Scope scope_of(const AccessRule& rule, std::string_view role) noexcept;

}  // namespace gridmap::server
