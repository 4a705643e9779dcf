#include "data/field_work.hpp"

#include <algorithm>

#include "geo/error.hpp"

namespace gridmap::data {

void FieldWork::require_worker(int64_t worker) {
  Statement w(db_, "SELECT 1 FROM workers WHERE id = ?1");
  w.bind(1, worker);
  if (!w.step()) throw Error(ErrorKind::not_found, "no worker " + std::to_string(worker));
}

int64_t FieldWork::add_visit(int64_t worker, int64_t household, int64_t at, const std::string& note,
                             const std::vector<std::string>* patch) {
  Transaction tx(db_);
  require_worker(worker);
  Statement h(db_, "SELECT grid_code FROM households WHERE id = ?1");
  h.bind(1, household);
  bool found = h.step();
  std::optional<std::string> grid = found ? h.opt_text(0) : std::nullopt;
  if (!found || (patch && (!grid || std::find(patch->begin(), patch->end(), *grid) == patch->end())))
    throw Error(ErrorKind::not_found, "no household " + std::to_string(household));
  Statement ins(db_, "INSERT INTO visits(worker_id, household_id, at, note) VALUES (?1, ?2, ?3, ?4)");
  ins.bind(1, worker).bind(2, household).bind(3, at).bind(4, note).run();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

std::vector<Visit> FieldWork::visits_of(int64_t worker, size_t limit) {
  Statement st(db_,
               "SELECT id, worker_id, household_id, at, note FROM visits WHERE worker_id = ?1 "
               "ORDER BY at DESC LIMIT ?2");
  st.bind(1, worker).bind(2, static_cast<int64_t>(limit));
  std::vector<Visit> out;
  while (st.step()) out.push_back({st.int64(0), st.int64(1), st.int64(2), st.int64(3), st.text(4)});
  return out;
}

void FieldWork::put_log(int64_t worker, const std::string& day, const std::string& text) {
  Transaction tx(db_);
  require_worker(worker);
  Statement st(db_,
               "INSERT INTO work_logs(worker_id, day, text) VALUES (?1, ?2, ?3) "
               "ON CONFLICT(worker_id, day) DO UPDATE SET text = excluded.text");
  st.bind(1, worker).bind(2, day).bind(3, text).run();
  tx.commit();
}

std::optional<std::string> FieldWork::log_of(int64_t worker, const std::string& day) {
  Statement st(db_, "SELECT text FROM work_logs WHERE worker_id = ?1 AND day = ?2");
  st.bind(1, worker).bind(2, day);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

}  // namespace gridmap::data
