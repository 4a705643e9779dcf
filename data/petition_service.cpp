#include "data/petition_service.hpp"

#include <cmath>

#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/departments.hpp"
#include "data/lifecycle.hpp"
#include "data/sql_dialect.hpp"
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

std::vector<std::pair<PetitionId, double>> duplicates(Db& db, const NewPetition& n, int64_t now) {
  MetresPerDegree m = metres_per_degree(n.position.lat);
  double dx = kDuplicateRadiusM / m.lon, dy = kDuplicateRadiusM / m.lat;
  Statement st(db,
               "SELECT id, X(geom), Y(geom) FROM petitions p WHERE category = ?1 AND created_at "
               ">= ?2 AND " +
                   box_condition(db.postgresql(), "petitions", "p", 3) + " ORDER BY id");
  st.bind(1, n.category).bind(2, now - kDuplicateWindowS);
  st.bind(3, n.position.lon - dx)
      .bind(4, n.position.lat - dy)
      .bind(5, n.position.lon + dx)
      .bind(6, n.position.lat + dy);
  std::vector<std::pair<PetitionId, double>> out;
  while (st.step())
    if (double d = geodesic_distance_m(n.position, {st.real(1), st.real(2)});
        d <= kDuplicateRadiusM)
      out.emplace_back(PetitionId{st.int64(0)}, d);
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
  std::string id_text = std::to_string(cur.id->value);
  if (c.role == "community" || c.role == "subdistrict") {
    // A community's or subdistrict's office acts on its level's queue in its area.
    bool community = c.role == "community";
    const std::optional<std::string>& area = community ? cur.community_code : cur.subdistrict_code;
    if (cur.handler_level != (community ? Level::community : Level::subdistrict) || !c.actor_area ||
        area != c.actor_area)
      throw Error(ErrorKind::forbidden,
                  "petition " + id_text + " is not in your " + c.role + "'s queue");
    return;
  }
  if (c.role == "department") {
    if (cur.handler_level != Level::department || !c.actor_department ||
        cur.department_id != c.actor_department)
      throw Error(ErrorKind::forbidden, "petition " + id_text + " is not with your department");
    const MoveRule* rule = transition ? move_rule(cur.status, *c.to) : nullptr;
    if (transition && rule && !rule->handler)
      throw Error(ErrorKind::forbidden,
                  "a department handles its cases; the centre moves them from " +
                      move_text(cur.status, *c.to));
    return;
  }
  if (c.role != "worker") return;
  // A grid worker handles a case while it is at grid level; once escalated or given to a
  // department, the level's office has it (the worker who reported it may still withdraw it).
  bool handles =
      c.actor_worker && cur.handler_worker_id == c.actor_worker && cur.handler_level == Level::grid;
  bool reported = cur.reported_by == c.actor;
  if (c.action == Action::escalate) {
    if (!handles && !(reported && cur.handler_level == Level::grid))
      throw Error(ErrorKind::forbidden, "petition " + id_text + " is not yours to escalate");
    return;
  }
  if ((c.action == Action::request_extension || c.action == Action::progress) && !handles)
    throw Error(ErrorKind::forbidden,
                "petition " + id_text + " is handled by another worker or level");
  if (!transition) return;
  const MoveRule* rule = move_rule(cur.status, *c.to);
  if (!rule) return;  // 409 below
  if (!((rule->handler && handles) || (rule->reporter && reported)))
    throw Error(ErrorKind::forbidden,
                "petition " + id_text +
                    (rule->reporter && !rule->handler ? " was reported by someone else"
                                                      : " is handled by another worker or level"));
}

