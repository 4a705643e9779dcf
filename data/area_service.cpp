#include "data/area_service.hpp"

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

}  // namespace gridmap::data
