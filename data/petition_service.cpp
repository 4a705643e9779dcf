#include "data/petition_service.hpp"

#include <cmath>

#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/lifecycle.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap::data {
namespace {

constexpr double kDuplicateRadiusM = 250;
constexpr int64_t kDuplicateWindowS = 7 * 86400;

std::optional<WorkerId> grid_worker(Db& db, const std::string& grid) {
  Statement st(
      db, "SELECT worker_id FROM worker_grids WHERE grid_code = ?1 ORDER BY worker_id LIMIT 1");
  st.bind(1, grid);
  if (!st.step()) return std::nullopt;
  return WorkerId{st.int64(0)};
}

std::vector<PetitionId> duplicates(Db& db, const NewPetition& n, int64_t now) {
  MetresPerDegree m = metres_per_degree(n.position.lat);
  double dx = kDuplicateRadiusM / m.lon, dy = kDuplicateRadiusM / m.lat;
  Statement st(
      db,
      "SELECT id, X(geom), Y(geom) FROM petitions WHERE category = ?1 AND created_at >= ?2 "
      "AND ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'petitions' "
      "AND search_frame = BuildMbr(?3, ?4, ?5, ?6, 4326)) ORDER BY id");
  st.bind(1, n.category).bind(2, now - kDuplicateWindowS);
  st.bind(3, n.position.lon - dx)
      .bind(4, n.position.lat - dy)
      .bind(5, n.position.lon + dx)
      .bind(6, n.position.lat + dy);
  std::vector<PetitionId> out;
  while (st.step())
    if (geodesic_distance_m(n.position, {st.real(1), st.real(2)}) <= kDuplicateRadiusM)
      out.push_back(PetitionId{st.int64(0)});
  return out;
}

std::string move_text(Status from, Status to) {
  return std::string(to_string(from)) + " to " + std::string(to_string(to));
}

// The role table of lifecycle.hpp; for a worker, their relation to the case (the handler
// starts and submits; the reporter or the handler resolves on site; the reporter withdraws).
void check_actor(const Petition& cur, const Change& c) {
  bool transition = c.action == Action::transition;
  if (transition && !c.to) return;  // invalid_input below
  if (!role_may(c.role, c.action, cur.status, transition ? c.to : std::nullopt))
    throw Error(ErrorKind::forbidden,
                "a " + (c.role.empty() ? std::string("caller") : c.role) + " may not " +
                    (transition ? "move a petition from " + move_text(cur.status, *c.to)
                                : std::string(to_string(c.action)) + " a petition"));
  if (c.role != "worker" || !transition) return;
  const MoveRule* rule = move_rule(cur.status, *c.to);
  if (!rule) return;  // 409 below
  bool handles = c.actor_worker && cur.handler_worker_id == c.actor_worker;
  bool reported = cur.reported_by == c.actor;
  if (!((rule->handler && handles) || (rule->reporter && reported)))
    throw Error(ErrorKind::forbidden,
                "petition " + std::to_string(cur.id->value) +
                    (rule->reporter && !rule->handler ? " was reported by someone else"
                                                      : " is handled by another worker"));
}

// Separation of duties: whoever handled a case (its handler, or whoever submitted it for
// review) does not review it.
void check_reviewer(Db& db, const Petition& cur, const Change& c) {
  if (cur.status != Status::pending_review) return;
  bool handled = c.actor_worker && cur.handler_worker_id == c.actor_worker;
  if (!handled) {
    Statement st(
        db,
        "SELECT actor FROM petition_events WHERE petition_id = ?1 AND to_status = 'pending_review' "
        "ORDER BY at DESC, id DESC LIMIT 1");
    st.bind(1, *cur.id);
    handled = st.step() && st.text(0) == c.actor;
  }
  if (handled)
    throw Error(ErrorKind::forbidden,
                "petition " + std::to_string(cur.id->value) +
                    " was handled by the caller: another dispatcher reviews it");
}

}  // namespace

void PetitionService::published(PetitionId id) {
  if (changes_)
    changes_->publish(db_, {Layer::petitions, std::to_string(id.value), std::nullopt, std::nullopt});
}

