// GET /api/v1/stats, GET /api/v1/coverage, GET /api/v1/hotspots
#include "data/stats.hpp"
#include "data/catalogue.hpp"
#include "data/hotspot_store.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/handlers/tile_params.hpp"
#include "server/json.hpp"
#include "tiles/layers.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {
namespace {

const char* level_name(data::StatsLevel l) {
  switch (l) {
    case data::StatsLevel::grid:
      return "grid";
    case data::StatsLevel::community:
      return "community";
    case data::StatsLevel::subdistrict:
      return "subdistrict";
    case data::StatsLevel::worker:
      return "worker";
    case data::StatsLevel::category:
      return "category";
    case data::StatsLevel::department:
      return "department";
    case data::StatsLevel::all:
      return "all";
  }
  return "grid";
}

constexpr const char* kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

enum class Format { json, csv, xlsx };

// format=json|csv|xlsx, else the Accept header (text/csv, the .xlsx type), else JSON.
Format format_of(const Request& req) {
  if (auto f = req.param("format")) {
    if (*f == "json") return Format::json;
    if (*f == "csv") return Format::csv;
    if (*f == "xlsx") return Format::xlsx;
    throw_invalid("'format' must be json, csv or xlsx");
  }
  std::string accept = req.header("accept").value_or("");
  if (accept.find("text/csv") != std::string::npos) return Format::csv;
  if (accept.find(kXlsxType) != std::string::npos) return Format::xlsx;
  return Format::json;
}

data::StatsQuery stats_query(App& app, const Request& req) {
  data::StatsQuery q;
  q.now = App::now();
  q.filter.subdistrict_code = req.param("subdistrict_code");
  q.filter.community_code = req.param("community_code");
  q.filter.category = req.param("category");
  if (q.filter.category && !data::Catalogue(app.read_db()).get(*q.filter.category))
    throw_invalid("unknown category '" + *q.filter.category + "' (see /api/v1/catalogue)");
  auto level = data::parse_stats_level(req.param("level").value_or("grid"));
  if (!level)
    throw_invalid(
        "'level' must be grid, community, subdistrict, worker, category, department or all");
  q.level = *level;
  q.from = time_param(req, "from");
  q.to = time_param(req, "to");
  if (q.from && q.to && *q.from >= *q.to) throw_invalid("'from' must be before 'to'");
  if (auto series = req.param("series")) {
    if (*series != "month") throw_invalid("'series' must be month");
    q.series = data::StatsSeries::month;
    // By default the last 12 months, this one included.
    if (!q.to) q.to = data::month_start(q.from ? std::max(*q.from, q.now) : q.now, 1);
    if (!q.from) q.from = data::month_start(*q.to - 1, -11);
    if (*q.from >= *q.to) throw_invalid("'from' must be before 'to'");
  }
  if (auto sort = req.param("sort")) {
    q.sort = data::parse_stats_key(*sort);
    if (!q.sort) throw_invalid("'sort' must be one of " + data::stats_key_names());
  }
  auto order = req.param("order").value_or("desc");
  if (order != "asc" && order != "desc") throw_invalid("'order' must be asc or desc");
  if (req.param("order") && !q.sort) throw_invalid("'order' needs 'sort'");
  q.descending = order == "desc";
  return q;
}

void write_row(JsonWriter& w, const data::StatsRow& r, bool ranked) {
  w.StartObject();
  if (ranked) {
    w.Key("rank");
    if (r.rank)
      w.Int64(*r.rank);
    else
      w.Null();
  }
  if (r.month) {
    w.Key("month");
    write_string(w, *r.month);
  }
  w.Key("code");
  write_string(w, r.code);
  w.Key("name");
  write_string(w, r.name);
  auto time = [&](const char* k, const std::optional<int64_t>& t) {
    w.Key(k);
    if (t)
      write_string(w, data::format_time(*t));
    else
      w.Null();
  };
  time("from", r.from);
  time("to", r.to);
  auto count = [&](const char* k, int64_t v) {
    w.Key(k);
    w.Int64(v);
  };
  auto rate = [&](const char* k, double v) {
    w.Key(k);
    write_number(w, v, 4);
  };
  auto hours = [&](const char* k, const std::optional<double>& v) {
    w.Key(k);
    if (v)
      write_number(w, *v, 1);
    else
      w.Null();
  };
  count("total", r.total);
  w.Key("by_status");
  w.StartObject();
  for (data::Status s : data::kAllStatuses) {
    w.Key(data::to_string(s).data(), static_cast<rapidjson::SizeType>(data::to_string(s).size()));
    w.Int64(r.by_status[static_cast<size_t>(s)]);
  }
  w.EndObject();
  count("due", r.due);
  count("closed", r.closed);
  count("closed_on_time", r.closed_on_time);
  rate("completion_rate", r.completion_rate);
  rate("on_time_rate", r.on_time_rate);
  count("reopened", r.reopened);
  rate("rework_rate", r.rework_rate);
  count("followed_up", r.followed_up);
  count("satisfied", r.satisfied);
  rate("satisfaction_rate", r.satisfaction_rate);
  count("extended", r.extended);
  rate("extension_rate", r.extension_rate);
  count("overdue", r.overdue);
  hours("mean_hours_to_close", r.mean_hours_to_close);
  hours("p90_hours_to_close", r.p90_hours_to_close);
  w.EndObject();
}

Response download(const data::StatsQuery& q, const std::vector<data::StatsRow>& rows, Format f) {
  data::Sheet sheet = data::stats_sheet(rows, q.level);
  Response res;
  // Appended piece by piece: GCC 12 at -O3 (the benchmarks) warns falsely of overlapping
  // copies in "-" + ... (-Wrestrict).
  std::string name = "kpi-";
  name.append(level_name(q.level));
  if (q.series == data::StatsSeries::month) name.append("-monthly");
  for (const auto& t : {q.from, q.to})
    if (t) name.append("-").append(data::local_time(*t), 0, 10);
  if (f == Format::csv) {
    res.content_type = "text/csv; charset=utf-8";
    res.body = data::sheet_csv(sheet);
    name += ".csv";
  } else {
    res.content_type = kXlsxType;
    res.body = data::sheet_xlsx(sheet);
    name += ".xlsx";
  }
  res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  return res;
}

Response stats(App& app, const Request& req, const Context& ctx) {
  data::StatsQuery q = stats_query(app, req);
  Format f = format_of(req);
  auto rows = data::petition_stats(app.replica_db(ctx), q);
  if (f != Format::json) return download(q, rows, f);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& r : rows) write_row(w, r, q.sort.has_value());
  w.EndArray();
  return json_response(buf.GetString());
}

