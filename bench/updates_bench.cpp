// Worker position updates: in memory (WorkerIndex::move) and persisted (PositionWriter into
// a fresh SpatiaLite file).
#include <filesystem>
#include <optional>
#include <vector>

#include "bench/bench.hpp"
#include "data/db.hpp"
#include "data/demo_layout.hpp"
#include "data/position_writer.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/worker_index.hpp"

namespace gridmap::bench {
namespace {

using Move = WorkerMove;

// Random workers to random places in the data's extent, reproducible from the seed.
std::vector<Move> random_moves(const Options& o, size_t workers) {
  Box ext = read_extent(o.dir);
  data::demo::Rng rng(o.spec.seed * 1000003 + 37);
  std::vector<Move> moves(o.moves);
  for (Move& m : moves) {
    m.id = WorkerId{1 + rng.below(static_cast<int64_t>(workers))};
    m.to = {rng.uniform(ext.min_lon, ext.max_lon), rng.uniform(ext.min_lat, ext.max_lat)};
  }
  return moves;
}

void create_workers(const std::string& path, const std::vector<WorkerRow>& workers) {
  namespace fs = std::filesystem;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix);
  data::Db db = data::Db::open(path, true);
  data::Transaction tx(db);
  data::WorkerRepo repo(db);
  for (const WorkerRow& w : workers) {
    data::Worker row;
    row.id = w.id;
    row.name = "worker " + std::to_string(w.id);
    row.on_duty = w.on_duty;
    row.position = w.position;
    row.position_at = 0;
    repo.upsert(row);
  }
  tx.commit();
}

}  // namespace

void run_updates(const Options& o) {
  std::vector<WorkerRow> workers = read_workers(o.dir);
  WorkerIndex index(workers.size());
  for (const WorkerRow& w : workers)
    index.upsert({WorkerId{w.id}, w.position, w.on_duty, UINT32_MAX, {}});
  std::vector<Move> moves = random_moves(o, workers.size());
  // The anchor applies the positions as one batch (UPDATE ... FROM): so does gridmap here
  // (move_all, what POST /api/v1/workers/positions runs).
  size_t unknown = 0;
  double s = best_seconds(o.runs, [&] { unknown += index.move_all(moves); });
  if (unknown) throw_internal("updates: a move hit an unknown worker");
  // Every worker must stand where its last move put it.
  std::vector<const Move*> last_move(workers.size() + 1, nullptr);
  for (const Move& m : moves) last_move[static_cast<size_t>(m.id.value)] = &m;
  for (const Move* m : last_move) {
    if (!m) continue;
    std::optional<WorkerState> w = index.get(m->id);
    if (!w || !(w->position == WorkerIndex::stored(m->to)))
      throw_internal("updates: worker " + std::to_string(m->id.value) +
                     " is not at its last position");
  }
  double single_s = best_seconds(o.runs, [&] {
    for (const Move& m : moves) unknown += !index.move(m.id, m.to);
  });
  if (unknown) throw_internal("updates: a move hit an unknown worker");
  note("updates: %.0f updates/s one move() at a time", moves.size() / single_s);
  report("updates_rate", moves.size() / s);

  // Real pings move a worker a few dozen metres, mostly within its cell: the same number
  // of moves, each within about 50 m of the worker's last position (stderr only).
  std::vector<LonLat> last(workers.size() + 1);
  for (const WorkerRow& w : workers) last[static_cast<size_t>(w.id)] = w.position;
  data::demo::Rng rng(o.spec.seed * 1000003 + 41);
  for (Move& m : moves) {
    LonLat& l = last[static_cast<size_t>(m.id.value)];
    l = {l.lon + rng.uniform(-0.0005, 0.0005), l.lat + rng.uniform(-0.0005, 0.0005)};
    m.to = l;
  }
  double local_s = best_seconds(o.runs, [&] { unknown += index.move_all(moves); });
  if (unknown) throw_internal("updates: a move hit an unknown worker");
  note("updates: %.0f updates/s for moves of up to 50 m (random moves across the city: %.0f)",
       moves.size() / local_s, moves.size() / s);
}

void run_persisted(const Options& o) {
  std::vector<WorkerRow> workers = read_workers(o.dir);
  auto t0 = std::chrono::steady_clock::now();
  create_workers(o.db, workers);
  note("updates_persisted: %zu workers stored in %.1f s", workers.size(),
       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::vector<Move> moves = random_moves(o, workers.size());

  int64_t clock = 1;  // ping times only grow, so every run's pings are newer than the last
  std::vector<Move> latest(workers.size() + 1, Move{});
  uint64_t written = 0;
  double s = best_seconds(o.runs, [&] {
    data::PositionWriter writer(o.db);
    for (const Move& m : moves) writer.record(m.id.value, m.to, clock++);
    writer.flush();
    written = writer.written();
  });
  for (const Move& m : moves) latest[static_cast<size_t>(m.id.value)] = m;

  // The file must hold every worker's last ping.
  data::Db db = data::Db::open(o.db, false);
  data::WorkerRepo repo(db);
  for (size_t id = 1; id < latest.size(); id += latest.size() / 97 + 1) {
    if (latest[id].id == WorkerId{}) continue;
    std::optional<data::Worker> w = repo.get(static_cast<int64_t>(id));
    if (!w || !w->position || !(*w->position == latest[id].to))
      throw_internal("updates_persisted: worker " + std::to_string(id) +
                     " lacks its last position");
  }
  note("updates_persisted: %zu pings, %llu rows written in the last run", moves.size(),
       static_cast<unsigned long long>(written));
  report("updates_persisted_rate", moves.size() / s);
}

}  // namespace gridmap::bench
