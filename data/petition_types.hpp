// The petition's domain values: status, kind, the handler's level and the actions of its
// history. Enums inside gridmap; text only at the edges (the database, JSON, tiles, the
// command line), through the functions here.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace gridmap::data {

// The first five are schema 4's; the others came with the full lifecycle (schema 6) and are
// numbered after them so that stored indexes (heat maps) keep their meaning.
enum class Status : unsigned char {
  reported,        // 上报
  dispatched,      // 派遣 (to a grid worker, or a level above through escalation)
  in_progress,     // 处置中
  pending_review,  // 处置完成, waiting for 核查
  closed,          // 结案
  registered,      // 立案
  rejected,        // 不予立案 (with a reason)
  verified,        // 核查通过
  suspended,       // 挂起: the clock stops
  withdrawn,       // 撤回 by its reporter
};
enum class Kind : unsigned char { appeal, incident };
// Who handles a case: the grid's worker, or a level above it.
enum class Level : unsigned char { grid, community, subdistrict, department };
// What an event of a petition's history records.
enum class Action : unsigned char {
  report,
  transition,
  escalate,
  reassign,
  supervise,
  request_extension,  // 延期申请: a new deadline asked for, with a reason
  approve_extension,  // the deadline moves to what was asked
  refuse_extension,
  merge,     // a duplicate closes into its master case (合并)
  unmerge,   // an admin undoes a merge
  progress,  // 处置进展: what the handler did so far, in the case's history; no state change
};

// Every value, in order (a status's index is its place in the lifecycle).
inline constexpr std::array<Status, 10> kAllStatuses = {
    Status::reported,  Status::dispatched, Status::in_progress, Status::pending_review,
    Status::closed,    Status::registered, Status::rejected,    Status::verified,
    Status::suspended, Status::withdrawn};
inline constexpr std::array<Kind, 2> kAllKinds = {Kind::appeal, Kind::incident};
inline constexpr std::array<Level, 4> kAllLevels = {Level::grid, Level::community,
                                                    Level::subdistrict, Level::department};
inline constexpr std::array<Action, 11> kAllActions = {Action::report,
                                                       Action::transition,
                                                       Action::escalate,
                                                       Action::reassign,
                                                       Action::supervise,
                                                       Action::request_extension,
                                                       Action::approve_extension,
                                                       Action::refuse_extension,
                                                       Action::merge,
                                                       Action::unmerge,
                                                       Action::progress};

// Done with: closed, rejected or withdrawn (no more moves).
bool is_final(Status s) noexcept;
// Its deadline runs: not final and not suspended (overdue is counted only then).
bool clock_runs(Status s) noexcept;

std::string_view to_string(Status s) noexcept;
std::string_view to_string(Kind k) noexcept;
std::string_view to_string(Level l) noexcept;
std::string_view to_string(Action a) noexcept;
std::optional<Status> parse_status(std::string_view s) noexcept;
std::optional<Kind> parse_kind(std::string_view s) noexcept;
std::optional<Level> parse_level(std::string_view s) noexcept;
std::optional<Action> parse_action(std::string_view s) noexcept;
// The names of every value, ", "-separated ("reported, dispatched, ..."), for messages.
std::string status_names();
std::string kind_names();

// Text read back from the database, which its CHECK constraints keep valid: throws internal
// for anything else.
Status stored_status(std::string_view s);
Kind stored_kind(std::string_view s);
Level stored_level(std::string_view s);
Action stored_action(std::string_view s);

}  // namespace gridmap::data