CreatedPetition PetitionService::create(const NewPetition& n, const Locator& locator, int64_t now) {
  if (!is_valid_wgs84(n.position))
    throw_invalid("the petition's position is not a valid longitude/latitude");
  if (n.description.size() > 10000) throw_invalid("description is longer than 10,000 bytes");
  Transaction tx(db_);
  PetitionRepo repo(db_);
  CatalogueEntry cat = Catalogue(db_).for_new_petition(n.category);
  CreatedPetition out;
  out.possible_duplicates = duplicates(db_, n, now);
  Petition& p = out.petition;
  p.kind = n.kind;
  p.category = n.category;
  p.description = n.description;
  p.reporter_contact = n.reporter_contact;
  p.status = Status::reported;
  p.reported_by = n.actor;
  p.created_at = n.created_at.value_or(now);
  p.deadline_at = due_at(cat, p.created_at, load_calendar(db_));
  p.position = n.position;
  if (const GridLineage* g = locator.locate(n.position)) {
    p.grid_code = g->grid_code;
    p.community_code = g->community_code;
    p.subdistrict_code = g->subdistrict_code;
    p.handler_worker_id = grid_worker(db_, g->grid_code);
  }
  p.id = repo.upsert(p);
  repo.add_event({*p.id, p.created_at, n.actor, Action::report, std::nullopt, Status::reported,
                  Level::grid, n.description});
  published(*p.id);
  tx.commit();
  p.version = 1;
  return out;
}

