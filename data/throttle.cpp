#include "data/throttle.hpp"

#include "data/db.hpp"

namespace gridmap::data {

std::deque<int64_t> throttle_times(Db& db, const std::string& key, int64_t since) {
  std::deque<int64_t> out;
  Statement st(db, "SELECT at FROM gridmap_throttle WHERE key = ?1 AND at > ?2 ORDER BY at");
  st.bind(1, key).bind(2, since);
  while (st.step()) out.push_back(st.int64(0));
  return out;
}

void set_throttle_times(Db& db, const std::string& key, const std::deque<int64_t>& times) {
  Statement del(db, "DELETE FROM gridmap_throttle WHERE key = ?1");
  del.bind(1, key).run();
  Statement ins(db, "INSERT INTO gridmap_throttle (key, at) VALUES (?1, ?2)");
  for (int64_t at : times) ins.bind(1, key).bind(2, at).run();
}

int64_t prune_throttle(Db& db, int64_t before) {
  if (!db.postgresql()) return 0;
  Statement st(db, "DELETE FROM gridmap_throttle WHERE at < ?1");
  st.bind(1, before).run();
  return db.changes();
}

}  // namespace gridmap::data
