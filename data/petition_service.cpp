#include "data/petition_service.hpp"

#include <cmath>

#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/lifecycle.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap::data {
namespace {

constexpr double kDuplicateRadiusM = 250;
constexpr int64_t kDuplicateWindowS = 7 * 86400;

std::optional<int64_t> grid_worker(Db& db, const std::string& grid) {
  Statement st(db, "SELECT worker_id FROM worker_grids WHERE grid_code = ?1 ORDER BY worker_id LIMIT 1");
  st.bind(1, grid);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

std::vector<int64_t> duplicates(Db& db, const NewPetition& n, int64_t now) {
  MetresPerDegree m = metres_per_degree(n.position.lat);
  double dx = kDuplicateRadiusM / m.lon, dy = kDuplicateRadiusM / m.lat;
  Statement st(db,
               "SELECT id, X(geom), Y(geom) FROM petitions WHERE category = ?1 AND created_at >= ?2 "
               "AND ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'petitions' "
               "AND search_frame = BuildMbr(?3, ?4, ?5, ?6, 4326)) ORDER BY id");
  st.bind(1, n.category).bind(2, now - kDuplicateWindowS);
  st.bind(3, n.position.lon - dx).bind(4, n.position.lat - dy).bind(5, n.position.lon + dx).bind(6, n.position.lat + dy);
  std::vector<int64_t> out;
  while (st.step())
    if (geodesic_distance_m(n.position, {st.real(1), st.real(2)}) <= kDuplicateRadiusM) out.push_back(st.int64(0));
  return out;
}

// The role table of lifecycle.hpp, and for a worker: only the handler starts or submits a
// case; resolving on site is for its reporter or its handler.
void check_actor(const Petition& cur, const Change& c) {
  bool transition = c.action == Action::transition;
  if (transition && !c.to) return;  // invalid_input below
  if (!role_may(c.role, c.action, cur.status, transition ? c.to : std::nullopt))
    throw Error(ErrorKind::forbidden,
                "a " + (c.role.empty() ? std::string("caller") : c.role) + " may not " +
                    (transition ? "move a petition from " + std::string(to_string(cur.status)) + " to " +
                                      std::string(to_string(*c.to))
                                : std::string(to_string(c.action)) + " a petition"));
  if (c.role != "worker" || !transition) return;
  bool handles = c.actor_worker && cur.handler_worker_id == c.actor_worker;
  bool reported = cur.reported_by == c.actor;
  if (cur.status == Status::reported ? !(handles || reported) : !handles)
    throw Error(ErrorKind::forbidden, "petition " + std::to_string(*cur.id) + " is handled by another worker");
}

}  // namespace

void PetitionService::published(int64_t id) {
  if (changes_) changes_->publish(db_, {Layer::petitions, std::to_string(id), std::nullopt, std::nullopt});
}

CreatedPetition PetitionService::create(const NewPetition& n, const Locator& locator, int64_t now) {
  if (!is_valid_wgs84(n.position)) throw_invalid("the petition's position is not a valid longitude/latitude");
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
  repo.add_event({*p.id, p.created_at, n.actor, Action::report, std::nullopt, Status::reported, Level::grid, n.description});
  published(*p.id);
  tx.commit();
  p.version = 1;
  return out;
}

Petition PetitionService::change(int64_t id, const Change& c, int64_t now) {
  Transaction tx(db_);
  PetitionRepo repo(db_);
  auto cur = repo.get(id);
  if (!cur) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id));
  if (c.expected_version && *c.expected_version != cur->version)
    throw Error(ErrorKind::precondition_failed, "petition " + std::to_string(id) + " changed since version " +
                                                    std::to_string(*c.expected_version) + " (now " +
                                                    std::to_string(cur->version) + "); reload it");
  check_actor(*cur, c);
  Petition next = *cur;
  PetitionEvent ev{id, now, c.actor, c.action, cur->status, cur->status, std::nullopt, c.note};
  if (c.action == Action::transition) {
    if (!c.to) throw_invalid("'to' is required (the target status: " + status_names() + ")");
    Status to = *c.to;
    if (!transition_allowed(cur->status, to))
      throw Error(ErrorKind::conflict, "a petition cannot go from " + std::string(to_string(cur->status)) + " to " +
                                           std::string(to_string(to)));
    if (cur->status == Status::reported && to == Status::closed && c.note.empty())
      throw_invalid("resolving on site (reported -> closed) needs a note saying what was done");
    next.status = to;
    ev.to_status = to;
    if (to == Status::closed) next.closed_at = now;
    if (cur->status == Status::pending_review && to == Status::in_progress) next.reopened = 1;
  } else if (c.action == Action::escalate) {
    auto up = escalated(cur->handler_level);
    if (!up) throw Error(ErrorKind::conflict, "petition " + std::to_string(id) + " is already with a department");
    if (cur->status == Status::closed) throw Error(ErrorKind::conflict, "a closed petition cannot be escalated");
    next.handler_level = *up;
    ev.handler_level = next.handler_level;
  } else if (c.action == Action::reassign) {
    if (!c.worker_id) throw_invalid("reassign needs worker_id");
    Statement w(db_, "SELECT 1 FROM workers WHERE id = ?1");
    w.bind(1, *c.worker_id);
    if (!w.step()) throw_invalid("no worker " + std::to_string(*c.worker_id));
    if (cur->status == Status::closed) throw Error(ErrorKind::conflict, "a closed petition cannot be reassigned");
    next.handler_worker_id = c.worker_id;
  } else {
    throw_invalid("a petition cannot be changed by '" + std::string(to_string(c.action)) +
                  "' (use transition, escalate or reassign)");
  }
  Statement up(db_,
               "UPDATE petitions SET status = ?1, handler_level = ?2, handler_worker_id = ?3, closed_at = ?4, "
               "reopened = ?5, version = version + 1, updated_at = ?6 WHERE id = ?7 AND version = ?8");
  up.bind(1, to_string(next.status)).bind(2, to_string(next.handler_level)).bind(3, next.handler_worker_id).bind(4, next.closed_at);
  up.bind(5, next.reopened).bind(6, now).bind(7, id).bind(8, cur->version).run();
  if (db_.changes() != 1) throw Error(ErrorKind::precondition_failed, "petition " + std::to_string(id) + " changed meanwhile; reload it");
  repo.add_event(ev);
  published(id);
  tx.commit();
  next.version = cur->version + 1;
  return next;
}

}  // namespace gridmap::data
