#include "data/petitions.hpp"

namespace gridmap::data {
namespace {
const char* const kSelect =
    "SELECT id, kind, category, description, reporter_contact, status, handler_level, "
    "handler_worker_id, reported_by, created_at, deadline_at, closed_at, reopened, X(geom), "
    "Y(geom), "
    "grid_code, community_code, subdistrict_code, version, suspended_from, suspended_at, "
    "supervised, "
    "supervise_note, extension_until, extension_reason, extension_by, extensions, department_id, "
    "merged_into, "
    "merged_from FROM petitions";

Petition read_petition(Statement& st) {
  Petition p;
  p.id = PetitionId{st.int64(0)};
  p.kind = stored_kind(st.text(1));
  p.category = st.text(2);
  p.description = st.text(3);
  p.reporter_contact = st.opt_text(4);
  p.status = stored_status(st.text(5));
  p.handler_level = stored_level(st.text(6));
  if (auto w = st.opt_int64(7)) p.handler_worker_id = WorkerId{*w};
  p.reported_by = st.opt_text(8);
  p.created_at = st.int64(9);
  p.deadline_at = st.opt_int64(10);
  p.closed_at = st.opt_int64(11);
  p.reopened = static_cast<int>(st.int64(12));
  p.position = {st.real(13), st.real(14)};
  p.grid_code = st.opt_text(15);
  p.community_code = st.opt_text(16);
  p.subdistrict_code = st.opt_text(17);
  p.version = st.int64(18);
  if (!st.is_null(19)) p.suspended_from = stored_status(st.text(19));
  p.suspended_at = st.opt_int64(20);
  p.supervised = st.int64(21) != 0;
  p.supervise_note = st.text(22);
  p.extension_until = st.opt_int64(23);
  p.extension_reason = st.text(24);
  p.extension_by = st.opt_text(25);
  p.extensions = static_cast<int>(st.int64(26));
  p.department_id = st.opt_int64(27);
  if (auto m = st.opt_int64(28)) p.merged_into = PetitionId{*m};
  if (!st.is_null(29)) p.merged_from = stored_status(st.text(29));
  return p;
}
}  // namespace

PetitionRepo::PetitionRepo(Db& db)
    : db_(db),
      upsert_(db,
              "INSERT INTO petitions(id, kind, category, description, reporter_contact, status, "
              "handler_level, handler_worker_id, reported_by, created_at, deadline_at, closed_at, "
              "reopened, geom, grid_code, community_code, subdistrict_code) VALUES (?1, ?2, ?3, "
              "?4, ?5, "
              "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, MakePoint(?14, ?15, 4326), ?16, ?17, ?18) "
              "ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, category = excluded.category, "
              "description = excluded.description, reporter_contact = excluded.reporter_contact, "
              "status = excluded.status, handler_level = excluded.handler_level, "
              "handler_worker_id = excluded.handler_worker_id, reported_by = excluded.reported_by, "
              "created_at = excluded.created_at, deadline_at = excluded.deadline_at, "
              "closed_at = excluded.closed_at, reopened = excluded.reopened, geom = excluded.geom, "
              "grid_code = excluded.grid_code, community_code = excluded.community_code, "
              "subdistrict_code = excluded.subdistrict_code, updated_at = unixepoch(), version = "
              "petitions.version + 1",
              Statement::reuse),
      add_event_(
          db,
          "INSERT INTO petition_events(petition_id, at, actor, action, from_status, to_status, "
          "handler_level, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          Statement::reuse) {}

PetitionId PetitionRepo::upsert(const Petition& p) {
  Statement& s = upsert_;
  s.bind(1, p.id)
      .bind(2, to_string(p.kind))
      .bind(3, p.category)
      .bind(4, p.description)
      .bind(5, p.reporter_contact);
  s.bind(6, to_string(p.status))
      .bind(7, to_string(p.handler_level))
      .bind(8, p.handler_worker_id)
      .bind(9, p.reported_by);
  s.bind(10, p.created_at).bind(11, p.deadline_at).bind(12, p.closed_at).bind(13, p.reopened);
  s.bind(14, p.position.lon).bind(15, p.position.lat);
  s.bind(16, p.grid_code).bind(17, p.community_code).bind(18, p.subdistrict_code).run();
  return p.id ? *p.id : PetitionId{db_.last_insert_rowid()};
}

void PetitionRepo::add_event(const PetitionEvent& e) {
  Statement& s = add_event_;
  s.bind(1, e.petition_id).bind(2, e.at).bind(3, e.actor).bind(4, to_string(e.action));
  if (e.from_status)
    s.bind(5, to_string(*e.from_status));
  else
    s.bind_null(5);
  s.bind(6, to_string(e.to_status));
  if (e.handler_level)
    s.bind(7, to_string(*e.handler_level));
  else
    s.bind_null(7);
  s.bind(8, e.note).run();
}

std::optional<Petition> PetitionRepo::get(PetitionId id) {
  Statement st(db_, std::string(kSelect) + " WHERE id = ?1", Statement::reuse);
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_petition(st);
}

std::optional<int64_t> PetitionRepo::last_event_at(PetitionId petition_id) {
  Statement st(db_, "SELECT MAX(at) FROM petition_events WHERE petition_id = ?1");
  st.bind(1, petition_id);
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.int64(0);
}

std::vector<PetitionEvent> PetitionRepo::events(PetitionId petition_id) {
  Statement st(db_,
               "SELECT petition_id, at, actor, action, from_status, to_status, handler_level, note "
               "FROM petition_events WHERE petition_id = ?1 ORDER BY at, id");
  st.bind(1, petition_id);
  std::vector<PetitionEvent> out;
  while (st.step()) {
    PetitionEvent e{PetitionId{st.int64(0)},
                    st.int64(1),
                    st.text(2),
                    stored_action(st.text(3)),
                    std::nullopt,
                    stored_status(st.text(5)),
                    std::nullopt,
                    st.text(7)};
    if (!st.is_null(4)) e.from_status = stored_status(st.text(4));
    if (!st.is_null(6)) e.handler_level = stored_level(st.text(6));
    out.push_back(std::move(e));
  }
  return out;
}

void PetitionRepo::for_each(const std::function<void(const Petition&)>& f) {
  Statement st(db_, std::string(kSelect) + " ORDER BY id");
  while (st.step()) f(read_petition(st));
}

int64_t PetitionRepo::count() {
  Statement st(db_, "SELECT count(*) FROM petitions");
  st.step();
  return st.int64(0);
}

int64_t PetitionRepo::count_by_status(Status status) {
  Statement st(db_, "SELECT count(*) FROM petitions WHERE status = ?1");
  st.bind(1, to_string(status));
  st.step();
  return st.int64(0);
}

}  // namespace gridmap::data
