// The petition lifecycle: reported -> dispatched -> in_progress -> pending_review -> closed,
// reported -> closed (resolved on site), pending_review -> in_progress (review failed).
// Escalation (grid -> community -> subdistrict -> department) changes the handler, not the
// status.
#pragma once

#include <optional>
#include <string_view>

#include "data/petition_types.hpp"

namespace gridmap::data {

bool transition_allowed(Status from, Status to) noexcept;
// Whether a role may make a move (for a transition, from `from` to `to`). A worker reports,
// starts (dispatched -> in_progress), submits for review, resolves on site (reported ->
// closed) and escalates; dispatching, reassigning and reviewing (pending_review -> closed |
// in_progress) are a dispatcher's or an admin's.
bool role_may(std::string_view role, Action action, Status from, std::optional<Status> to) noexcept;
// The level above `level`, or nullopt at the top (department).
std::optional<Level> escalated(Level level) noexcept;

}  // namespace gridmap::data
