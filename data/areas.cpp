#include "data/areas.hpp"

#include "geo/error.hpp"

namespace gridmap::data {
namespace {

std::string table(Layer l) {
  return std::string(to_string(l));
}

std::string parent_column(Layer l) {
  if (l == Layer::communities) return "subdistrict_code";
  if (l == Layer::grids) return "community_code";
  return "NULL";
}

std::string upsert_sql(Layer l) {
  std::string t = table(l);
  if (l == Layer::subdistricts)
    return "INSERT INTO subdistricts(code, name, geom) VALUES (?1, ?2, GeomFromWKB(?4, 4326)) "
           "ON CONFLICT(code) DO UPDATE SET name = excluded.name, geom = excluded.geom, "
           "updated_at = unixepoch()";
  std::string p = parent_column(l);
  return "INSERT INTO " + t + "(code, name, " + p +
         ", geom) VALUES (?1, ?2, ?3, GeomFromWKB(?4, 4326)) " +
         "ON CONFLICT(code) DO UPDATE SET name = excluded.name, " + p + " = excluded." + p +
         ", geom = excluded.geom, updated_at = unixepoch()";
}

std::string select_sql(Layer l) {
  return "SELECT code, name, " + parent_column(l) + ", AsBinary(geom) FROM " + table(l);
}

Area read_area(Statement& st) {
  return Area{st.text(0), st.text(1), st.opt_text(2), st.blob(3)};
}

}  // namespace

AreaRepo::AreaRepo(Db& db, Layer layer) : db_(db), layer_(layer), upsert_(db, upsert_sql(layer)) {
  if (!is_area(layer)) throw_internal("AreaRepo needs an area layer");
}

void AreaRepo::upsert(const Area& a) {
  upsert_.bind(1, a.code).bind(2, a.name).bind(3, a.parent).bind_blob(4, a.wkb);
  upsert_.run();
}

std::optional<Area> AreaRepo::get(const std::string& code) {
  Statement st(db_, select_sql(layer_) + " WHERE code = ?1");
  st.bind(1, code);
  if (!st.step()) return std::nullopt;
  return read_area(st);
}

void AreaRepo::for_each(const std::function<void(const Area&)>& f) {
  Statement st(db_, select_sql(layer_) + " ORDER BY code");
  while (st.step()) f(read_area(st));
}

std::vector<Area> AreaRepo::all() {
  std::vector<Area> out;
  for_each([&](const Area& a) { out.push_back(a); });
  return out;
}

int64_t AreaRepo::count() {
  Statement st(db_, "SELECT count(*) FROM " + table(layer_));
  st.step();
  return st.int64(0);
}

std::optional<std::string> AreaRepo::first_code() {
  Statement st(db_, "SELECT min(code) FROM " + table(layer_));
  st.step();
  return st.opt_text(0);
}

bool AreaRepo::exists(const std::string& code) {
  Statement st(db_, "SELECT 1 FROM " + table(layer_) + " WHERE code = ?1");
  st.bind(1, code);
  return st.step();
}

std::vector<std::string> area_label_texts(Db& db) {
  std::vector<std::string> out;
  Statement st(db,
               "SELECT name, code FROM subdistricts UNION ALL SELECT name, code FROM communities "
               "UNION ALL SELECT name, code FROM grids");
  while (st.step()) {
    if (!st.is_null(0)) out.push_back(st.text(0));
    out.push_back(st.text(1));
  }
  return out;
}

std::vector<GridLineage> grid_lineage(Db& db) {
  Statement st(db,
               "SELECT g.code, g.community_code, c.subdistrict_code FROM grids g "
               "LEFT JOIN communities c ON c.code = g.community_code ORDER BY g.code");
  std::vector<GridLineage> out;
  while (st.step()) out.push_back({GridCode{st.text(0)}, st.opt_text(1), st.opt_text(2)});
  return out;
}

}  // namespace gridmap::data
