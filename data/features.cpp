#include "data/features.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <variant>

#include "core/text.hpp"
#include "data/petition_types.hpp"
#include "data/sql_dialect.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

enum class Type { text, integer, boolean, time };
struct Column {
  const char* name;  // the property's name
  const char* sql;   // its expression over alias t
  Type type;
};
// What a feature holds beyond its columns, read or computed after its row.
enum class Extra { none, grid_workers, worker_grids, petition_clock };

struct LayerSql {
  const char* table;
  const char* key;  // primary key column
  bool integer_key;
  std::vector<Column> columns;
  std::vector<std::pair<std::string, std::string>> filters;  // name -> SQL column expression
  Extra extra = Extra::none;
};

const LayerSql& sql_of(Layer l) {
  using enum Type;
  static const LayerSql subdistricts{"subdistricts",
                                     "code",
                                     false,
                                     {{"code", "t.code", text}, {"name", "t.name", text}},
                                     {{"name", "t.name"}}};
  static const LayerSql communities{
      "communities",
      "code",
      false,
      {{"code", "t.code", text},
       {"name", "t.name", text},
       {"subdistrict_code", "t.subdistrict_code", text}},
      {{"name", "t.name"}, {"subdistrict_code", "t.subdistrict_code"}}};
  static const LayerSql grids{"grids",
                              "code",
                              false,
                              {{"code", "t.code", text},
                               {"name", "t.name", text},
                               {"community_code", "t.community_code", text}},
                              {{"name", "t.name"}, {"community_code", "t.community_code"}},
                              Extra::grid_workers};
  static const LayerSql workers{
      "workers",
      "id",
      true,
      {{"id", "t.id", integer},
       {"name", "t.name", text},
       {"on_duty", "t.on_duty", boolean},
       {"position_at", "t.position_at", time}},
      {{"on_duty", "t.on_duty"},
       {"grid_code", "(SELECT min(grid_code) FROM worker_grids WHERE worker_id = t.id)"}},
      Extra::worker_grids};
  static const LayerSql households{"households",
                                   "id",
                                   true,
                                   {{"id", "t.id", integer},
                                    {"address", "t.address", text},
                                    {"grid_code", "t.grid_code", text},
                                    {"community_code", "t.community_code", text},
                                    {"subdistrict_code", "t.subdistrict_code", text}},
                                   {{"grid_code", "t.grid_code"},
                                    {"community_code", "t.community_code"},
                                    {"subdistrict_code", "t.subdistrict_code"}}};
  static const LayerSql petitions{
      "petitions",
      "id",
      true,
      {{"id", "t.id", integer},
       {"kind", "t.kind", text},
       {"category", "t.category", text},
       {"description", "t.description", text},
       {"status", "t.status", text},
       {"handler_level", "t.handler_level", text},
       {"handler_worker_id", "t.handler_worker_id", integer},
       {"created_at", "t.created_at", time},
       {"deadline_at", "t.deadline_at", time},
       {"closed_at", "t.closed_at", time},
       {"reopened", "t.reopened", integer},
       {"supervised", "t.supervised", boolean},
       {"suspended_at", "t.suspended_at", time},
       {"extension_until", "t.extension_until", time},
       {"extensions", "t.extensions", integer},
       {"department", "(SELECT code FROM departments WHERE id = t.department_id)", text},
       {"merged_into", "t.merged_into", integer},
       {"grid_code", "t.grid_code", text},
       {"community_code", "t.community_code", text},
       {"subdistrict_code", "t.subdistrict_code", text}},
      {{"status", "t.status"},
       {"category", "t.category"},
       {"kind", "t.kind"},
       {"grid_code", "t.grid_code"},
       {"community_code", "t.community_code"},
       {"subdistrict_code", "t.subdistrict_code"},
       {"handler_level", "t.handler_level"},
       {"handler_worker_id", "t.handler_worker_id"},
       {"department", "(SELECT code FROM departments WHERE id = t.department_id)"}},
      Extra::petition_clock};
  switch (l) {
    case Layer::subdistricts:
      return subdistricts;
    case Layer::communities:
      return communities;
    case Layer::grids:
      return grids;
    case Layer::workers:
      return workers;
    case Layer::households:
      return households;
    case Layer::petitions:
      return petitions;
  }
  return grids;
}

