#include "data/lifecycle.hpp"

namespace gridmap::data {

bool transition_allowed(Status from, Status to) noexcept {
  using enum Status;
  return (from == reported && (to == dispatched || to == closed)) ||
         (from == dispatched && to == in_progress) ||
         (from == in_progress && to == pending_review) ||
         (from == pending_review && (to == closed || to == in_progress));
}

bool role_may(std::string_view role, Action action, Status from,
              std::optional<Status> to) noexcept {
  if (role == "admin" || role == "dispatcher") return true;
  if (role != "worker") return false;
  if (action == Action::escalate) return true;
  if (action != Action::transition || !to) return false;
  using enum Status;
  return (from == dispatched && to == in_progress) ||
         (from == in_progress && to == pending_review) || (from == reported && to == closed);
}

std::optional<Level> escalated(Level level) noexcept {
  switch (level) {
    case Level::grid:
      return Level::community;
    case Level::community:
      return Level::subdistrict;
    case Level::subdistrict:
      return Level::department;
    case Level::department:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace gridmap::data