// Separation of duties: whoever handled a case (its handler, or whoever submitted it for
// review) does not review it.
void check_reviewer(Db& db, const Petition& cur, const Change& c) {
  if (cur.status != Status::pending_review) return;
  bool handled = c.actor_worker && cur.handler_worker_id == c.actor_worker;
  if (!handled) {
    Statement st(db,
                 "SELECT actor FROM petition_events WHERE petition_id = ?1 AND to_status = ?2 "
                 "ORDER BY at DESC, id DESC LIMIT 1",
                 Statement::reuse);
    st.bind(1, *cur.id).bind(2, to_string(Status::pending_review));
    handled = st.step() && st.text(0) == c.actor;
  }
  if (handled)
    throw Error(ErrorKind::forbidden,
                "petition " + std::to_string(cur.id->value) +
                    " was handled by the caller: another dispatcher reviews it");
}

// Whether the caller may hand a case to c.worker_id: the centre gives it to any worker; a
// community's or subdistrict's office to a worker of its area (a worker elsewhere answers as
// a missing one: ids stay private). Throws invalid_input otherwise.
void check_assignable(Db& db, const Change& c) {
  Statement w(db,
              "SELECT 1 FROM workers w WHERE w.id = ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM "
              "worker_grids wg "
              "JOIN grids g ON g.code = wg.grid_code JOIN communities cm ON cm.code = "
              "g.community_code WHERE "
              "wg.worker_id = w.id AND ((?3 = 'community' AND g.community_code = ?2) OR (?3 = "
              "'subdistrict' AND "
              "cm.subdistrict_code = ?2))))");
  bool area_office = c.role == "community" || c.role == "subdistrict";
  w.bind(1, *c.worker_id).bind(3, c.role);
  if (area_office)
    w.bind(2, c.actor_area.value_or(""));
  else
    w.bind_null(2);
  if (!w.step())
    throw_invalid("no worker " + std::to_string(c.worker_id->value) +
                  (area_office ? " in your " + c.role : ""));
}

}  // namespace

void PetitionService::published(PetitionId id) {
  if (changes_)
    changes_->publish(db_,
                      {Layer::petitions, std::to_string(id.value), std::nullopt, std::nullopt});
}

