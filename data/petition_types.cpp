#include "data/petition_types.hpp"

#include "geo/error.hpp"

namespace gridmap::data {
namespace {

template <class E, size_t N>
std::optional<E> parse(const std::array<E, N>& all, std::string_view s) noexcept {
  for (E e : all)
    if (to_string(e) == s) return e;
  return std::nullopt;
}

template <class E, size_t N>
std::string names(const std::array<E, N>& all) {
  std::string out;
  for (E e : all) {
    if (!out.empty()) out += ", ";
    out += to_string(e);
  }
  return out;
}

template <class E, size_t N>
E stored(const std::array<E, N>& all, std::string_view s, const char* what) {
  if (auto e = parse(all, s)) return *e;
  throw_internal(std::string("the database holds an unknown ") + what + " '" + std::string(s) +
                 "'");
}

}  // namespace

std::string_view to_string(Status s) noexcept {
  switch (s) {
    case Status::reported:
      return "reported";
    case Status::dispatched:
      return "dispatched";
    case Status::in_progress:
      return "in_progress";
    case Status::pending_review:
      return "pending_review";
    case Status::closed:
      return "closed";
    case Status::registered:
      return "registered";
    case Status::rejected:
      return "rejected";
    case Status::verified:
      return "verified";
    case Status::suspended:
      return "suspended";
    case Status::withdrawn:
      return "withdrawn";
  }
  return "";
}

std::string_view to_string(Kind k) noexcept {
  switch (k) {
    case Kind::appeal:
      return "appeal";
    case Kind::incident:
      return "incident";
  }
  return "";
}

std::string_view to_string(Level l) noexcept {
  switch (l) {
    case Level::grid:
      return "grid";
    case Level::community:
      return "community";
    case Level::subdistrict:
      return "subdistrict";
    case Level::department:
      return "department";
  }
  return "";
}

std::string_view to_string(Action a) noexcept {
  switch (a) {
    case Action::report:
      return "report";
    case Action::transition:
      return "transition";
    case Action::escalate:
      return "escalate";
    case Action::reassign:
      return "reassign";
    case Action::supervise:
      return "supervise";
    case Action::request_extension:
      return "request_extension";
    case Action::approve_extension:
      return "approve_extension";
    case Action::refuse_extension:
      return "refuse_extension";
    case Action::merge:
      return "merge";
    case Action::unmerge:
      return "unmerge";
    case Action::progress:
      return "progress";
  }
  return "";
}

bool is_final(Status s) noexcept {
  return s == Status::closed || s == Status::rejected || s == Status::withdrawn;
}
bool clock_runs(Status s) noexcept {
  return !is_final(s) && s != Status::suspended;
}

std::optional<Status> parse_status(std::string_view s) noexcept {
  return parse(kAllStatuses, s);
}
std::optional<Kind> parse_kind(std::string_view s) noexcept {
  return parse(kAllKinds, s);
}
std::optional<Level> parse_level(std::string_view s) noexcept {
  return parse(kAllLevels, s);
}
std::optional<Action> parse_action(std::string_view s) noexcept {
  return parse(kAllActions, s);
}
std::string status_names() {
  return names(kAllStatuses);
}
std::string kind_names() {
  return names(kAllKinds);
}

Status stored_status(std::string_view s) {
  return stored(kAllStatuses, s, "status");
}
Kind stored_kind(std::string_view s) {
  return stored(kAllKinds, s, "kind");
}
Level stored_level(std::string_view s) {
  return stored(kAllLevels, s, "handler level");
}
Action stored_action(std::string_view s) {
  return stored(kAllActions, s, "action");
}

}  // namespace gridmap::data