Petition PetitionService::change(PetitionId id, const Change& c, int64_t now) {
  Transaction tx(db_);
  PetitionRepo repo(db_);
  auto cur = repo.get(id);
  if (!cur) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id.value));
  if (c.expected_version && *c.expected_version != cur->version)
    throw Error(ErrorKind::precondition_failed, "petition " + std::to_string(id.value) +
                                                    " changed since version " +
                                                    std::to_string(*c.expected_version) + " (now " +
                                                    std::to_string(cur->version) + "); reload it");
  if (!c.expected_version)
    throw Error(ErrorKind::precondition_required,
                "send the petition's version in If-Match (its ETag), so that two people cannot "
                "move it at once");
  check_actor(*cur, c);
  Petition next = *cur;
  PetitionEvent ev{id, now, c.actor, c.action, cur->status, cur->status, std::nullopt, c.note};
  if (c.action == Action::transition) {
    if (!c.to) throw_invalid("'to' is required (the target status: " + status_names() + ")");
    Status to = *c.to;
    const MoveRule* rule = move_rule(cur->status, to);
    if (!rule)
      throw Error(ErrorKind::conflict, "a petition cannot go from " + move_text(cur->status, to));
    if (cur->status == Status::suspended && cur->suspended_from != to)
      throw Error(ErrorKind::conflict,
                  "petition " + std::to_string(id.value) + " resumes to " +
                      std::string(to_string(cur->suspended_from.value_or(Status::registered))) +
                      ", where it was suspended from");
    if (rule->needs_note && c.note.empty())
      throw_invalid(cur->status == Status::reported && to == Status::closed
                        ? "resolving on site (reported -> closed) needs a note saying what was done"
                        : "moving a petition from " + move_text(cur->status, to) +
                              " needs a note giving the reason");
    if (cur->status == Status::reported && to == Status::closed) {
      std::optional<CatalogueEntry> cat = Catalogue(db_).get(cur->category);
      if (cat && !cat->on_site_close)
        throw Error(ErrorKind::conflict,
                    "category '" + cur->category +
                        "' may not be resolved on site: register and dispatch it");
    }
    check_reviewer(db_, *cur, c);
    next.status = to;
    ev.to_status = to;
    if (is_final(to)) next.closed_at = now;
    if (cur->status == Status::pending_review && to == Status::in_progress) next.reopened = 1;
    if (to == Status::suspended) {
      next.suspended_from = cur->status;
      next.suspended_at = now;
    } else if (cur->status == Status::suspended) {
      // The clock stood still: the deadline moves on by the working time the case was suspended.
      WorkCalendar cal = load_calendar(db_);
      if (cur->deadline_at && cur->suspended_at)
        next.deadline_at = cal.add_working_seconds(
            *cur->deadline_at, cal.working_seconds_between(*cur->suspended_at, now));
      next.suspended_from.reset();
      next.suspended_at.reset();
    }
  } else if (c.action == Action::escalate) {
    auto up = escalated(cur->handler_level);
    if (!up)
      throw Error(ErrorKind::conflict,
                  "petition " + std::to_string(id.value) + " is already with a department");
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "a " + std::string(to_string(cur->status)) + " petition cannot be escalated");
    next.handler_level = *up;
    ev.handler_level = next.handler_level;
  } else if (c.action == Action::reassign) {
    if (!c.worker_id) throw_invalid("reassign needs worker_id");
    Statement w(db_, "SELECT 1 FROM workers WHERE id = ?1");
    w.bind(1, *c.worker_id);
    if (!w.step()) throw_invalid("no worker " + std::to_string(c.worker_id->value));
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "a " + std::string(to_string(cur->status)) + " petition cannot be reassigned");
    ev.note =
        "worker " +
        (cur->handler_worker_id ? std::to_string(cur->handler_worker_id->value) : std::string("none")) +
        " -> " + std::to_string(c.worker_id->value) + (c.note.empty() ? "" : ": " + c.note);
    next.handler_worker_id = c.worker_id;
  } else if (c.action == Action::request_extension) {
    if (!clock_runs(cur->status) || cur->status == Status::reported)
      throw Error(ErrorKind::conflict, "a " + std::string(to_string(cur->status)) +
                                           " petition has no running deadline to extend");
    if (cur->extension_until)
      throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) + " already has an extension request pending");
    if (c.role == "worker" && !(c.actor_worker && cur->handler_worker_id == c.actor_worker))
      throw Error(ErrorKind::forbidden, "petition " + std::to_string(id.value) + " is handled by another worker");
    if (!c.until) throw_invalid("request_extension needs 'until', the deadline asked for");
    if (*c.until <= now || (cur->deadline_at && *c.until <= *cur->deadline_at))
      throw_invalid("the deadline asked for must be later than now and than the current deadline");
    if (c.note.empty()) throw_invalid("an extension request needs a reason");
    next.extension_until = c.until;
    next.extension_reason = c.note;
    next.extension_by = c.actor;
    ev.note = "until " + format_time(*c.until) + ": " + c.note;
  } else if (c.action == Action::approve_extension || c.action == Action::refuse_extension) {
    if (!cur->extension_until)
      throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) + " has no extension request pending");
    if (cur->extension_by == c.actor)
      throw Error(ErrorKind::forbidden, "an extension is decided by someone other than who asked for it");
    if (c.action == Action::approve_extension) {
      next.deadline_at = cur->extension_until;
      ++next.extensions;
    } else if (c.note.empty()) {
      throw_invalid("refusing an extension needs a reason");
    }
    next.extension_until.reset();
    next.extension_reason.clear();
    next.extension_by.reset();
  } else if (c.action == Action::supervise) {
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "a " + std::string(to_string(cur->status)) + " petition cannot be supervised");
    if (c.note.empty()) throw_invalid("supervising (督办) needs a note saying what is expected");
    next.supervised = true;
    next.supervise_note = c.note;
  } else {
    throw_invalid("a petition cannot be changed by '" + std::string(to_string(c.action)) +
                  "' (use transition, escalate, reassign, supervise or request_/approve_/refuse_extension)");
  }
  Statement up(
      db_,
      "UPDATE petitions SET status = ?1, handler_level = ?2, handler_worker_id = ?3, closed_at = "
      "?4, "
      "reopened = ?5, version = version + 1, updated_at = ?6, deadline_at = ?9, suspended_from = "
      "?10, "
      "suspended_at = ?11, supervised = ?12, supervise_note = ?13, extension_until = ?14, extension_reason = ?15, "
               "extension_by = ?16, extensions = ?17 WHERE id = ?7 AND version = ?8");
  up.bind(1, to_string(next.status))
      .bind(2, to_string(next.handler_level))
      .bind(3, next.handler_worker_id)
      .bind(4, next.closed_at);
  up.bind(5, next.reopened)
      .bind(6, now)
      .bind(7, id)
      .bind(8, cur->version)
      .bind(9, next.deadline_at);
  if (next.suspended_from)
    up.bind(10, to_string(*next.suspended_from));
  else
    up.bind_null(10);
  up.bind(11, next.suspended_at).bind(12, int64_t{next.supervised}).bind(13, next.supervise_note);
  up.bind(14, next.extension_until).bind(15, next.extension_reason).bind(16, next.extension_by);
  up.bind(17, int64_t{next.extensions});
  up.run();
  if (db_.changes() != 1)
    throw Error(ErrorKind::precondition_failed,
                "petition " + std::to_string(id.value) + " changed meanwhile; reload it");
  repo.add_event(ev);
  published(id);
  tx.commit();
  next.version = cur->version + 1;
  return next;
}

