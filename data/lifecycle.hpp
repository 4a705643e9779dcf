// The petition lifecycle (GB/T 30428 practice: 上报 → 立案 → 派遣 → 处置 → 核查 → 结案), as
// one table of moves and who may make each:
//
//   reported       → registered (立案), rejected (不予立案, a reason), dispatched (立案并派遣),
//                    closed (resolved on site, a note; if the category allows it), withdrawn
//   registered     → dispatched, suspended, withdrawn
//   dispatched     → in_progress, suspended
//   in_progress    → pending_review (处置完成), suspended
//   pending_review → verified (核查通过), closed (核查并结案), in_progress (核查不通过: rework)
//   verified       → closed
//   suspended      → back to the state it left (恢复); its clock stops meanwhile
//
// A dispatcher (or an admin) makes every move; so does a community's or subdistrict's
// office on the cases of its area escalated to its level. A grid worker starts and submits
// what they handle, resolves on site what they report or handle, and withdraws what they
// reported; a department starts and submits the cases dispatched or escalated to it.
// Nobody verifies or closes from review a case they handled (separation of duties).
// Escalation (grid → community → subdistrict → department, routed by category and
// subdistrict) changes the handler, not the state; reassigning is the centre's or the
// level's office; supervising (督办) and merging a duplicate into its master (合并) are the
// centre's; only an admin undoes a merge.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "data/petition_types.hpp"

namespace gridmap::data {

struct MoveRule {
  Status from, to;
  bool handler;     // a worker who handles the case may make it
  bool reporter;    // a worker who reported the case may make it
  bool needs_note;  // a reason or what was done
};
const std::vector<MoveRule>& move_rules();
// The rule of a move, nullptr when the lifecycle has no such move. Resuming (from
// suspended) is allowed to any state a case can be suspended from; the service checks it
// goes back where it was.
const MoveRule* move_rule(Status from, Status to) noexcept;
bool transition_allowed(Status from, Status to) noexcept;
// Whether a role may make a move at all (for a transition, from `from` to `to`); the
// service then checks a worker's relation to the case (handler, reporter) and that nobody
// reviews their own work.
bool role_may(std::string_view role, Action action, Status from, std::optional<Status> to) noexcept;
// The level above `level`, or nullopt at the top (department).
std::optional<Level> escalated(Level level) noexcept;

}  // namespace gridmap::data
