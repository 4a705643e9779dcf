#include "data/notifications.hpp"

#include "core/json_text.hpp"
#include "data/petition_types.hpp"
#include "data/time.hpp"

namespace gridmap::data {

namespace {

constexpr NoticeKind kKinds[] = {
    NoticeKind::new_case,  NoticeKind::dispatched, NoticeKind::deadline_soon, NoticeKind::overdue,
    NoticeKind::escalated, NoticeKind::reopened,   NoticeKind::moved};

// Events read per transaction: a backlog (a restart after a bulk import) is taken in steps.
constexpr int kEventBatch = 5000;

// The petition's columns every notification copies, after the event's: p.* from column `c`.
// The department is the one the case was dispatched or escalated to (schema 10); a case at
// department level without one goes by the category's route, in its subdistrict or
// everywhere ('').
constexpr const char* kPetitionColumns =
    "p.id, p.category, p.grid_code, p.community_code, p.subdistrict_code, p.handler_level, "
    "p.handler_worker_id, p.reported_by, p.deadline_at, "
    "COALESCE(p.department_id, CASE WHEN p.handler_level = 'department' THEN (SELECT "
    "r.department_id FROM department_routes r WHERE r.category = p.category AND "
    "r.subdistrict_code IN (COALESCE(p.subdistrict_code, ''), '') ORDER BY r.subdistrict_code "
    "DESC LIMIT 1) END)";

void read_petition(const Statement& st, int c, Notification& n) {
  n.petition_id = st.int64(c);
  n.category = st.text(c + 1);
  n.grid_code = st.opt_text(c + 2);
  n.community_code = st.opt_text(c + 3);
  n.subdistrict_code = st.opt_text(c + 4);
  n.handler_level = st.text(c + 5);
  n.handler_worker_id = st.opt_int64(c + 6);
  n.reported_by = st.opt_text(c + 7);
  n.deadline_at = st.opt_int64(c + 8);
  n.department_id = st.opt_int64(c + 9);
}

// What a petition event announces, if anything.
std::optional<NoticeKind> kind_of(Action action, std::optional<Status> from, Status to) {
  if (action == Action::report) return NoticeKind::new_case;
  if (action == Action::reassign) return NoticeKind::dispatched;
  if (action == Action::escalate) return NoticeKind::escalated;
  if (action == Action::transition) {
    if (to == Status::dispatched) return NoticeKind::dispatched;
    if (to == Status::in_progress &&
        (from == Status::pending_review || from == Status::verified || from == Status::closed))
      return NoticeKind::reopened;
  }
  // Any other change (a move, a merge, a deadline extended, supervision): the case's state as
  // it is now, so that queues and maps follow without reading the list again.
  return NoticeKind::moved;
}

template <class T>
void append_opt(std::string& out, const std::optional<T>& v) {
  if (!v) {
    out += "null";
  } else if constexpr (std::is_same_v<T, std::string>) {
    append_json_string(out, *v);
  } else {
    out += std::to_string(*v);
  }
}

}  // namespace

std::string_view to_string(NoticeKind k) noexcept {
  switch (k) {
    case NoticeKind::new_case:
      return "new_case";
    case NoticeKind::dispatched:
      return "dispatched";
    case NoticeKind::deadline_soon:
      return "deadline_soon";
    case NoticeKind::overdue:
      return "overdue";
    case NoticeKind::escalated:
      return "escalated";
    case NoticeKind::reopened:
      return "reopened";
    case NoticeKind::moved:
      return "moved";
  }
  return "";
}

std::optional<NoticeKind> parse_notice_kind(std::string_view s) noexcept {
  for (NoticeKind k : kKinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string notification_json(const Notification& n) {
  std::string out = "{\"id\":" + std::to_string(n.id) + ",\"kind\":";
  append_json_string(out, to_string(n.kind));
  out += ",\"at\":";
  append_json_string(out, format_time(n.at));
  out += ",\"petition_id\":" + std::to_string(n.petition_id) + ",\"status\":";
  append_json_string(out, n.status);
  out += ",\"category\":";
  append_json_string(out, n.category);
  out += ",\"grid_code\":";
  append_opt(out, n.grid_code);
  out += ",\"community_code\":";
  append_opt(out, n.community_code);
  out += ",\"subdistrict_code\":";
  append_opt(out, n.subdistrict_code);
  out += ",\"handler_level\":";
  append_json_string(out, n.handler_level);
  out += ",\"handler_worker_id\":";
  append_opt(out, n.handler_worker_id);
  out += ",\"department_id\":";
  append_opt(out, n.department_id);
  out += ",\"deadline_at\":";
  append_opt(
      out, n.deadline_at ? std::optional<std::string>(format_time(*n.deadline_at)) : std::nullopt);
  out += "}";
  return out;
}

void Notifications::start() {
  db_.exec(
      "INSERT OR IGNORE INTO notification_cursor(id, event_id) "
      "SELECT 1, COALESCE(MAX(id), 0) FROM petition_events");
}

int64_t Notifications::add(Notification& n, std::optional<int64_t> event_id, int64_t now_ms) {
  Statement ins(db_,
                "INSERT OR IGNORE INTO notifications(at, kind, petition_id, event_id, status, "
                "category, grid_code, community_code, subdistrict_code, handler_level, "
                "handler_worker_id, department_id, reported_by, deadline_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  ins.bind(1, n.at).bind(2, to_string(n.kind)).bind(3, n.petition_id).bind(4, event_id);
  ins.bind(5, n.status).bind(6, n.category).bind(7, n.grid_code).bind(8, n.community_code);
  ins.bind(9, n.subdistrict_code).bind(10, n.handler_level).bind(11, n.handler_worker_id);
  ins.bind(12, n.department_id).bind(13, n.reported_by).bind(14, n.deadline_at);
  ins.run();
  if (db_.changes() != 1) return 0;  // a due notice already given
  n.id = db_.last_insert_rowid();
  // Queued for every webhook whose scope holds it, to be sent at once.
  Statement q(db_,
              "INSERT INTO webhook_deliveries(webhook_id, notification_id, created_at, "
              "next_attempt_ms) SELECT id, ?1, ?2, ?3 FROM webhooks "
              "WHERE subdistrict_code = ?4 OR department_id = ?5");
  q.bind(1, n.id)
      .bind(2, n.at)
      .bind(3, now_ms)
      .bind(4, n.subdistrict_code)
      .bind(5, n.department_id);
  q.run();
  return n.id;
}

std::vector<Notification> Notifications::collect(int64_t now, int64_t warn_s, int64_t now_ms,
                                                 bool deadlines) {
  Transaction tx(db_);
  start();
  std::vector<Notification> out;
  Statement cur(db_, "SELECT event_id FROM notification_cursor WHERE id = 1");
  cur.step();
  int64_t last = cur.int64(0);
  Statement ev(db_, std::string("SELECT e.id, e.at, e.action, COALESCE(e.from_status, ''), "
                                "e.to_status, ") +
                        kPetitionColumns +
                        " FROM petition_events e JOIN petitions p ON p.id = e.petition_id "
                        "WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
  ev.bind(1, last).bind(2, int64_t{kEventBatch});
  while (ev.step()) {
    last = ev.int64(0);
    std::optional<Status> from;
    if (!ev.text(3).empty()) from = stored_status(ev.text(3));
    auto kind = kind_of(stored_action(ev.text(2)), from, stored_status(ev.text(4)));
    if (!kind) continue;
    Notification n;
    n.at = ev.int64(1);
    n.kind = *kind;
    n.status = ev.text(4);
    read_petition(ev, 5, n);
    if (add(n, last, now_ms)) out.push_back(std::move(n));
  }
  Statement set(db_, "UPDATE notification_cursor SET event_id = ?1 WHERE id = 1");
  set.bind(1, last).run();
  if (!deadlines) {
    tx.commit();
    return out;
  }
  // Time-driven: open cases whose deadline is near or past, once per kind and deadline.
  Statement due(db_, std::string("SELECT p.status, ") + kPetitionColumns +
                         " FROM petitions p WHERE p.closed_at IS NULL AND p.deadline_at IS NOT "
                         "NULL AND p.deadline_at <= ?1 ORDER BY p.deadline_at, p.id");
  due.bind(1, now + warn_s);
  while (due.step()) {
    auto status = parse_status(due.text(0));
    if (!status || !clock_runs(*status)) continue;  // a suspended case's clock stands still
    Notification n;
    n.at = now;
    n.status = due.text(0);
    read_petition(due, 1, n);
    n.kind = *n.deadline_at <= now ? NoticeKind::overdue : NoticeKind::deadline_soon;
    if (add(n, std::nullopt, now_ms)) out.push_back(std::move(n));
  }
  tx.commit();
  return out;
}

std::vector<Notification> Notifications::after(int64_t after, size_t limit) {
  Statement st(db_,
               "SELECT id, at, kind, status, petition_id, category, grid_code, community_code, "
               "subdistrict_code, handler_level, handler_worker_id, reported_by, deadline_at, "
               "department_id FROM notifications WHERE id > ?1 ORDER BY id LIMIT ?2");
  st.bind(1, after).bind(2, static_cast<int64_t>(limit));
  std::vector<Notification> out;
  while (st.step()) {
    Notification n;
    n.id = st.int64(0);
    n.at = st.int64(1);
    n.kind = parse_notice_kind(st.text(2)).value_or(NoticeKind::new_case);
    n.status = st.text(3);
    read_petition(st, 4, n);
    out.push_back(std::move(n));
  }
  return out;
}

int64_t Notifications::newest() {
  Statement st(db_, "SELECT COALESCE(MAX(id), 0) FROM notifications");
  st.step();
  return st.int64(0);
}

int64_t Notifications::prune(int64_t before) {
  Transaction tx(db_);
  Statement d(db_,
              "DELETE FROM webhook_deliveries WHERE notification_id IN "
              "(SELECT id FROM notifications WHERE at < ?1)");
  d.bind(1, before).run();
  Statement n(db_, "DELETE FROM notifications WHERE at < ?1");
  n.bind(1, before).run();
  int64_t gone = db_.changes();
  tx.commit();
  return gone;
}

}  // namespace gridmap::data
