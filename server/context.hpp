// What the application knows of a request beyond its bytes: who asks, once authenticated, and
// how far their role reaches on the route. App::handle makes one per request and hands it to
// the route's handler beside the transport's Request, which never carries it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/access.hpp"

namespace gridmap::server {

// An authenticated user.
struct Principal {
  int64_t user_id = 0;
  std::string name;
  std::string role;
  std::vector<std::string> grids;  // a worker's patch; every grid of a community's or subdistrict's area
  std::optional<int64_t> worker_id;
  std::optional<std::string> area_code;  // a community or subdistrict user's area
  std::optional<int64_t> department_id;  // a department user's department: its cases are in reach
};

struct Context {
  std::optional<Principal> principal;  // empty on a public route
  Scope scope = Scope::all;            // of the principal's role on this route
  // Held to the worker's own grids and records.
  bool own_only() const noexcept { return scope == Scope::own; }
};

// The caller; throws unauthorized when no one signed in (a public route).
const Principal& principal(const Context& ctx);
// Whether a grid is within the caller's reach on this route (always, unless own-patch only).
bool in_patch(const Context& ctx, const std::optional<std::string>& grid);
void require_self(const Context& ctx, int64_t worker_id);  // own-only callers act as themselves

}  // namespace gridmap::server
