#include "data/workers.hpp"

namespace gridmap::data {
namespace {

const char* const kSelect =
    "SELECT w.id, w.name, w.phone, w.on_duty, X(w.geom), Y(w.geom), w.position_at, "
    "(SELECT group_concat(grid_code, ';') FROM (SELECT grid_code FROM worker_grids "
    " WHERE worker_id = w.id ORDER BY grid_code) AS g) FROM workers w";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Worker read_worker(Statement& st) {
  Worker w;
  w.id = st.int64(0);
  w.name = st.text(1);
  w.phone = st.opt_text(2);
  w.on_duty = st.int64(3) != 0;
  if (!st.is_null(4)) w.position = LonLat{st.real(4), st.real(5)};
  w.position_at = st.opt_int64(6);
  if (!st.is_null(7)) w.grids = split(st.text(7), ';');
  return w;
}

void bind_common(Statement& st, const Worker& w) {
  st.bind(2, w.name).bind(3, w.phone).bind(4, w.on_duty ? 1 : 0).bind(7, w.position_at);
  if (w.position) st.bind(5, w.position->lon).bind(6, w.position->lat);
}

}  // namespace

WorkerRepo::WorkerRepo(Db& db)
    : db_(db),
      insert_(
          db,
          "INSERT INTO workers(id, name, phone, on_duty, geom, position_at) VALUES "
          "(?1, ?2, ?3, ?4, MakePoint(?5, ?6, 4326), ?7) "
          "ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone = excluded.phone, "
          "on_duty = excluded.on_duty, geom = excluded.geom, position_at = excluded.position_at, "
          "updated_at = unixepoch()"),
      clear_grids_(db, "DELETE FROM worker_grids WHERE worker_id = ?1"),
      add_grid_(db, "INSERT OR IGNORE INTO worker_grids(worker_id, grid_code) VALUES (?1, ?2)") {}

int64_t WorkerRepo::upsert(const Worker& w) {
  insert_.bind(1, w.id);
  bind_common(insert_, w);
  insert_.run();
  int64_t id = w.id ? *w.id : db_.last_insert_rowid();
  clear_grids_.bind(1, id).run();
  for (const std::string& g : w.grids) add_grid_.bind(1, id).bind(2, g).run();
  return id;
}

std::optional<Worker> WorkerRepo::get(int64_t id) {
  Statement st(db_, std::string(kSelect) + " WHERE w.id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_worker(st);
}

void WorkerRepo::for_each(const std::function<void(const Worker&)>& f) {
  Statement st(db_, std::string(kSelect) + " ORDER BY w.id");
  while (st.step()) f(read_worker(st));
}

int64_t WorkerRepo::count() {
  Statement st(db_, "SELECT count(*) FROM workers");
  st.step();
  return st.int64(0);
}

}  // namespace gridmap::data
