// Transitions through data::PetitionService: petitions moved through the whole lifecycle
// (立案, 派遣, 接单, 处置完成, 核查, 结案), each move one transaction with its version check,
// event row and change notice, on SQLite in WAL mode with synchronous=FULL (every commit
// reaches the disk before the move returns), as the server runs them. Also writes the same
// moves as SQL for PostgreSQL (bench/postgis/transitions_*.sql): one transaction per move,
// the version-checked UPDATE and the event INSERT, synchronous_commit on.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/locator.hpp"
#include "data/petition_service.hpp"
#include "data/petitions.hpp"
#include "geo/error.hpp"

namespace gridmap::bench {

void run_transitions(const Options& o) {
  if (o.db.empty() || o.out.empty()) throw_invalid("transitions needs --db NEW.sqlite --out DIR");
  std::filesystem::remove(o.db);
  std::filesystem::remove(o.db + "-wal");
  std::filesystem::remove(o.db + "-shm");
  const size_t n = o.moves;  // petitions; each makes six moves
  data::Db db = data::Db::open(o.db, true);
  data::Catalogue(db).put(data::simple_category("noise", "噪声扰民", 72));
  data::Locator locator = data::Locator::load(db);
  std::vector<PetitionId> ids;
  {
    data::PetitionService s(db);  // each report its own transaction, as in the server
    for (size_t i = 0; i < n; ++i) {
      data::NewPetition p;
      p.category = "noise";
      // Far apart (no duplicates to look up), all in one city.
      p.position = {111.5 + static_cast<double>(i % 1000) * 0.001,
                    40.7 + static_cast<double>(i / 1000) * 0.001};
      p.actor = "bench";
      ids.push_back(s.create(p, locator, 1'767'225'600).petition.id.value());
    }
  }
  // Who makes each move: the handler's moves by one dispatcher, the review by another
  // (nobody verifies their own work).
  struct Move {
    data::Status to;
    const char* actor;
  };
  const Move moves[] = {{data::Status::registered, "d1"},  {data::Status::dispatched, "d1"},
                        {data::Status::in_progress, "d1"}, {data::Status::pending_review, "d1"},
                        {data::Status::verified, "d2"},    {data::Status::closed, "d2"}};
  data::PetitionService service(db);
  auto start = std::chrono::steady_clock::now();
  int64_t now = 1'767'229'200;
  for (PetitionId id : ids) {
    int64_t version = 1;
    for (const Move& m : moves) {
      data::Change c;
      c.to = m.to;
      c.actor = m.actor;
      c.role = "dispatcher";
      c.note = "bench";
      c.expected_version = version;
      version = service.change(id, c, ++now).version;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t total = n * std::size(moves);
  note("transitions: %zu moves of %zu petitions in %.2f s (synchronous=FULL)\n", total, n, seconds);
  report("transitions_rate", static_cast<double>(total) / seconds);
  // The same moves for PostgreSQL, one transaction each.
  std::filesystem::create_directories(o.out);
  std::ofstream sql(o.out + "/transitions.sql");
  int64_t at = 1'767'229'200;
  for (size_t i = 0; i < n; ++i) {
    int64_t version = 1;
    std::string from = "reported";
    for (const Move& m : moves) {
      std::string to(data::to_string(m.to));
      ++at;
      sql << "BEGIN; UPDATE bench_petitions SET status = '" << to
          << "', version = version + 1, updated_at = " << at << " WHERE id = " << (i + 1)
          << " AND version = " << version
          << "; INSERT INTO bench_events(petition_id, at, actor, action, from_status, to_status, "
             "note) VALUES ("
          << (i + 1) << ", " << at << ", '" << m.actor << "', 'transition', '" << from << "', '"
          << to << "', 'bench'); COMMIT;\n";
      ++version;
      from = to;
    }
  }
  if (!sql) throw_invalid("cannot write " + o.out + "/transitions.sql");
  report("transitions_count", static_cast<double>(total));
}

}  // namespace gridmap::bench
