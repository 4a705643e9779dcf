#include "data/lifecycle.hpp"

namespace gridmap::data {

bool transition_allowed(std::string_view from, std::string_view to) noexcept {
  return (from == "reported" && (to == "dispatched" || to == "closed")) ||
         (from == "dispatched" && to == "in_progress") || (from == "in_progress" && to == "pending_review") ||
         (from == "pending_review" && (to == "closed" || to == "in_progress"));
}

bool role_may(std::string_view role, std::string_view action, std::string_view from, std::string_view to) noexcept {
  if (role == "admin" || role == "dispatcher") return true;
  if (role != "worker") return false;
  if (action == "escalate") return true;
  if (action != "transition") return false;
  return (from == "dispatched" && to == "in_progress") || (from == "in_progress" && to == "pending_review") ||
         (from == "reported" && to == "closed");
}

std::optional<std::string_view> escalated(std::string_view level) noexcept {
  if (level == "grid") return "community";
  if (level == "community") return "subdistrict";
  if (level == "subdistrict") return "department";
  return std::nullopt;
}

bool is_valid_level(std::string_view l) noexcept {
  return l == "grid" || l == "community" || l == "subdistrict" || l == "department";
}

}  // namespace gridmap::data