std::string_view to_string(Satisfaction s) noexcept {
  switch (s) {
    case Satisfaction::satisfied: return "satisfied";
    case Satisfaction::basically_satisfied: return "basically_satisfied";
    case Satisfaction::unsatisfied: return "unsatisfied";
  }
  return "";
}

std::optional<Satisfaction> parse_satisfaction(std::string_view s) noexcept {
  for (Satisfaction v : {Satisfaction::satisfied, Satisfaction::basically_satisfied, Satisfaction::unsatisfied})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

Petition PetitionService::follow_up(PetitionId id, const FollowUp& f, int64_t now) {
  if (f.role != "admin" && f.role != "dispatcher")
    throw Error(ErrorKind::forbidden, "a " + (f.role.empty() ? std::string("caller") : f.role) +
                                          " may not record a follow-up (回访 is the centre's)");
  if (f.reached && !f.satisfaction)
    throw_invalid("say how satisfied the reporter is: satisfied, basically_satisfied or unsatisfied");
  if (!f.reached && f.satisfaction) throw_invalid("a reporter who was not reached gives no satisfaction");
  if (f.reopen && f.satisfaction != Satisfaction::unsatisfied)
    throw_invalid("only an unsatisfied reporter's case is reopened");
  if (f.note.size() > 10000) throw_invalid("note is longer than 10,000 bytes");
  if (!f.expected_version)
    throw Error(ErrorKind::precondition_required, "send the petition's version in If-Match (its ETag)");
  Transaction tx(db_);
  PetitionRepo repo(db_);
  auto cur = repo.get(id);
  if (!cur) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id.value));
  if (*f.expected_version != cur->version)
    throw Error(ErrorKind::precondition_failed, "petition " + std::to_string(id.value) + " changed since version " +
                                                    std::to_string(*f.expected_version) + "; reload it");
  if (cur->status != Status::closed)
    throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) + " is " + std::string(to_string(cur->status)) +
                                         ": only a closed case is followed up");
  Statement ins(db_,
                "INSERT INTO petition_followups(petition_id, at, actor, reached, satisfaction, note, reopened) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  ins.bind(1, id).bind(2, now).bind(3, f.actor).bind(4, int64_t{f.reached});
  if (f.satisfaction)
    ins.bind(5, to_string(*f.satisfaction));
  else
    ins.bind_null(5);
  ins.bind(6, f.note).bind(7, int64_t{f.reopen}).run();
  Petition next = *cur;
  if (f.reopen) {
    next.status = Status::in_progress;
    next.closed_at.reset();
    next.reopened = 1;
    Statement up(db_,
                 "UPDATE petitions SET status = 'in_progress', closed_at = NULL, reopened = 1, version = version + 1, "
                 "updated_at = ?1 WHERE id = ?2 AND version = ?3");
    up.bind(1, now).bind(2, id).bind(3, cur->version).run();
    repo.add_event({id, now, f.actor, Action::transition, Status::closed, Status::in_progress, std::nullopt,
                    "回访不满意，重新办理" + (f.note.empty() ? std::string() : ": " + f.note)});
  } else {
    Statement up(db_, "UPDATE petitions SET version = version + 1, updated_at = ?1 WHERE id = ?2 AND version = ?3");
    up.bind(1, now).bind(2, id).bind(3, cur->version).run();
  }
  if (db_.changes() != 1)
    throw Error(ErrorKind::precondition_failed, "petition " + std::to_string(id.value) + " changed meanwhile; reload it");
  published(id);
  tx.commit();
  next.version = cur->version + 1;
  return next;
}

std::vector<FollowUpRecord> PetitionService::follow_ups(PetitionId id) {
  Statement st(db_,
               "SELECT at, actor, reached, satisfaction, note, reopened FROM petition_followups WHERE petition_id = ?1 "
               "ORDER BY at, id");
  st.bind(1, id);
  std::vector<FollowUpRecord> out;
  while (st.step()) {
    FollowUpRecord r{st.int64(0), st.text(1), st.int64(2) != 0, std::nullopt, st.text(4), st.int64(5) != 0};
    if (!st.is_null(3)) r.satisfaction = parse_satisfaction(st.text(3));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gridmap::data
