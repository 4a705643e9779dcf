#include "data/features.hpp"

#include <algorithm>

#include "geo/error.hpp"

namespace gridmap::data {
namespace {

struct LayerSql {
  const char* table;
  const char* key;        // primary key column
  bool integer_key;
  const char* properties;  // json_object(...) arguments, over alias t
  std::vector<std::pair<std::string, std::string>> filters;  // name -> SQL column expression
};

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col ", 'unixepoch')"

const LayerSql& sql_of(Layer l) {
  static const LayerSql subdistricts{"subdistricts", "code", false, "'code', t.code, 'name', t.name, 'version', t.version",
                                     {{"name", "t.name"}}};
  static const LayerSql communities{"communities", "code", false,
                                    "'code', t.code, 'name', t.name, 'subdistrict_code', t.subdistrict_code, "
                                    "'version', t.version",
                                    {{"name", "t.name"}, {"subdistrict_code", "t.subdistrict_code"}}};
  static const LayerSql grids{"grids", "code", false,
                              "'code', t.code, 'name', t.name, 'community_code', t.community_code, 'version', t.version, "
                              "'workers', (SELECT json_group_array(worker_id) FROM worker_grids WHERE grid_code = t.code)",
                              {{"name", "t.name"}, {"community_code", "t.community_code"}}};
  static const LayerSql workers{"workers", "id", true,
                                "'id', t.id, 'name', t.name, 'on_duty', json(CASE t.on_duty WHEN 1 THEN 'true' ELSE 'false' END), "
                                "'position_at', " ISO("t.position_at") ", 'version', t.version, "
                                "'grids', (SELECT json_group_array(grid_code) FROM worker_grids WHERE worker_id = t.id)",
                                {{"on_duty", "t.on_duty"},
                                 {"grid_code", "(SELECT min(grid_code) FROM worker_grids WHERE worker_id = t.id)"}}};
  static const LayerSql households{"households", "id", true,
                                   "'id', t.id, 'address', t.address, 'grid_code', t.grid_code, 'community_code', "
                                   "t.community_code, 'subdistrict_code', t.subdistrict_code, 'version', t.version",
                                   {{"grid_code", "t.grid_code"}, {"community_code", "t.community_code"},
                                    {"subdistrict_code", "t.subdistrict_code"}}};
  static const LayerSql petitions{
      "petitions", "id", true,
      "'id', t.id, 'kind', t.kind, 'category', t.category, 'description', t.description, 'status', t.status, "
      "'handler_level', t.handler_level, 'handler_worker_id', t.handler_worker_id, "
      "'created_at', " ISO("t.created_at") ", 'deadline_at', " ISO("t.deadline_at") ", 'closed_at', " ISO(
          "t.closed_at") ", "
                         "'age_days', round((coalesce(t.closed_at, ?9) - t.created_at) / 86400.0, 2), "
                         "'overdue', json(CASE WHEN t.status NOT IN ('closed', 'rejected', 'withdrawn', 'suspended') AND t.deadline_at < ?9 THEN 'true' ELSE 'false' END), "
                         "'reopened', t.reopened, 'grid_code', t.grid_code, 'community_code', t.community_code, "
                         "'subdistrict_code', t.subdistrict_code, 'version', t.version",
      {{"status", "t.status"},
       {"category", "t.category"},
       {"kind", "t.kind"},
       {"grid_code", "t.grid_code"},
       {"community_code", "t.community_code"},
       {"subdistrict_code", "t.subdistrict_code"},
       {"handler_level", "t.handler_level"},
       {"handler_worker_id", "t.handler_worker_id"}}};
  switch (l) {
    case Layer::subdistricts: return subdistricts;
    case Layer::communities: return communities;
    case Layer::grids: return grids;
    case Layer::workers: return workers;
    case Layer::households: return households;
    case Layer::petitions: return petitions;
  }
  return grids;
}

std::string feature_sql(const LayerSql& s) {
  return std::string("json_object('type', 'Feature', 'id', t.") + s.key +
         ", 'geometry', json(AsGeoJSON(t.geom, 9)), 'properties', json_object(" + s.properties + "))";
}

}  // namespace

std::vector<std::string> filterable(Layer layer) {
  std::vector<std::string> out;
  for (auto& [name, col] : sql_of(layer).filters) out.push_back(name);
  return out;
}

namespace {
// Fixed parameter numbers of the list query. The caller's filters come after all of them,
// so no number of filters can reach (and rebind) the scope's parameters.
enum Param : int {
  kMinLon = 1, kMinLat, kMaxLon, kMaxLat,  // bbox
  kFrom, kTo,                              // petitions' created_at window
  kCursor, kLimit, kNow,
  kScopeGrids, kScopeReporter, kScopeWorker,  // a worker's reach
  kFirstFilter
};

// (Appended rather than "?" + to_string(n): GCC 12 at -O3 warns falsely of overlapping
// copies in that form, -Wrestrict, and the benchmarks build with -O3.)
std::string arg(int n) {
  std::string out = "?";
  out += std::to_string(n);
  return out;
}

// A JSON array of strings for json_each, escaped.
std::string json_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
    out += '"';
  }
  return out + "]";
}
}  // namespace

