// The petition lifecycle: reported -> dispatched -> in_progress -> pending_review -> closed,
// reported -> closed (resolved on site), pending_review -> in_progress (review failed).
// Escalation (grid -> community -> subdistrict -> department) changes the handler, not the
// status.
#pragma once

#include <optional>
#include <string_view>

namespace gridmap::data {

bool transition_allowed(std::string_view from, std::string_view to) noexcept;
// Whether a role may make a move (action transition|escalate|reassign; from/to statuses for
// a transition). A worker reports, starts (dispatched -> in_progress), submits for review,
// resolves on site (reported -> closed) and escalates; dispatching, reassigning and
// reviewing (pending_review -> closed | in_progress) are a dispatcher's or an admin's.
bool role_may(std::string_view role, std::string_view action, std::string_view from, std::string_view to) noexcept;
// The level above `level`, or nullopt at the top (department).
std::optional<std::string_view> escalated(std::string_view level) noexcept;
bool is_valid_level(std::string_view level) noexcept;

}  // namespace gridmap::data