CreatedPetition PetitionService::create(const NewPetition& n, const Locator& locator, int64_t now) {
  if (!is_valid_wgs84(n.position))
    throw_invalid("the petition's position is not a valid longitude/latitude");
  if (n.description.size() > 10000) throw_invalid("description is longer than 10,000 bytes");
  Transaction tx(db_);
  PetitionRepo repo(db_);
  CatalogueEntry cat = Catalogue(db_).for_new_petition(n.category);
  CreatedPetition out;
  auto found = duplicates(db_, n, now);
  for (auto& [other, distance] : found) out.possible_duplicates.push_back(other);
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
    p.grid_code = g->grid_code.value;
    p.community_code = g->community_code;
    p.subdistrict_code = g->subdistrict_code;
    p.handler_worker_id = grid_worker(db_, g->grid_code.value);
  }
  p.id = repo.upsert(p);
  Statement keep(
      db_,
      "INSERT INTO petition_duplicates(petition_id, other_id, distance_m) VALUES (?1, ?2, ?3)");
  for (auto& [other, distance] : found) keep.bind(1, *p.id).bind(2, other).bind(3, distance).run();
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
  // A progress note adds to the history whatever the state (If-Match: * will do); every other
  // change needs the version it was decided on.
  if (!c.expected_version && !(c.any_version && c.action == Action::progress))
    throw Error(ErrorKind::precondition_required,
                "send the petition's version in If-Match (its ETag), so that two people cannot "
                "move it at once (a progress note may send If-Match: *)");
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
    if (to == Status::pending_review || (cur->status == Status::reported && to == Status::closed)) {
      // A category that closes on evidence: a photo of the result (处置后) first.
      std::optional<CatalogueEntry> cat = Catalogue(db_).get(cur->category);
      if (cat && cat->photos_to_close) {
        Statement photos(
            db_,
            "SELECT 1 FROM attachments WHERE owner_kind = 'petition' AND owner_id = ?1 "
            "AND stage = 'after' AND content_type LIKE 'image/%' LIMIT 1");
        photos.bind(1, id);
        if (!photos.step())
          throw Error(ErrorKind::conflict,
                      "category '" + cur->category +
                          "' needs a photo of the result: upload one with stage=after first "
                          "(POST /api/v1/petitions/" +
                          std::to_string(id.value) + "/attachments?stage=after)");
      }
    }
    check_reviewer(db_, *cur, c);
    if (c.department) {
      // 派遣 to a department (职能部门): it handles the case from now on.
      if (to != Status::dispatched) throw_invalid("'department' goes with a move to dispatched");
      if (c.role == "worker" || c.role == "department")
        throw Error(ErrorKind::forbidden, "the centre dispatches cases to departments");
      auto d = DepartmentRepo(db_).get(*c.department);
      if (!d) throw_invalid("unknown department '" + *c.department + "' (see /api/v1/departments)");
      next.handler_level = Level::department;
      next.department_id = d->id;
      ev.handler_level = Level::department;
      ev.note = "department " + d->code + (c.note.empty() ? "" : ": " + c.note);
    }
    if (c.worker_id) {
      // 派遣 to a named worker (the dispatcher's pick among the nearest on duty).
      if (to != Status::dispatched)
        throw_invalid("'worker_id' goes with a move to dispatched (or the reassign action)");
      if (c.department) throw_invalid("dispatch to a worker or to a department, not both");
      if (c.role == "worker" || c.role == "department")
        throw Error(ErrorKind::forbidden, "the centre or the area's office dispatches cases");
      check_assignable(db_, c);
      next.handler_level = Level::grid;
      next.handler_worker_id = c.worker_id;
      next.department_id.reset();
      ev.handler_level = Level::grid;
      ev.note =
          "worker " + std::to_string(c.worker_id->value) + (c.note.empty() ? "" : ": " + c.note);
    }
    next.status = to;
    ev.to_status = to;
    if (is_final(to)) {
      next.closed_at = now;
      // A request still pending dies with the case: nothing moves a deadline afterwards.
      next.extension_until.reset();
      next.extension_reason.clear();
      next.extension_by.reset();
    }
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
    if (*up == Level::department) {
      // Above the subdistrict: the department the catalogue routes this category to here.
      auto d = DepartmentRepo(db_).route_for(cur->category, cur->subdistrict_code);
      if (!d)
        throw Error(ErrorKind::conflict,
                    "no department handles category " + cur->category + " in subdistrict " +
                        cur->subdistrict_code.value_or("(none)") +
                        ": add a route (PUT /api/v1/departments/{code}) or dispatch it to one");
      next.department_id = d->id;
      ev.note = "department " + d->code + (c.note.empty() ? "" : ": " + c.note);
    }
  } else if (c.action == Action::reassign) {
    if (!c.worker_id) throw_invalid("reassign needs worker_id");
    check_assignable(db_, c);
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "a " + std::string(to_string(cur->status)) + " petition cannot be reassigned");
    ev.note = "worker " +
              (cur->handler_worker_id ? std::to_string(cur->handler_worker_id->value)
                                      : std::string("none")) +
              " -> " + std::to_string(c.worker_id->value) + (c.note.empty() ? "" : ": " + c.note);
    next.handler_worker_id = c.worker_id;
  } else if (c.action == Action::request_extension) {
    if (!clock_runs(cur->status) || cur->status == Status::reported)
      throw Error(ErrorKind::conflict, "a " + std::string(to_string(cur->status)) +
                                           " petition has no running deadline to extend");
    if (cur->extension_until)
      throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) +
                                           " already has an extension request pending");
    if (!c.until) throw_invalid("request_extension needs 'until', the deadline asked for");
    if (*c.until <= now || (cur->deadline_at && *c.until <= *cur->deadline_at))
      throw_invalid("the deadline asked for must be later than now and than the current deadline");
    if (c.note.empty()) throw_invalid("an extension request needs a reason");
    next.extension_until = c.until;
    next.extension_reason = c.note;
    next.extension_by = c.actor;
    ev.note = "until " + format_time(*c.until) + ": " + c.note;
  } else if (c.action == Action::approve_extension || c.action == Action::refuse_extension) {
    if (!cur->extension_until || is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "petition " + std::to_string(id.value) + " has no extension request pending");
    if (cur->extension_by == c.actor)
      throw Error(ErrorKind::forbidden,
                  "an extension is decided by someone other than who asked for it");
    if (c.action == Action::approve_extension) {
      next.deadline_at = cur->extension_until;
      ++next.extensions;
    } else if (c.note.empty()) {
      throw_invalid("refusing an extension needs a reason");
    }
    next.extension_until.reset();
    next.extension_reason.clear();
    next.extension_by.reset();
  } else if (c.action == Action::merge || c.action == Action::unmerge) {
    merge(*cur, next, ev, c, now);
  } else if (c.action == Action::progress) {
    // 处置进展: a note in the history (with photos at stage=progress); the state stays.
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict, "a " + std::string(to_string(cur->status)) +
                                           " petition takes no more progress notes");
    if (c.note.empty()) throw_invalid("a progress note says what was done");
    ev.note = c.note;
  } else if (c.action == Action::supervise) {
    if (is_final(cur->status))
      throw Error(ErrorKind::conflict,
                  "a " + std::string(to_string(cur->status)) + " petition cannot be supervised");
    if (c.note.empty()) throw_invalid("supervising (督办) needs a note saying what is expected");
    next.supervised = true;
    next.supervise_note = c.note;
  } else {
    throw_invalid("a petition cannot be changed by '" + std::string(to_string(c.action)) +
                  "' (use transition, escalate, reassign, supervise, progress or "
                  "request_/approve_/refuse_extension)");
  }
  Statement up(
      db_,
      "UPDATE petitions SET status = ?1, handler_level = ?2, handler_worker_id = ?3, closed_at = "
      "?4, "
      "reopened = ?5, version = version + 1, updated_at = ?6, deadline_at = ?9, suspended_from = "
      "?10, "
      "suspended_at = ?11, supervised = ?12, supervise_note = ?13, extension_until = ?14, "
      "extension_reason = ?15, "
      "extension_by = ?16, extensions = ?17, department_id = ?18, merged_into = ?19, merged_from = "
      "?20 "
      "WHERE id = ?7 AND version = ?8",
      Statement::reuse);
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
  up.bind(17, int64_t{next.extensions}).bind(18, next.department_id).bind(19, next.merged_into);
  if (next.merged_from)
    up.bind(20, to_string(*next.merged_from));
  else
    up.bind_null(20);
  up.run();
  if (db_.changes() != 1)
    throw Error(ErrorKind::precondition_failed,
                "petition " + std::to_string(id.value) + " changed meanwhile; reload it");
  repo.add_event(ev);
  published(id);
  if (c.action == Action::merge) tell_master(*next.merged_into, next, c, now);
  if (c.action == Action::unmerge) tell_master(*cur->merged_into, next, c, now);
  tx.commit();
  next.version = cur->version + 1;
  return next;
}

