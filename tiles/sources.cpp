#include "tiles/sources.hpp"

#include "geo/error.hpp"
#include "tiles/point_store.hpp"

namespace gridmap::tiles {
namespace {

// Rows whose stored box meets ?1..?4 (min lon, min lat, max lon, max lat).
std::string in_box(std::string_view table) {
  return "t.ROWID IN (SELECT pkid FROM idx_" + std::string(table) +
         "_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)";
}

void bind_box(data::Statement& st, Box b) {
  st.bind(1, b.min_lon).bind(2, b.min_lat).bind(3, b.max_lon).bind(4, b.max_lat);
}

std::string json_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "]";
}

}  // namespace

void read_areas(data::Db& db, data::Layer layer, Box box, const GridAttributes* attributes,
                const std::function<void(AreaRecord&)>& f) {
  if (!data::is_area(layer)) throw_internal("read_areas: not an area layer");
  std::string table(data::to_string(layer));
  bool grids = layer == data::Layer::grids;
  std::string sql = "SELECT t.code, t.name, t.geom";
  if (grids && !attributes)
    sql +=
        ", (SELECT group_concat(name, '、') FROM (SELECT w.name FROM worker_grids wg JOIN workers "
        "w ON w.id = "
        "wg.worker_id WHERE wg.grid_code = t.code ORDER BY w.id)), "
        "(SELECT count(*) FROM households h WHERE h.grid_code = t.code)";
  sql += " FROM " + table + " t WHERE " + in_box(table) + " AND t.geom IS NOT NULL ORDER BY t.code";
  data::Statement st(db, sql, data::Statement::reuse);
  bind_box(st, box);
  std::optional<data::Statement> wkb;  // for geometries stored in a form read_blob() does not know
  AreaRecord r;
  while (st.step()) {
    r.code = st.text(0);
    r.name = st.text(1);
    if (auto p = polygons_from_blob(st.blob(2))) {
      r.polygons = std::move(*p);
    } else {
      if (!wkb) wkb.emplace(db, "SELECT AsBinary(geom) FROM " + table + " WHERE code = ?1");
      wkb->bind(1, r.code);
      if (!wkb->step()) throw_internal("area " + r.code + " vanished while read");
      r.polygons = polygons_from_wkb(wkb->blob(0));
      wkb->reset();
    }
    if (grids && attributes) {
      const GridAttributes::Entry* e = attributes->find(r.code);
      r.workers = e ? e->workers : std::string();
      r.households = e ? e->households : 0;
    } else if (grids) {
      r.workers = st.is_null(3) ? std::string() : st.text(3);
      r.households = st.int64(4);
    }
    f(r);
  }
}

void read_points(data::Db& db, data::Layer layer, Box box, const PetitionFilter& filter,
                 const TileScope& scope, const std::function<void(PointRecord&)>& f) {
  std::string sql;
  std::string table(data::to_string(layer));
  std::string where = " WHERE " + in_box(table);
  if (layer == data::Layer::petitions) {
    sql =
        "SELECT t.id, t.geom, NULL, t.kind, t.category, t.status, t.created_at, t.closed_at, "
        "t.deadline_at";
    if (!filter.status.empty()) where += " AND t.status IN (SELECT value FROM json_each(?10))";
    if (!filter.category.empty()) where += " AND t.category IN (SELECT value FROM json_each(?11))";
    if (!filter.kind.empty()) where += " AND t.kind IN (SELECT value FROM json_each(?12))";
    if (filter.from) where += " AND t.created_at >= ?13";
    if (filter.to) where += " AND t.created_at < ?14";
    if (scope.own_only)
      where +=
          " AND (t.grid_code IN (SELECT value FROM json_each(?20)) OR t.reported_by = ?21 OR "
          "t.handler_worker_id = ?22)";
  } else if (layer == data::Layer::households) {
    sql = "SELECT t.id, t.geom, NULL, t.grid_code";
    if (scope.own_only) where += " AND t.grid_code IN (SELECT value FROM json_each(?20))";
  } else if (layer == data::Layer::workers) {
    sql = "SELECT t.id, t.geom, NULL, t.on_duty, t.position_at";
    where += " AND t.geom IS NOT NULL";
    if (scope.own_only) where += " AND t.id = ?22";
  } else {
    throw_internal("read_points: not a point layer");
  }
  data::Statement st(db, sql + " FROM " + table + " t" + where, data::Statement::reuse);
  bind_box(st, box);
  if (layer == data::Layer::petitions) {
    if (!filter.status.empty()) st.bind(10, json_list(filter.status));
    if (!filter.category.empty()) st.bind(11, json_list(filter.category));
    if (!filter.kind.empty()) st.bind(12, json_list(filter.kind));
    if (filter.from) st.bind(13, *filter.from);
    if (filter.to) st.bind(14, *filter.to);
  }
  if (scope.own_only) {
    if (layer != data::Layer::workers) st.bind(20, json_list(scope.grids));
    if (layer == data::Layer::petitions) st.bind(21, scope.reporter);
    if (layer != data::Layer::households) st.bind(22, scope.worker_id.value_or(-1));
  }
  PointRecord r;
  while (st.step()) {
    r.id = st.int64(0);
    auto p = point_from_blob(st.blob(1));
    if (!p) throw_internal(table + " " + std::to_string(r.id) + " has no point geometry");
    r.world = to_world(*p);
    if (layer == data::Layer::petitions) {
      r.kind = st.text(3);
      r.category = st.text(4);
      r.status = st.text(5);
      r.created_at = st.int64(6);
      r.closed_at = st.opt_int64(7);
      r.deadline_at = st.opt_int64(8);
    } else if (layer == data::Layer::households) {
      r.grid_code = st.is_null(3) ? std::string() : st.text(3);
    } else {
      r.on_duty = st.int64(3) != 0;
      r.position_at = st.opt_int64(4);
    }
    f(r);
  }
}

}  // namespace gridmap::tiles