// The select list every query of a layer shares: key, geometry, version, then the columns.
// (The geometry comes as GeoJSON from SpatiaLite: an encoding of the geometry alone.)
std::string select_list(const LayerSql& s) {
  std::string out = std::string("t.") + s.key + ", AsGeoJSON(t.geom, 9), t.version";
  for (const Column& c : s.columns) out += std::string(", ") + c.sql;
  return out;
}

constexpr int kFirstColumn = 3;

PropertyValue read_value(const Statement& st, int col, Type type) {
  if (st.is_null(col)) return std::monostate{};
  switch (type) {
    case Type::text:
      return st.text(col);
    case Type::integer:
      return st.int64(col);
    case Type::boolean:
      return st.int64(col) != 0;
    case Type::time:
      return Timestamp{st.int64(col)};
  }
  return std::monostate{};
}

// (Assigned rather than pushed as a braced pair: GCC 12 then warns falsely of an
// uninitialised variant, -Wmaybe-uninitialized.)
void add(Feature& f, const char* name, PropertyValue value) {
  Property& p = f.properties.emplace_back();
  p.name = name;
  p.value = std::move(value);
}

const PropertyValue* property(const Feature& f, std::string_view name) {
  for (const Property& p : f.properties)
    if (name == p.name) return &p.value;
  return nullptr;
}

// Reads what a layer's features hold beyond their row (the statements prepared once per page).
class Extras {
 public:
  Extras(Db& db, const LayerSql& s, int64_t now) : db_(db), extra_(s.extra), now_(now) {}

  void add_to(Feature& f) {
    switch (extra_) {
      case Extra::none:
        return;
      case Extra::grid_workers: {
        if (!lookup_)
          lookup_.emplace(
              db_, "SELECT worker_id FROM worker_grids WHERE grid_code = ?1 ORDER BY worker_id");
        lookup_->bind(1, std::get<std::string>(f.id));
        std::vector<int64_t> ids;
        while (lookup_->step()) ids.push_back(lookup_->int64(0));
        lookup_->reset();
        add(f, "workers", std::move(ids));
        return;
      }
      case Extra::worker_grids: {
        if (!lookup_)
          lookup_.emplace(
              db_, "SELECT grid_code FROM worker_grids WHERE worker_id = ?1 ORDER BY grid_code");
        lookup_->bind(1, std::get<int64_t>(f.id));
        std::vector<std::string> codes;
        while (lookup_->step()) codes.push_back(lookup_->text(0));
        lookup_->reset();
        add(f, "grids", std::move(codes));
        return;
      }
      case Extra::petition_clock: {
        // Age in days (to closing, or to now while open); overdue only while the clock runs.
        auto status = std::get<std::string>(*property(f, "status"));
        int64_t created = std::get<Timestamp>(*property(f, "created_at")).epoch;
        const PropertyValue* closed = property(f, "closed_at");
        int64_t until =
            std::holds_alternative<Timestamp>(*closed) ? std::get<Timestamp>(*closed).epoch : now_;
        add(f, "age_days", std::round((until - created) / 864.0) / 100.0);
        const PropertyValue* deadline = property(f, "deadline_at");
        bool overdue = clock_runs(stored_status(status)) &&
                       std::holds_alternative<Timestamp>(*deadline) &&
                       std::get<Timestamp>(*deadline).epoch < now_;
        add(f, "overdue", overdue);
        return;
      }
    }
  }

 private:
  Db& db_;
  Extra extra_;
  int64_t now_;
  std::optional<Statement> lookup_;
};

// A feature from a row of select_list(s).
Feature read_feature(const Statement& st, const LayerSql& s, Extras& extras) {
  Feature f;
  f.id = s.integer_key ? PropertyValue(st.int64(0)) : PropertyValue(st.text(0));
  f.geometry = st.opt_text(1);
  f.version = st.int64(2);
  f.properties.reserve(s.columns.size() + 3);
  for (size_t i = 0; i < s.columns.size(); ++i)
    add(f, s.columns[i].name,
        read_value(st, kFirstColumn + static_cast<int>(i), s.columns[i].type));
  add(f, "version", f.version);
  extras.add_to(f);
  return f;
}

}  // namespace

