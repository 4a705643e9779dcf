#include "data/area_service.hpp"

#include <span>

#include "data/areas.hpp"
#include "data/features.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"

namespace gridmap::data {

void AreaService::write(const AreaEdit& e) {
  std::string what(to_string(e.layer));
  Transaction tx(db_);
  AreaRepo repo(db_, e.layer);
  auto existing = repo.get(e.code);
  if (e.create && existing) throw Error(ErrorKind::conflict, what + " '" + e.code + "' exists; PATCH it");
  if (!e.create && !existing) throw Error(ErrorKind::not_found, "no " + what + " '" + e.code + "'");
  if (!e.create) check_version(db_, e.layer, e.code, e.expected_version);
  std::optional<Box> before = extent_of(db_, e.layer, e.code);
  Area a = existing.value_or(Area{e.code, "", std::nullopt, ""});
  if (e.name) a.name = *e.name;
  if (e.create && a.name.empty()) throw_invalid("'name' is required");
  if (e.parent && e.layer != Layer::subdistricts) {
    if (!AreaRepo(db_, *parent_of(e.layer)).exists(*e.parent)) throw_invalid("no parent '" + *e.parent + "'");
    a.parent = *e.parent;
  }
  if (e.geojson) {
    geos::GeomPtr g = geos::from_geojson(*e.geojson);
    geos::GeomPtr valid;
    try {
      valid = geos::make_valid_areal(g.get());
    } catch (const Error& err) {  // GEOS giving up on the boundary given: the editor's to fix
      if (err.kind() != ErrorKind::internal) throw;
      throw_invalid(std::string("the boundary cannot be repaired (") + err.what() + ")");
    }
    if (geos::is_empty(valid.get())) throw_invalid("the geometry has no area");
    a.wkb = geos::to_wkb(valid.get());
  }
  if (a.wkb.empty()) throw_invalid("'geometry' is required");
  repo.upsert(a);
  if (!e.create) bump_version(db_, e.layer, e.code);
  changes_.publish(db_, {e.layer, e.code, before, extent_of(db_, e.layer, e.code)});
  tx.commit();
}

void AreaService::remove(Layer layer, const std::string& code,
                         std::optional<int64_t> expected_version) {
  std::string what(to_string(layer));
  Transaction tx(db_);
  if (!AreaRepo(db_, layer).get(code)) throw Error(ErrorKind::not_found, "no " + what + " '" + code + "'");
  check_version(db_, layer, code, expected_version);
  struct Ref {
    const char* table;
    const char* column;
    const char* what;
  };
  static const Ref subdistrict_refs[] = {{"communities", "subdistrict_code", "communities"},
                                         {"households", "subdistrict_code", "households"},
                                         {"petitions", "subdistrict_code", "cases"},
                                         {"units", "subdistrict_code", "units"}};
  static const Ref community_refs[] = {{"grids", "community_code", "grids"},
                                       {"households", "community_code", "households"},
                                       {"petitions", "community_code", "cases"},
                                       {"units", "community_code", "units"}};
  static const Ref grid_refs[] = {{"households", "grid_code", "households"},
                                  {"petitions", "grid_code", "cases"},
                                  {"units", "grid_code", "units"},
                                  {"worker_grids", "grid_code", "worker assignments"},
                                  {"user_grids", "grid_code", "users' patches"}};
  std::span<const Ref> refs = layer == Layer::subdistricts  ? std::span<const Ref>(subdistrict_refs)
                              : layer == Layer::communities ? std::span<const Ref>(community_refs)
                                                            : std::span<const Ref>(grid_refs);
  std::string held;
  for (const Ref& r : refs) {
    Statement n(db_, std::string("SELECT count(*) FROM ") + r.table + " WHERE " + r.column + " = ?1");
    n.bind(1, code);
    n.step();
    if (n.int64(0) > 0) held += (held.empty() ? "" : ", ") + std::to_string(n.int64(0)) + " " + r.what;
  }
  if (!held.empty())
    throw Error(ErrorKind::conflict, what + " '" + code + "' still holds " + held +
                                         ": move or remove them first");
  std::optional<Box> before = extent_of(db_, layer, code);
  Statement del(db_, "DELETE FROM " + what + " WHERE code = ?1");
  del.bind(1, code).run();
  changes_.publish(db_, {layer, code, before, std::nullopt});
  tx.commit();
}

}  // namespace gridmap::data