FeaturePage list_features(Db& db, const FeatureQuery& q) {
  const LayerSql& s = sql_of(q.layer);
  // Every fixed parameter appears in the SQL (unused ones as `?n IS ?n`) so that each is
  // bound to the same number whatever the query uses.
  std::string where = " WHERE " + arg(kNow) + " = " + arg(kNow);  // `now`: computed petition fields
  std::vector<std::string> values;  // bound from kFirstFilter on
  for (auto& [name, value] : q.filters) {
    auto it = std::find_if(s.filters.begin(), s.filters.end(), [&n = name](auto& f) { return f.first == n; });
    if (it == s.filters.end()) {
      std::string known;
      for (auto& f : s.filters) known += (known.empty() ? "" : ", ") + f.first;
      throw_invalid("cannot filter " + std::string(to_string(q.layer)) + " by '" + name + "' (use " + known + ")");
    }
    where += " AND " + it->second + " = " + arg(kFirstFilter + static_cast<int>(values.size()));
    values.push_back(value);
  }
  if (q.bbox)
    where += std::string(" AND t.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '") + s.table +
             "' AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))";
  else
    where += " AND ?1 IS ?1 AND ?2 IS ?2 AND ?3 IS ?3 AND ?4 IS ?4";
  if (q.layer == Layer::petitions) where += " AND t.created_at >= ?5 AND t.created_at < ?6";
  else where += " AND ?5 IS ?5 AND ?6 IS ?6";
  where += q.cursor ? std::string(" AND t.") + s.key + " > ?7" : std::string(" AND ?7 IS NULL");
  bool scoped = q.grid_scope || q.handler_worker;
  if (!scoped)
    where += " AND ?10 IS ?10 AND ?11 IS ?11 AND ?12 IS ?12";
  else if (q.layer == Layer::petitions)
    where += " AND (t.grid_code IN (SELECT value FROM json_each(?10)) OR t.reported_by = ?11 OR t.handler_worker_id = ?12)";
  else if (q.layer == Layer::workers)
    where += " AND t.id = ?12 AND ?10 IS ?10 AND ?11 IS ?11";
  else if (q.layer == Layer::households)
    where += " AND t.grid_code IN (SELECT value FROM json_each(?10)) AND ?11 IS ?11 AND ?12 IS ?12";
  else  // boundaries are public to every role
    where += " AND ?10 IS ?10 AND ?11 IS ?11 AND ?12 IS ?12";
  std::string sql = "SELECT " + feature_sql(s) + ", t." + s.key + " FROM " + s.table + " t" + where + " ORDER BY t." +
                    s.key + " LIMIT ?8";
  Statement st(db, sql);
  if (q.bbox)
    st.bind(kMinLon, q.bbox->min_lon).bind(kMinLat, q.bbox->min_lat).bind(kMaxLon, q.bbox->max_lon).bind(kMaxLat, q.bbox->max_lat);
  if (q.layer == Layer::petitions)
    st.bind(kFrom, q.created_from.value_or(INT64_MIN)).bind(kTo, q.created_to.value_or(INT64_MAX));
  if (scoped) {
    st.bind(kScopeGrids, json_strings(q.grid_scope.value_or(std::vector<std::string>{})));
    st.bind(kScopeReporter, q.reporter.value_or("")).bind(kScopeWorker, q.handler_worker.value_or(-1));
  }
  if (q.cursor) {
    if (s.integer_key) {
      try {
        st.bind(kCursor, static_cast<int64_t>(std::stoll(*q.cursor)));
      } catch (...) {
        throw_invalid("cursor '" + *q.cursor + "' is not valid here");
      }
    } else {
      st.bind(kCursor, *q.cursor);
    }
  }
  st.bind(kLimit, static_cast<int64_t>(q.limit + 1));
  st.bind(kNow, q.now);
  for (size_t i = 0; i < values.size(); ++i) st.bind(kFirstFilter + static_cast<int>(i), values[i]);
  FeaturePage page;
  page.json = "{\"type\":\"FeatureCollection\",\"features\":[";
  std::string last;
  while (st.step()) {
    if (page.count == q.limit) {
      page.json += "],\"next\":\"" + last + "\"}";
      return page;
    }
    if (page.count) page.json += ',';
    page.json += st.text(0);
    last = st.text(1);
    ++page.count;
  }
  page.json += "],\"next\":null}";
  return page;
}