Response hotspots(App& app, const Request& req, const Context&) {
  data::HotspotQuery q = hotspot_query(app, req);
  auto result = app.tiles().hotspots().get(app.tile_db(), q);
  return geojson_response(data::hotspots_geojson(*result->layout, result->spots));
}

}  // namespace

data::HotspotQuery hotspot_query(App& app, const Request& req) {
  data::HotspotQuery q;
  // Without `to`, the window ends with the current hour: the same window for an hour, so
  // that its tiles stay cached (no petition is reported ahead of now).
  q.to = time_param(req, "to").value_or((App::now() / 3600 + 1) * 3600);
  q.from = time_param(req, "from").value_or(q.to - 90 * 86400);
  if (q.from >= q.to) throw_invalid("'from' must be before 'to'");
  q.category = req.param("category");
  q.kind = req.param("kind");
  tiles::PetitionFilter f;
  if (q.category) f.category.push_back(*q.category);
  if (q.kind) f.kind.push_back(*q.kind);
  tiles::validate(app.read_db(), f);  // unknown categories and kinds are refused
  auto value = req.param("value").value_or("count");
  if (value != "count" && value != "per_household")
    throw_invalid("'value' must be count or per_household");
  q.per_household = value == "per_household";
  return q;
}

void register_stats(Router& r) {
  r.add("GET", "/api/v1/stats", "stats", stats);
  r.add("GET", "/api/v1/coverage", "coverage", [](App& app, const Request&, const Context&) {
    return json_response(app.coverage_json());
  });
  r.add("GET", "/api/v1/hotspots", "hotspots", hotspots);
}

}  // namespace gridmap::server
