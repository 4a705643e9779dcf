#include "data/roster.hpp"

#include "data/areas.hpp"
#include "data/features.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

Worker update_worker(Db& db, ChangeFeed& changes, const WorkerEdit& e) {
  std::string key = std::to_string(e.id);
  Transaction tx(db);
  WorkerRepo repo(db);
  auto cur = repo.get(e.id);
  if (!cur) throw Error(ErrorKind::not_found, "no worker " + key);
  check_version(db, Layer::workers, key, e.expected_version);
  if (e.name) cur->name = *e.name;
  if (e.on_duty) cur->on_duty = *e.on_duty;
  if (e.grids) {
    AreaRepo grids(db, Layer::grids);
    for (const std::string& g : *e.grids)
      if (!grids.exists(g)) throw_invalid("no grid '" + g + "'");
    cur->grids = *e.grids;
  }
  repo.upsert(*cur);
  bump_version(db, Layer::workers, key);
  changes.publish(db, {Layer::workers, key, std::nullopt, std::nullopt});
  tx.commit();
  return *cur;
}

int64_t add_household(Db& db, ChangeFeed& changes, const Household& h) {
  Transaction tx(db);
  int64_t id = HouseholdRepo(db).upsert(h);
  changes.publish(db, {Layer::households, std::to_string(id), std::nullopt, std::nullopt});
  tx.commit();
  return id;
}

}  // namespace gridmap::data