void PetitionService::merge(const Petition& cur, Petition& next, PetitionEvent& ev, const Change& c,
                            int64_t now) {
  std::string id_text = "petition " + std::to_string(cur.id->value);
  if (c.action == Action::unmerge) {
    if (!cur.merged_into || cur.status != Status::closed)
      throw Error(ErrorKind::conflict, id_text + " was not merged");
    next.status = cur.merged_from.value_or(Status::registered);
    next.closed_at.reset();
    next.merged_into.reset();
    next.merged_from.reset();
    ev.to_status = next.status;
    ev.note = "unmerged from #" + std::to_string(cur.merged_into->value) +
              (c.note.empty() ? "" : ": " + c.note);
    return;
  }
  if (!c.master) throw_invalid("merge needs 'master_id', the case this one duplicates");
  if (*c.master == *cur.id) throw_invalid("a case cannot be merged into itself");
  if (is_final(cur.status) || cur.status == Status::suspended)
    throw Error(ErrorKind::conflict,
                "a " + std::string(to_string(cur.status)) + " petition cannot be merged" +
                    (cur.status == Status::suspended ? ": resume it first" : ""));
  PetitionRepo repo(db_);
  auto master = repo.get(*c.master);
  if (!master) throw_invalid("no petition " + std::to_string(c.master->value) + " to merge into");
  // Only into a possible duplicate found when one of the two was reported, and one that
  // still stands: a merge cannot close an unrelated case out of the KPIs.
  Statement linked(
      db_,
      "SELECT 1 FROM petition_duplicates WHERE (petition_id = ?1 AND other_id = ?2) OR "
      "(petition_id = ?2 AND other_id = ?1)");
  linked.bind(1, *cur.id).bind(2, *c.master);
  if (!linked.step())
    throw Error(ErrorKind::conflict,
                "petition " + std::to_string(c.master->value) + " is not a possible duplicate of " +
                    id_text + " (same category, 250 m, 7 days): it cannot be merged into it");
  if (master->status == Status::rejected || master->status == Status::withdrawn)
    throw Error(ErrorKind::conflict, "petition " + std::to_string(c.master->value) + " was " +
                                         std::string(to_string(master->status)) +
                                         ": merge into a case that stands");
  if (master->merged_into)
    throw Error(ErrorKind::conflict,
                "petition " + std::to_string(c.master->value) + " is itself merged into #" +
                    std::to_string(master->merged_into->value) + ": merge into that one");
  Statement masters(db_, "SELECT count(*) FROM petitions WHERE merged_into = ?1");
  masters.bind(1, *cur.id);
  masters.step();
  if (masters.int64(0) > 0)
    throw Error(ErrorKind::conflict,
                id_text + " is the master of other cases: merge the other way round");
  next.merged_from = cur.status;
  next.merged_into = c.master;
  next.status = Status::closed;
  next.closed_at = now;
  next.extension_until.reset();
  next.extension_reason.clear();
  next.extension_by.reset();
  ev.to_status = Status::closed;
  ev.note =
      "merged into #" + std::to_string(c.master->value) + (c.note.empty() ? "" : ": " + c.note);
}

