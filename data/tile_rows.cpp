#include "data/tile_rows.hpp"

#include <algorithm>

#include "core/json_text.hpp"
#include "data/sql_dialect.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

// Rows whose stored box meets ?1..?4 (min lon, min lat, max lon, max lat).
std::string in_box(const Db& db, std::string_view table) {
  return box_condition(db.postgresql(), table, "t", 1);
}

void bind_box(Statement& st, Box b) {
  st.bind(1, b.min_lon).bind(2, b.min_lat).bind(3, b.max_lon).bind(4, b.max_lat);
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string text_or_empty(const Statement& st, int col) {
  return st.is_null(col) ? std::string() : st.text(col);
}

// id, geom, grid_code in columns 0-2 and, for petitions, kind, category, status, created_at,
// closed_at, deadline_at in 3-8: what every point query selects first.
void read_point_columns(const Statement& st, Layer layer, PointRow& r) {
  r.id = st.int64(0);
  r.geom = st.blob(1);
  r.grid_code = text_or_empty(st, 2);
  if (layer != Layer::petitions) return;
  r.kind = stored_kind(st.text(3));
  r.category = st.text(4);
  r.status = stored_status(st.text(5));
  r.created_at = st.int64(6);
  r.closed_at = st.opt_int64(7);
  r.deadline_at = st.opt_int64(8);
}

}  // namespace

bool PetitionFilter::empty() const noexcept {
  return status.empty() && category.empty() && kind.empty() && !from && !to;
}

std::string PetitionFilter::canonical() const {
  std::string out;
  auto list = [&out](const char* name, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += out.empty() ? "" : "&";
    out += name;
    out += '=';
    auto s = sorted(v);
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + s[i];
  };
  list("category", category);
  list("kind", kind);
  list("status", status);
  if (from) out += (out.empty() ? "from=" : "&from=") + std::to_string(*from);
  if (to) out += (out.empty() ? "to=" : "&to=") + std::to_string(*to);
  return out;
}

std::string TileScope::key() const {
  if (!own_only) return {};
  std::string out = "own:" + std::to_string(worker_id.value_or(-1)) + ":" + reporter;
  for (const std::string& g : sorted(grids)) out += ":" + g;
  return out;
}

void read_area_rows(Db& db, Layer layer, Box box, bool grid_attributes,
                    const std::function<void(AreaRow&)>& f) {
  if (!is_area(layer)) throw_internal("read_area_rows: not an area layer");
  std::string table(to_string(layer));
  bool attributes = grid_attributes && layer == Layer::grids;
  std::string sql = "SELECT t.code, t.name, t.geom";
  if (attributes)
    sql +=
        ", (SELECT group_concat(name, '、') FROM (SELECT w.name FROM worker_grids wg JOIN workers "
        "w ON w.id = wg.worker_id WHERE wg.grid_code = t.code ORDER BY w.id) AS n), "
        "(SELECT count(*) FROM households h WHERE h.grid_code = t.code)";
  sql += " FROM " + table + " t WHERE " + in_box(db, table) +
         " AND t.geom IS NOT NULL ORDER BY t.code";
  Statement st(db, sql, Statement::reuse);
  bind_box(st, box);
  AreaRow r;
  while (st.step()) {
    r.code = st.text(0);
    r.name = st.text(1);
    r.geom = st.blob(2);
    if (attributes) {
      r.workers = text_or_empty(st, 3);
      r.households = st.int64(4);
    }
    f(r);
  }
}

std::string area_wkb(Db& db, Layer layer, const std::string& code) {
  if (!is_area(layer)) throw_internal("area_wkb: not an area layer");
  Statement st(db,
               "SELECT AsBinary(geom) FROM " + std::string(to_string(layer)) + " WHERE code = ?1",
               Statement::reuse);
  st.bind(1, code);
  if (!st.step() || st.is_null(0)) throw_internal("area " + code + " vanished while read");
  return st.blob(0);
}

