#include "data/lifecycle.hpp"

namespace gridmap::data {

const std::vector<MoveRule>& move_rules() {
  using enum Status;
  //                                           handler reporter note
  static const std::vector<MoveRule> rules = {
      {reported, registered, false, false, false},
      {reported, rejected, false, false, true},
      {reported, dispatched, false, false, false},
      {reported, closed, true, true, true},
      {reported, withdrawn, false, true, true},
      {registered, dispatched, false, false, false},
      {registered, suspended, false, false, true},
      {registered, withdrawn, false, true, true},
      {dispatched, in_progress, true, false, false},
      {dispatched, suspended, false, false, true},
      {in_progress, pending_review, true, false, false},
      {in_progress, suspended, false, false, true},
      {pending_review, verified, false, false, false},
      {pending_review, closed, false, false, false},
      {pending_review, in_progress, false, false, false},
      {verified, closed, false, false, false},
      {suspended, registered, false, false, false},
      {suspended, dispatched, false, false, false},
      {suspended, in_progress, false, false, false},
  };
  return rules;
}

const MoveRule* move_rule(Status from, Status to) noexcept {
  for (const MoveRule& r : move_rules())
    if (r.from == from && r.to == to) return &r;
  return nullptr;
}

bool transition_allowed(Status from, Status to) noexcept {
  return move_rule(from, to) != nullptr;
}

bool role_may(std::string_view role, Action action, Status from,
              std::optional<Status> to) noexcept {
  bool office = role == "admin" || role == "dispatcher";
  // A community's or subdistrict's office acts like the centre on its own queue; a
  // department and a grid worker handle what is theirs (the service checks whose it is).
  bool area_office = role == "community" || role == "subdistrict";
  bool handler = role == "worker" || role == "department";
  switch (action) {
    case Action::transition: {
      const MoveRule* r = to ? move_rule(from, *to) : nullptr;
      if (!r) return office || area_office;  // the lifecycle refuses it (409), not the role
      if (role == "department")  // starts and submits; the centre registers, closes and reviews
        return (from == Status::dispatched && *to == Status::in_progress) ||
               (from == Status::in_progress && *to == Status::pending_review);
      return office || area_office || (role == "worker" && (r->handler || r->reporter));
    }
    case Action::escalate:
      return office || area_office || role == "worker";
    case Action::reassign:
    case Action::approve_extension:
    case Action::refuse_extension:
      return office || area_office;
    case Action::supervise:
    case Action::merge:
      return office;
    case Action::unmerge:
      return role == "admin";
    case Action::request_extension:
      return office || handler;
    case Action::progress:
      return office || area_office || handler;
    case Action::report:
      return office || area_office || role == "worker";
  }
  return false;
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