void PetitionService::tell_master(PetitionId master, const Petition& dup, const Change& c,
                                  int64_t now) {
  Statement bump(db_, "UPDATE petitions SET version = version + 1, updated_at = ?2 WHERE id = ?1");
  bump.bind(1, master).bind(2, now).run();
  PetitionRepo repo(db_);
  Status status = repo.get(master)->status;
  // (Appended piece by piece: GCC 12 at -O3 warns falsely of overlapping copies when a
  // literal starts the chain, -Wrestrict, and the benchmarks build with -O3.)
  std::string note = "#";
  note += std::to_string(dup.id->value);
  note += c.action == Action::merge ? " merged into this case" : " unmerged from this case";
  if (!c.note.empty()) note += ": " + c.note;
  repo.add_event({master, now, c.actor, c.action, status, status, std::nullopt, note});
  published(master);
}

std::vector<DuplicateLink> PetitionService::duplicates_of(PetitionId id) {
  Statement st(
      db_,
      "SELECT l.other, l.distance_m, p.status, p.merged_into FROM (SELECT other_id AS other, "
      "distance_m FROM "
      "petition_duplicates WHERE petition_id = ?1 UNION SELECT petition_id, distance_m FROM "
      "petition_duplicates WHERE other_id = ?1) l JOIN petitions p ON p.id = l.other "
      "ORDER BY l.distance_m, l.other");
  st.bind(1, id);
  std::vector<DuplicateLink> out;
  while (st.step()) {
    DuplicateLink d{PetitionId{st.int64(0)}, st.real(1), stored_status(st.text(2)), std::nullopt};
    if (auto m = st.opt_int64(3)) d.merged_into = PetitionId{*m};
    out.push_back(d);
  }
  return out;
}

