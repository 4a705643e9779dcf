// Notifications: what the event stream (GET /api/v1/events/stream) and the webhooks tell.
// A change of a petition is an event row (petition_events); collect() turns the new ones
// into notifications (a new case, a dispatch or reassignment, an escalation, a reopening,
// any other change of the case)
// and adds the time-driven ones (deadline within the warning, overdue) once per case, kind
// and deadline. Each carries the petition's state, never the reporter's personal data, and
// an id that only grows: the stream's event id and the webhooks' idempotency key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

enum class NoticeKind : unsigned char {
  new_case,       // reported in the area
  dispatched,     // dispatched or reassigned to a worker
  deadline_soon,  // the deadline is within the warning
  overdue,        // the deadline has passed, the case still open
  escalated,      // moved up a level (上报上级)
  reopened,       // back to in_progress after review or after close (返工, 回访)
  moved,          // any other change: another state, a merge, a new deadline, supervision
};
std::string_view to_string(NoticeKind k) noexcept;
std::optional<NoticeKind> parse_notice_kind(std::string_view s) noexcept;

struct Notification {
  int64_t id = 0;
  int64_t at = 0;
  NoticeKind kind = NoticeKind::new_case;
  int64_t petition_id = 0;
  std::string status, category, handler_level;
  std::optional<std::string> grid_code, community_code, subdistrict_code;
  std::optional<int64_t> handler_worker_id;
  std::optional<int64_t> department_id;    // the department a case with one is routed to
  std::optional<std::string> reported_by;  // a user name: for scope only, never sent
  std::optional<int64_t> deadline_at;
};

// The JSON sent to clients: id, kind, at, petition_id, status, category, grid_code,
// community_code, subdistrict_code, handler_level, handler_worker_id, department_id,
// deadline_at (local time text).
std::string notification_json(const Notification& n);

constexpr int64_t kNotificationsKeptS = 7 * 86400;

class Notifications {
 public:
  explicit Notifications(Db& db) : db_(db) {}
  // Starts reading petition events from the newest one (the history before the first
  // start is not announced); a no-op once started.
  void start();
  // Writes the notifications of the events since the last call and, with `deadlines`, the due
  // ones (deadline within `warn_s` seconds of `now`, or passed: a scan of the open cases, so
  // the server runs it on its periodic check rather than after every change) and queues them
  // for the webhooks whose scope they are in. Returns the new ones, oldest first. Run inside
  // the writer.
  std::vector<Notification> collect(int64_t now, int64_t warn_s, int64_t now_ms,
                                    bool deadlines = true);
  // Those with an id above `after`, oldest first, at most `limit`.
  std::vector<Notification> after(int64_t after, size_t limit);
  int64_t newest();  // the highest id kept (0: none)
  // Drops notifications, and the delivery log, older than `before`; returns how many.
  int64_t prune(int64_t before);

 private:
  int64_t add(Notification& n, std::optional<int64_t> event_id, int64_t now_ms);
  Db& db_;
};

}  // namespace gridmap::data