namespace {
// The key of a record: a code for areas, an integer id otherwise (nullopt when not one).
std::optional<int64_t> integer_key(const std::string& key) {
  char* end = nullptr;
  long long v = std::strtoll(key.c_str(), &end, 10);
  if (key.empty() || *end) return std::nullopt;
  return static_cast<int64_t>(v);
}

// Binds a record's key as the layer stores it; false when it cannot be one (a non-numeric
// id): no such record.
bool bind_key(Statement& st, int index, const LayerSql& s, const std::string& key) {
  if (!s.integer_key) {
    st.bind(index, key);
    return true;
  }
  auto id = integer_key(key);
  if (id) st.bind(index, *id);
  return id.has_value();
}
}  // namespace

std::optional<std::pair<std::string, int64_t>> get_feature(Db& db, Layer layer, const std::string& key, int64_t now) {
  const LayerSql& s = sql_of(layer);
  Statement st(db, "SELECT " + feature_sql(s) + ", t.version FROM " + s.table + " t WHERE t." + s.key + " = ?10 AND ?9 = ?9");
  if (!bind_key(st, 10, s, key)) return std::nullopt;
  st.bind(9, now);
  if (!st.step()) return std::nullopt;
  return std::make_pair(st.text(0), st.int64(1));
}

bool within_reach(Db& db, Layer layer, const std::string& key, const Reach& reach) {
  auto in_grids = [&](const std::optional<std::string>& grid) {
    return grid && std::find(reach.grids.begin(), reach.grids.end(), *grid) != reach.grids.end();
  };
  if (is_area(layer)) return true;
  auto id = integer_key(key);
  if (!id) return false;
  if (layer == Layer::workers) return reach.worker && *reach.worker == *id;
  if (layer == Layer::households) {
    Statement st(db, "SELECT grid_code FROM households WHERE id = ?1");
    st.bind(1, *id);
    return st.step() && in_grids(st.opt_text(0));
  }
  Statement st(db, "SELECT grid_code, reported_by, handler_worker_id FROM petitions WHERE id = ?1");
  st.bind(1, *id);
  return st.step() && (in_grids(st.opt_text(0)) || st.opt_text(1) == reach.reporter ||
                       (reach.worker && st.opt_int64(2) == reach.worker));
}

std::optional<int64_t> version_of(Db& db, Layer layer, const std::string& key) {
  const LayerSql& s = sql_of(layer);
  Statement st(db, std::string("SELECT version FROM ") + s.table + " WHERE " + s.key + " = ?1");
  if (!bind_key(st, 1, s, key) || !st.step()) return std::nullopt;
  return st.int64(0);
}

void check_version(Db& db, Layer layer, const std::string& key, std::optional<int64_t> expected) {
  if (!expected) return;
  int64_t current = version_of(db, layer, key).value_or(0);
  if (*expected != current)
    throw Error(ErrorKind::precondition_failed, "it changed since version " + std::to_string(*expected) + " (now " +
                                                    std::to_string(current) + "); reload it");
}

void bump_version(Db& db, Layer layer, const std::string& key) {
  const LayerSql& s = sql_of(layer);
  Statement st(db, std::string("UPDATE ") + s.table + " SET version = version + 1 WHERE " + s.key + " = ?1");
  if (bind_key(st, 1, s, key)) st.run();
}

std::optional<Box> extent_of(Db& db, Layer layer, const std::string& key) {
  const LayerSql& s = sql_of(layer);
  Statement st(db, std::string("SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM ") + s.table +
                       " WHERE " + s.key + " = ?1");
  if (!bind_key(st, 1, s, key) || !st.step() || st.is_null(0)) return std::nullopt;
  return Box{st.real(0), st.real(1), st.real(2), st.real(3)};
}

}  // namespace gridmap::data