std::string_view to_string(Satisfaction s) noexcept {
  switch (s) {
    case Satisfaction::satisfied:
      return "satisfied";
    case Satisfaction::basically_satisfied:
      return "basically_satisfied";
    case Satisfaction::unsatisfied:
      return "unsatisfied";
  }
  return "";
}

std::optional<Satisfaction> parse_satisfaction(std::string_view s) noexcept {
  for (Satisfaction v :
       {Satisfaction::satisfied, Satisfaction::basically_satisfied, Satisfaction::unsatisfied})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

Petition PetitionService::follow_up(PetitionId id, const FollowUp& f, int64_t now) {
  if (f.role != "admin" && f.role != "dispatcher")
    throw Error(ErrorKind::forbidden, "a " + (f.role.empty() ? std::string("caller") : f.role) +
                                          " may not record a follow-up (回访 is the centre's)");
  if (f.reached && !f.satisfaction)
    throw_invalid(
        "say how satisfied the reporter is: satisfied, basically_satisfied or unsatisfied");
  if (!f.reached && f.satisfaction)
    throw_invalid("a reporter who was not reached gives no satisfaction");
  if (f.reopen && f.satisfaction != Satisfaction::unsatisfied)
    throw_invalid("only an unsatisfied reporter's case is reopened");
  if (f.note.size() > 10000) throw_invalid("note is longer than 10,000 bytes");
  if (!f.expected_version)
    throw Error(ErrorKind::precondition_required,
                "send the petition's version in If-Match (its ETag)");
  Transaction tx(db_);
  PetitionRepo repo(db_);
  auto cur = repo.get(id);
  if (!cur) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id.value));
  if (*f.expected_version != cur->version)
    throw Error(ErrorKind::precondition_failed,
                "petition " + std::to_string(id.value) + " changed since version " +
                    std::to_string(*f.expected_version) + "; reload it");
  if (cur->status != Status::closed)
    throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) + " is " +
                                         std::string(to_string(cur->status)) +
                                         ": only a closed case is followed up");
  if (cur->merged_into)
    throw Error(ErrorKind::conflict, "petition " + std::to_string(id.value) + " was merged into #" +
                                         std::to_string(cur->merged_into->value) +
                                         ": follow up that case");
  Statement ins(db_,
                "INSERT INTO petition_followups(petition_id, at, actor, reached, satisfaction, "
                "note, reopened) "
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
    Statement up(
        db_,
        "UPDATE petitions SET status = ?4, closed_at = NULL, reopened = 1, version = version + 1, "
        "updated_at = ?1 WHERE id = ?2 AND version = ?3");
    up.bind(1, now).bind(2, id).bind(3, cur->version).bind(4, to_string(Status::in_progress)).run();
    repo.add_event({id, now, f.actor, Action::transition, Status::closed, Status::in_progress,
                    std::nullopt,
                    "回访不满意，重新办理" + (f.note.empty() ? std::string() : ": " + f.note)});
  } else {
    Statement up(db_,
                 "UPDATE petitions SET version = version + 1, updated_at = ?1 WHERE id = ?2 AND "
                 "version = ?3");
    up.bind(1, now).bind(2, id).bind(3, cur->version).run();
  }
  if (db_.changes() != 1)
    throw Error(ErrorKind::precondition_failed,
                "petition " + std::to_string(id.value) + " changed meanwhile; reload it");
  published(id);
  tx.commit();
  next.version = cur->version + 1;
  return next;
}

std::vector<FollowUpRecord> PetitionService::follow_ups(PetitionId id) {
  Statement st(db_,
               "SELECT at, actor, reached, satisfaction, note, reopened FROM petition_followups "
               "WHERE petition_id = ?1 "
               "ORDER BY at, id");
  st.bind(1, id);
  std::vector<FollowUpRecord> out;
  while (st.step()) {
    FollowUpRecord r{st.int64(0),  st.text(1), st.int64(2) != 0,
                     std::nullopt, st.text(4), st.int64(5) != 0};
    if (!st.is_null(3)) r.satisfaction = parse_satisfaction(st.text(3));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gridmap::data
