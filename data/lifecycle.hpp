// The petition lifecycle: reported -> dispatched -> in_progress -> pending_review -> closed,
// reported -> closed (resolved on site), pending_review -> in_progress (review failed).
// Escalation (grid -> community -> subdistrict -> department) changes the handler, not the
// status.
#pragma once

#include <optional>
#include <string_view>

namespace gridmap::data {

bool transition_allowed(std::string_view from, std::string_view to) noexcept;
// The level above `level`, or nullopt at the top (department).
std::optional<std::string_view> escalated(std::string_view level) noexcept;
bool is_valid_level(std::string_view level) noexcept;

}  // namespace gridmap::data