void read_point_rows(Db& db, Layer layer, Box box, const PetitionFilter& filter,
                     const TileScope& scope, const std::function<void(PointRow&)>& f) {
  std::string sql;
  std::string table(to_string(layer));
  std::string where = " WHERE " + in_box(db, table);
  if (layer == Layer::petitions) {
    sql =
        "SELECT t.id, t.geom, t.grid_code, t.kind, t.category, t.status, t.created_at, "
        "t.closed_at, t.deadline_at";
    if (!filter.status.empty()) where += " AND t.status IN (SELECT value FROM json_each(?10))";
    if (!filter.category.empty()) where += " AND t.category IN (SELECT value FROM json_each(?11))";
    if (!filter.kind.empty()) where += " AND t.kind IN (SELECT value FROM json_each(?12))";
    if (filter.from) where += " AND t.created_at >= ?13";
    if (filter.to) where += " AND t.created_at < ?14";
    if (scope.own_only)
      where +=
          " AND (t.grid_code IN (SELECT value FROM json_each(?20)) OR t.reported_by = ?21 OR "
          "t.handler_worker_id = ?22)";
  } else if (layer == Layer::households) {
    sql = "SELECT t.id, t.geom, t.grid_code";
    if (scope.own_only) where += " AND t.grid_code IN (SELECT value FROM json_each(?20))";
  } else if (layer == Layer::workers) {
    sql = "SELECT t.id, t.geom, NULL, t.on_duty, t.position_at";
    where += " AND t.geom IS NOT NULL";
    if (scope.own_only) where += " AND t.id = ?22";
  } else {
    throw_internal("read_point_rows: not a point layer");
  }
  Statement st(db, sql + " FROM " + table + " t" + where, Statement::reuse);
  bind_box(st, box);
  if (layer == Layer::petitions) {
    if (!filter.status.empty()) st.bind(10, json_string_array(filter.status));
    if (!filter.category.empty()) st.bind(11, json_string_array(filter.category));
    if (!filter.kind.empty()) st.bind(12, json_string_array(filter.kind));
    if (filter.from) st.bind(13, *filter.from);
    if (filter.to) st.bind(14, *filter.to);
  }
  if (scope.own_only) {
    if (layer != Layer::workers) st.bind(20, json_string_array(scope.grids));
    if (layer == Layer::petitions) st.bind(21, scope.reporter);
    if (layer != Layer::households) st.bind(22, scope.worker_id.value_or(-1));
  }
  PointRow r;
  while (st.step()) {
    read_point_columns(st, layer, r);
    if (layer == Layer::workers) {
      r.on_duty = st.int64(3) != 0;
      r.position_at = st.opt_int64(4);
    }
    f(r);
  }
}

void read_all_points(Db& db, Layer layer, const std::function<void(PointRow&)>& f,
                     std::optional<int64_t> only) {
  std::string sql;
  if (layer == Layer::petitions)
    sql =
        "SELECT id, geom, grid_code, kind, category, status, created_at, closed_at, deadline_at, "
        "handler_worker_id, reported_by FROM petitions WHERE geom IS NOT NULL";
  else if (layer == Layer::households)
    sql = "SELECT id, geom, grid_code FROM households WHERE geom IS NOT NULL";
  else
    throw_internal("read_all_points: petitions or households only");
  if (only) sql += " AND id = ?1";
  Statement st(db, sql);
  if (only) st.bind(1, *only);
  PointRow r;
  while (st.step()) {
    read_point_columns(st, layer, r);
    if (layer == Layer::petitions) {
      r.handler_worker = st.opt_int64(9);
      r.reporter = text_or_empty(st, 10);
    }
    f(r);
  }
}

int64_t count_records(Db& db, Layer layer) {
  Statement st(db, "SELECT count(*) FROM " + std::string(to_string(layer)));
  st.step();
  return st.int64(0);
}

void read_grid_workers(Db& db,
                       const std::function<void(const std::string& grid, std::string names)>& f) {
  Statement st(
      db,
      "SELECT wg.grid_code, group_concat(w.name, '、') FROM (SELECT * FROM worker_grids ORDER BY "
      "grid_code, worker_id) wg JOIN workers w ON w.id = wg.worker_id GROUP BY wg.grid_code");
  while (st.step()) f(st.text(0), st.text(1));
}

void read_grid_households(Db& db,
                          const std::function<void(const std::string& grid, int64_t n)>& f) {
  Statement st(
      db,
      "SELECT grid_code, count(*) FROM households WHERE grid_code IS NOT NULL GROUP BY grid_code");
  while (st.step()) f(st.text(0), st.int64(1));
}

int64_t households_in_grid(Db& db, const std::string& grid) {
  Statement st(db, "SELECT count(*) FROM households WHERE grid_code = ?1");
  st.bind(1, grid);
  st.step();
  return st.int64(0);
}

std::vector<std::string> category_codes(Db& db) {
  std::vector<std::string> out;
  Statement st(db, "SELECT code FROM categories ORDER BY code");
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::optional<Box> areas_extent(Db& db) {
  std::optional<Box> out;
  for (const char* table : {"subdistricts", "communities", "grids"}) {
    Statement st(db, extent_query(db.postgresql(), table));
    if (!st.step() || st.is_null(0)) continue;
    Box b{st.real(0), st.real(1), st.real(2), st.real(3)};
    if (!out) {
      out = b;
      continue;
    }
    out->min_lon = std::min(out->min_lon, b.min_lon),
    out->min_lat = std::min(out->min_lat, b.min_lat);
    out->max_lon = std::max(out->max_lon, b.max_lon),
    out->max_lat = std::max(out->max_lat, b.max_lat);
  }
  return out;
}

}  // namespace gridmap::data
