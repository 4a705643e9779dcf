#include "data/place_names.hpp"

namespace gridmap::data {
namespace {
PlaceNames::Names names_of(Db& db, const char* table) {
  PlaceNames::Names out;
  Statement st(db, std::string("SELECT code, name FROM ") + table);
  while (st.step()) out[st.text(0)] = st.text(1);
  return out;
}
}  // namespace

PlaceNames PlaceNames::load(Db& db) {
  PlaceNames p;
  p.grids = names_of(db, "grids");
  p.communities = names_of(db, "communities");
  p.subdistricts = names_of(db, "subdistricts");
  Statement w(db,
              "SELECT wg.grid_code, w.id, w.name FROM worker_grids wg JOIN workers w ON w.id = wg.worker_id "
              "ORDER BY w.id");
  while (w.step()) p.workers_by_grid[w.text(0)].emplace_back(w.int64(1), w.text(2));
  return p;
}

const std::string& PlaceNames::of(const Names& names, const std::string& code) {
  static const std::string none;
  auto it = names.find(code);
  return it == names.end() ? none : it->second;
}

}  // namespace gridmap::data