std::vector<Queryable> queryables(Layer layer) {
  std::vector<Queryable> out;
  for (const Column& c : sql_of(layer).columns)
    out.push_back({c.name,
                   c.type == Type::integer   ? "integer"
                   : c.type == Type::boolean ? "boolean"
                                             : "string",
                   c.type == Type::time});
  return out;
}

std::vector<std::string> filterable(Layer layer) {
  std::vector<std::string> out;
  for (auto& [name, col] : sql_of(layer).filters) out.push_back(name);
  return out;
}

namespace {
// Fixed parameter numbers of the list query. The caller's filters come after all of them,
// so no number of filters can reach (and rebind) the scope's parameters.
enum Param : int {
  kMinLon = 1,
  kMinLat,
  kMaxLon,
  kMaxLat,  // bbox
  kFrom,
  kTo,  // petitions' created_at window
  kCursor,
  kLimit,
  kNow,
  kScopeGrids,
  kScopeReporter,
  kScopeWorker,
  kScopeDepartment,  // a caller's reach
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

namespace {
using Bound = std::variant<std::string, int64_t, double>;
constexpr size_t kMostConditions = 64;
constexpr size_t kMostAlternatives = 64;  // values of one name=a,b,c filter

// The SQL of a condition over the layer's columns, its literals appended to `values` (bound
// from kFirstFilter on). Throws invalid_input naming an unknown property or a bad literal.
std::string condition_sql(const LayerSql& s, Layer layer, const Condition& c,
                          std::vector<Bound>& values, size_t& count) {
  if (++count > kMostConditions)
    throw_invalid("a filter of more than " + std::to_string(kMostConditions) +
                  " conditions is refused");
  switch (c.kind) {
    case Condition::Kind::all:
    case Condition::Kind::any: {
      if (c.children.empty()) throw_internal("an empty AND/OR");
      std::string out = "(";
      for (size_t i = 0; i < c.children.size(); ++i) {
        if (i) out += c.kind == Condition::Kind::all ? " AND " : " OR ";
        out += condition_sql(s, layer, c.children[i], values, count);
      }
      return out + ")";
    }
    case Condition::Kind::negate:
      if (c.children.size() != 1) throw_internal("NOT of other than one condition");
      return "(NOT " + condition_sql(s, layer, c.children[0], values, count) + ")";
    case Condition::Kind::compare:
      break;
  }
  auto col = std::find_if(s.columns.begin(), s.columns.end(),
                          [&](const Column& x) { return c.property == x.name; });
  if (col == s.columns.end()) {
    std::string known;
    for (const Column& x : s.columns) known += (known.empty() ? "" : ", ") + std::string(x.name);
    throw_invalid("cannot filter " + std::string(to_string(layer)) + " by '" + c.property +
                  "' (its queryables: " + known + ")");
  }
  if (c.op == CompareOp::is_null) return "(" + std::string(col->sql) + " IS NULL)";
  if (c.op == CompareOp::is_not_null) return "(" + std::string(col->sql) + " IS NOT NULL)";
  // The literal as the column holds it: a time as epoch seconds, a flag as 0 or 1.
  Bound v;
  if (auto* text = std::get_if<std::string>(&c.value)) {
    if (col->type == Type::time) {
      auto t = parse_time(*text);
      if (!t) throw_invalid("'" + c.property + "' is a time: '" + *text + "' is not one");
      v = *t;
    } else {
      v = *text;
    }
  } else if (auto* b = std::get_if<bool>(&c.value)) {
    v = int64_t{*b ? 1 : 0};
  } else if (auto* i = std::get_if<int64_t>(&c.value)) {
    v = *i;
  } else {
    v = std::get<double>(c.value);
  }
  static const char* const kOps[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};
  std::string out = "(" + std::string(col->sql) + kOps[static_cast<int>(c.op)] +
                    arg(kFirstFilter + static_cast<int>(values.size())) + ")";
  values.push_back(std::move(v));
  return out;
}
}  // namespace

FeaturePage list_features(Db& db, const FeatureQuery& q) {
  const LayerSql& s = sql_of(q.layer);
  // Every fixed parameter appears in the SQL (unused ones as `?n IS ?n`) so that each is
  // bound to the same number whatever the query uses.
  std::string where = " WHERE " + arg(kNow) + " = " + arg(kNow);  // `now`: computed petition fields
  std::vector<Bound> values;                                      // bound from kFirstFilter on
  for (auto& [name, value] : q.filters) {
    auto it = std::find_if(s.filters.begin(), s.filters.end(),
                           [&n = name](auto& f) { return f.first == n; });
    if (it == s.filters.end()) {
      std::string known;
      for (auto& f : s.filters) known += (known.empty() ? "" : ", ") + f.first;
      throw_invalid("cannot filter " + std::string(to_string(q.layer)) + " by '" + name +
                    "' (use " + known + ")");
    }
    // name=a,b,c: any of them.
    std::vector<std::string_view> alternatives = split(value, ',');
    if (alternatives.size() > kMostAlternatives)
      throw_invalid("'" + name + "' lists more than " + std::to_string(kMostAlternatives) +
                    " values");
    // A number is compared as a number: text that is none is refused (SQLite would compare it
    // and find nothing, PostgreSQL would fail).
    auto column = std::find_if(s.columns.begin(), s.columns.end(),
                               [&n = name](const Column& c) { return c.name == n; });
    bool numeric = column != s.columns.end() &&
                   (column->type == Type::integer || column->type == Type::boolean);
    where += " AND " + it->second + " IN (";
    for (size_t i = 0; i < alternatives.size(); ++i) {
      if (i) where += ", ";
      where += arg(kFirstFilter + static_cast<int>(values.size()));
      if (numeric) {
        int64_t n = 0;
        std::string_view a = alternatives[i];
        auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
        if (ec != std::errc() || end != a.data() + a.size())
          throw_invalid("'" + name + "' is a whole number: '" + std::string(a) + "' is not one");
        values.emplace_back(std::in_place_type<int64_t>, n);
      } else {
        values.emplace_back(std::in_place_type<std::string>, alternatives[i]);
      }
    }
    where += ")";
  }
  if (q.mine) {
    if (q.layer != Layer::petitions) throw_invalid("only petitions are someone's own");
    where += " AND (t.reported_by = " + arg(kFirstFilter + static_cast<int>(values.size()));
    values.emplace_back(std::in_place_type<std::string>, q.mine->reporter);
    where +=
        " OR t.handler_worker_id = " + arg(kFirstFilter + static_cast<int>(values.size())) + ")";
    values.emplace_back(std::in_place_type<int64_t>, q.mine->worker_id.value_or(-1));
  }
  if (q.condition) {
    size_t count = 0;
    where += " AND " + condition_sql(s, q.layer, *q.condition, values, count);
  }
  if (q.bbox)
    where += " AND " + box_condition(db.postgresql(), s.table, "t", 1);
  else
    where += " AND ?1 IS ?1 AND ?2 IS ?2 AND ?3 IS ?3 AND ?4 IS ?4";
  if (q.layer == Layer::petitions)
    where += " AND t.created_at >= ?5 AND t.created_at < ?6";
  else
    where += " AND ?5 IS ?5 AND ?6 IS ?6";
  where += q.cursor ? std::string(" AND t.") + s.key + (q.newest_first ? " < ?7" : " > ?7")
                    : std::string(" AND ?7 IS NULL");
  bool scoped = q.grid_scope || q.handler_worker;
  if (!scoped)
    where += " AND ?10 IS ?10 AND ?11 IS ?11 AND ?12 IS ?12 AND ?13 IS ?13";
  else if (q.layer == Layer::petitions)
    where +=
        " AND (t.grid_code IN (SELECT value FROM json_each(?10)) OR t.reported_by = ?11 OR "
        "t.handler_worker_id = ?12 OR t.department_id = ?13)";
  else if (q.layer == Layer::workers)
    where += " AND t.id = ?12 AND ?10 IS ?10 AND ?11 IS ?11 AND ?13 IS ?13";
  else if (q.layer == Layer::households)
    where +=
        " AND t.grid_code IN (SELECT value FROM json_each(?10)) AND ?11 IS ?11 AND ?12 IS ?12 AND "
        "?13 IS ?13";
  else  // boundaries are public to every role
    where += " AND ?10 IS ?10 AND ?11 IS ?11 AND ?12 IS ?12 AND ?13 IS ?13";
  std::string sql = "SELECT " + select_list(s) + " FROM " + s.table + " t" + where +
                    " ORDER BY t." + s.key + (q.newest_first ? " DESC" : "") + " LIMIT ?8";
  Statement st(db, sql);
  if (q.bbox)
    st.bind(kMinLon, q.bbox->min_lon)
        .bind(kMinLat, q.bbox->min_lat)
        .bind(kMaxLon, q.bbox->max_lon)
        .bind(kMaxLat, q.bbox->max_lat);
  if (q.layer == Layer::petitions)
    st.bind(kFrom, q.created_from.value_or(INT64_MIN)).bind(kTo, q.created_to.value_or(INT64_MAX));
  if (scoped) {
    st.bind(kScopeGrids, json_strings(q.grid_scope.value_or(std::vector<std::string>{})));
    st.bind(kScopeReporter, q.reporter.value_or(""))
        .bind(kScopeWorker, q.handler_worker.value_or(-1))
        .bind(kScopeDepartment, q.department.value_or(-1));
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
  for (size_t i = 0; i < values.size(); ++i)
    std::visit([&](const auto& v) { st.bind(kFirstFilter + static_cast<int>(i), v); }, values[i]);
  FeaturePage page;
  Extras extras(db, s, q.now);
  while (st.step()) {
    if (page.features.size() == q.limit) {
      // The cursor is the last key served: the row after it starts the next page.
      const PropertyValue& last = page.features.back().id;
      page.next =
          s.integer_key ? std::to_string(std::get<int64_t>(last)) : std::get<std::string>(last);
      return page;
    }
    page.features.push_back(read_feature(st, s, extras));
  }
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

std::optional<Feature> get_feature(Db& db, Layer layer, const std::string& key, int64_t now) {
  const LayerSql& s = sql_of(layer);
  Statement st(db,
               "SELECT " + select_list(s) + " FROM " + s.table + " t WHERE t." + s.key + " = ?1");
  if (!bind_key(st, 1, s, key)) return std::nullopt;
  if (!st.step()) return std::nullopt;
  Extras extras(db, s, now);
  return read_feature(st, s, extras);
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
  Statement st(db,
               "SELECT grid_code, reported_by, handler_worker_id, department_id FROM petitions "
               "WHERE id = ?1");
  st.bind(1, *id);
  return st.step() && (in_grids(st.opt_text(0)) || st.opt_text(1) == reach.reporter ||
                       (reach.worker && st.opt_int64(2) == reach.worker) ||
                       (reach.department && st.opt_int64(3) == reach.department));
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
    throw Error(ErrorKind::precondition_failed, "it changed since version " +
                                                    std::to_string(*expected) + " (now " +
                                                    std::to_string(current) + "); reload it");
}

void bump_version(Db& db, Layer layer, const std::string& key) {
  const LayerSql& s = sql_of(layer);
  Statement st(
      db, std::string("UPDATE ") + s.table + " SET version = version + 1 WHERE " + s.key + " = ?1");
  if (bind_key(st, 1, s, key)) st.run();
}

std::optional<Box> extent_of(Db& db, Layer layer, const std::string& key) {
  const LayerSql& s = sql_of(layer);
  Statement st(
      db, std::string("SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM ") +
              s.table + " WHERE " + s.key + " = ?1");
  if (!bind_key(st, 1, s, key) || !st.step() || st.is_null(0)) return std::nullopt;
  return Box{st.real(0), st.real(1), st.real(2), st.real(3)};
}

}  // namespace gridmap::data
