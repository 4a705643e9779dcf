#include "data/stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "data/petition_types.hpp"

namespace gridmap::data {

std::optional<StatsLevel> parse_stats_level(std::string_view s) noexcept {
  if (s == "grid") return StatsLevel::grid;
  if (s == "community") return StatsLevel::community;
  if (s == "subdistrict") return StatsLevel::subdistrict;
  if (s == "worker") return StatsLevel::worker;
  return std::nullopt;
}

namespace {
const char* key_column(StatsLevel l) {
  switch (l) {
    case StatsLevel::grid: return "grid_code";
    case StatsLevel::community: return "community_code";
    case StatsLevel::subdistrict: return "subdistrict_code";
    case StatsLevel::worker: return "CAST(handler_worker_id AS TEXT)";
  }
  return "grid_code";
}

const char* names_sql(StatsLevel l) {
  switch (l) {
    case StatsLevel::grid: return "SELECT code, name FROM grids";
    case StatsLevel::community: return "SELECT code, name FROM communities";
    case StatsLevel::subdistrict: return "SELECT code, name FROM subdistricts";
    case StatsLevel::worker: return "SELECT CAST(id AS TEXT), name FROM workers";
  }
  return "";
}

double ratio(int64_t a, int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
}  // namespace

std::vector<StatsRow> petition_stats(Db& db, StatsLevel level, std::optional<int64_t> from, std::optional<int64_t> to,
                                     int64_t now, const StatsFilter& filter) {
  std::map<std::string, StatsRow> rows;
  std::map<std::string, std::vector<double>> hours;
  Statement st(db, std::string("SELECT ") + key_column(level) +
                       ", status, created_at, deadline_at, closed_at, reopened, extensions, "
                       // 回访: the latest follow-up that reached the reporter
                       "(SELECT satisfaction FROM petition_followups f WHERE f.petition_id = petitions.id AND "
                       "f.reached = 1 ORDER BY f.id DESC LIMIT 1) FROM petitions "
                       "WHERE created_at >= ?1 AND created_at < ?2 AND " +
                       key_column(level) +
                       " IS NOT NULL AND (?3 IS NULL OR subdistrict_code = ?3) AND (?4 IS NULL OR community_code = ?4) "
                       "AND (?5 IS NULL OR category = ?5 OR category IN (SELECT code FROM categories WHERE parent = ?5))");
  st.bind(1, from.value_or(INT64_MIN)).bind(2, to.value_or(INT64_MAX));
  st.bind(3, filter.subdistrict_code).bind(4, filter.community_code).bind(5, filter.category);
  while (st.step()) {
    std::string code = st.text(0);
    Status status = stored_status(st.text(1));
    StatsRow& r = rows[code];
    ++r.total;
    ++r.by_status[static_cast<size_t>(status)];
    r.closed += status == Status::closed;
    auto deadline = st.opt_int64(3), closed = st.opt_int64(4);
    if (status == Status::closed && closed) {
      if (!deadline || *closed <= *deadline) ++r.closed_on_time;
      hours[code].push_back(static_cast<double>(*closed - st.int64(2)) / 3600.0);
    } else if (clock_runs(status) && deadline && *deadline < now) {
      ++r.overdue;
    }
    r.reopened += st.int64(5) != 0;
    r.extended += st.int64(6) > 0;
    if (!st.is_null(7)) {
      ++r.followed_up;
      r.satisfied += st.text(7) != "unsatisfied";
    }
  }
  Statement names(db, names_sql(level));
  while (names.step())
    if (auto it = rows.find(names.text(0)); it != rows.end()) it->second.name = names.text(1);
  std::vector<StatsRow> out;
  for (auto& [code, r] : rows) {
    r.code = code;
    r.completion_rate = ratio(r.closed, r.total);
    r.on_time_rate = ratio(r.closed_on_time, r.closed);
    r.rework_rate = ratio(r.reopened, r.closed);
    r.satisfaction_rate = ratio(r.satisfied, r.followed_up);
    r.extension_rate = ratio(r.extended, r.total);
    auto& h = hours[code];
    if (!h.empty()) {
      double sum = 0;
      for (double x : h) sum += x;
      r.mean_hours_to_close = sum / static_cast<double>(h.size());
      std::sort(h.begin(), h.end());
      size_t idx = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(h.size()))) - 1;
      r.p90_hours_to_close = h[std::min(idx, h.size() - 1)];
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gridmap::data
