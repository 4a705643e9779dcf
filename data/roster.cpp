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

Household update_household(Db& db, ChangeFeed& changes, const HouseholdEdit& e) {
  std::string key = std::to_string(e.id);
  Transaction tx(db);
  HouseholdRepo repo(db);
  auto cur = repo.get(e.id);
  if (!cur) throw Error(ErrorKind::not_found, "no household " + key);
  check_version(db, Layer::households, key, e.expected_version);
  if (e.address) cur->address = *e.address;
  if (e.moved_to) {
    cur->position = e.moved_to->position;
    cur->grid_code = e.moved_to->grid_code;
    cur->community_code = e.moved_to->community_code;
    cur->subdistrict_code = e.moved_to->subdistrict_code;
  }
  repo.upsert(*cur);
  bump_version(db, Layer::households, key);
  // A move leaves its old place (and grid) behind, which a notice of the new one does not
  // reach: the households are read again.
  changes.publish(db, {Layer::households, e.moved_to ? kManyRecords : key, std::nullopt, std::nullopt});
  tx.commit();
  return *cur;
}

void remove_household(Db& db, ChangeFeed& changes, int64_t id, std::optional<int64_t> expected_version) {
  std::string key = std::to_string(id);
  Transaction tx(db);
  if (!HouseholdRepo(db).get(id)) throw Error(ErrorKind::not_found, "no household " + key);
  check_version(db, Layer::households, key, expected_version);
  for (auto [table, what] : {std::pair{"residents", "residents"}, std::pair{"visits", "visits"}}) {
    Statement n(db, std::string("SELECT count(*) FROM ") + table + " WHERE household_id = ?1");
    n.bind(1, id);
    n.step();
    if (n.int64(0) > 0)
      throw Error(ErrorKind::conflict, "household " + key + " has " + std::to_string(n.int64(0)) +
                                           " " + what + ": remove them first");
  }
  Statement del(db, "DELETE FROM households WHERE id = ?1");
  del.bind(1, id).run();
  changes.publish(db, {Layer::households, kManyRecords, std::nullopt, std::nullopt});
  tx.commit();
}

}  // namespace gridmap::data
