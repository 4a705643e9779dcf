#include "data/stats.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

#include "data/calendar_store.hpp"
#include "data/csv.hpp"
#include "data/petition_types.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

std::optional<StatsLevel> parse_stats_level(std::string_view s) noexcept {
  if (s == "grid") return StatsLevel::grid;
  if (s == "community") return StatsLevel::community;
  if (s == "subdistrict") return StatsLevel::subdistrict;
  if (s == "worker") return StatsLevel::worker;
  if (s == "category") return StatsLevel::category;
  if (s == "department") return StatsLevel::department;
  if (s == "all") return StatsLevel::all;
  return std::nullopt;
}

namespace {

constexpr std::array<std::pair<std::string_view, StatsKey>, 10> kKeys = {{
    {"completion_rate", StatsKey::completion_rate},
    {"on_time_rate", StatsKey::on_time_rate},
    {"rework_rate", StatsKey::rework_rate},
    {"extension_rate", StatsKey::extension_rate},
    {"satisfaction_rate", StatsKey::satisfaction_rate},
    {"mean_hours_to_close", StatsKey::mean_hours_to_close},
    {"p90_hours_to_close", StatsKey::p90_hours_to_close},
    {"overdue", StatsKey::overdue},
    {"due", StatsKey::due},
    {"total", StatsKey::total},
}};

}  // namespace

std::optional<StatsKey> parse_stats_key(std::string_view s) noexcept {
  for (auto& [name, key] : kKeys)
    if (name == s) return key;
  return std::nullopt;
}

std::string stats_key_names() {
  std::string out;
  for (auto& [name, key] : kKeys) out.append(out.empty() ? "" : ", ").append(name);
  return out;
}

std::string local_time(int64_t t) {
  std::string iso = format_time(t + 8 * 3600);  // "2026-03-01T00:00:00Z"
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

int64_t month_start(int64_t t, int months) {
  std::string date = CstDate::containing(t).to_string();  // "2026-03-14"
  int64_t index = std::stoll(date.substr(0, 4)) * 12 + std::stoll(date.substr(5, 2)) - 1 + months;
  int64_t y = index >= 0 ? index / 12 : (index - 11) / 12;
  return CstDate::civil(static_cast<int>(y), static_cast<unsigned>(index - y * 12 + 1), 1).start();
}

std::vector<std::pair<int64_t, int64_t>> month_periods(int64_t from, int64_t to) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t start = from; start < to;) {
    int64_t next = std::min(to, month_start(start, 1));
    out.emplace_back(start, next);
    start = next;
  }
  return out;
}

namespace {

const char* key_column(StatsLevel l) {
  switch (l) {
    case StatsLevel::grid:
      return "grid_code";
    case StatsLevel::community:
      return "community_code";
    case StatsLevel::subdistrict:
      return "subdistrict_code";
    case StatsLevel::worker:
      return "CAST(handler_worker_id AS TEXT)";
    case StatsLevel::category:
      return "category";
    case StatsLevel::department:
      return "CAST(department_id AS TEXT)";
    case StatsLevel::all:
      return "'all'";
  }
  return "grid_code";
}

const char* names_sql(StatsLevel l) {
  switch (l) {
    case StatsLevel::grid:
      return "SELECT code, name FROM grids";
    case StatsLevel::community:
      return "SELECT code, name FROM communities";
    case StatsLevel::subdistrict:
      return "SELECT code, name FROM subdistricts";
    case StatsLevel::worker:
      return "SELECT CAST(id AS TEXT), name FROM workers";
    case StatsLevel::category:
      return "SELECT code, name FROM categories";
    case StatsLevel::department:
      return "SELECT CAST(id AS TEXT), name FROM departments";
    case StatsLevel::all:
      return "SELECT 'all', '全部'";
  }
  return "";
}

double ratio(int64_t a, int64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

// The 挂起 (true) and 恢复 (false) events of every case, in order, read at once: a partial
// index (schema 10) holds only these rows, so this costs what the few suspensions cost. The
// status is written into the SQL from the enum (a bound value could not use the index).
using PauseEvents = std::unordered_map<int64_t, std::vector<std::pair<int64_t, bool>>>;
PauseEvents pause_events(Db& db) {
  std::string s = "'" + std::string(to_string(Status::suspended)) + "'";
  Statement st(db, "SELECT petition_id, at, to_status = " + s +
                       " FROM petition_events WHERE to_status = " + s + " OR from_status = " + s +
                       " ORDER BY petition_id, at, id");
  PauseEvents out;
  while (st.step()) out[st.int64(0)].emplace_back(st.int64(1), st.int64(2) != 0);
  return out;
}

// 回访: of every case whose reporter a follow-up reached, whether the latest such one was
// satisfied (or basically), read at once rather than per case.
std::unordered_map<int64_t, bool> latest_follow_ups(Db& db) {
  Statement st(db,
               "SELECT petition_id, satisfaction FROM petition_followups WHERE reached = 1 ORDER "
               "BY petition_id, id");
  std::unordered_map<int64_t, bool> out;
  while (st.step()) out[st.int64(0)] = st.opt_text(1) != std::optional<std::string>("unsatisfied");
  return out;
}

// The suspensions of a closed case from its events, in order; one still running at the
// close ends there.
std::vector<Pause> pauses_of(const std::vector<std::pair<int64_t, bool>>& events,
                             int64_t closed_at) {
  std::vector<Pause> out;
  constexpr int64_t kNone = INT64_MIN;
  int64_t start = kNone;
  for (auto [at, suspended] : events) {
    if (suspended) {
      if (start == kNone) start = at;
    } else if (start != kNone) {
      out.push_back({start, at});
      start = kNone;
    }
  }
  if (start != kNone) out.push_back({start, std::max(start, closed_at)});
  return out;
}

// Which bucket (period) an instant falls in: [starts[i], ends[i]).
struct Buckets {
  std::vector<std::pair<int64_t, int64_t>> periods;
  std::optional<size_t> of(int64_t t) const {
    auto it = std::upper_bound(periods.begin(), periods.end(), t,
                               [](int64_t v, const auto& p) { return v < p.first; });
    if (it == periods.begin()) return std::nullopt;
    --it;
    if (t >= it->second) return std::nullopt;
    return static_cast<size_t>(it - periods.begin());
  }
};

struct Acc {
  StatsRow row;
  std::vector<double> hours;
};

void finish(StatsRow& r, std::vector<double>& h) {
  r.completion_rate = ratio(r.closed, r.due);
  r.on_time_rate = ratio(r.closed_on_time, r.due);
  r.rework_rate = ratio(r.reopened, r.closed);
  r.extension_rate = ratio(r.extended, r.due);
  r.satisfaction_rate = ratio(r.satisfied, r.followed_up);
  if (h.empty()) return;
  double sum = 0;
  for (double x : h) sum += x;
  r.mean_hours_to_close = sum / static_cast<double>(h.size());
  size_t idx = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(h.size()))) - 1;
  std::nth_element(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(idx), h.end());
  r.p90_hours_to_close = h[idx];
}

// The value a row is ranked by; nullopt when no case stands behind it (a rate of nothing).
std::optional<double> key_value(const StatsRow& r, StatsKey k) {
  auto rate = [](double v, int64_t denominator) {
    return denominator ? std::optional<double>(v) : std::nullopt;
  };
  switch (k) {
    case StatsKey::completion_rate:
      return rate(r.completion_rate, r.due);
    case StatsKey::on_time_rate:
      return rate(r.on_time_rate, r.due);
    case StatsKey::rework_rate:
      return rate(r.rework_rate, r.closed);
    case StatsKey::extension_rate:
      return rate(r.extension_rate, r.due);
    case StatsKey::satisfaction_rate:
      return rate(r.satisfaction_rate, r.followed_up);
    case StatsKey::mean_hours_to_close:
      return r.mean_hours_to_close;
    case StatsKey::p90_hours_to_close:
      return r.p90_hours_to_close;
    case StatsKey::overdue:
      return static_cast<double>(r.overdue);
    case StatsKey::due:
      return static_cast<double>(r.due);
    case StatsKey::total:
      return static_cast<double>(r.total);
  }
  return std::nullopt;
}

// Sorts the rows of each month by the key (rows without a value last, unranked; equal
// values by code) and ranks them.
void rank(std::vector<StatsRow>& rows, StatsKey key, bool descending) {
  auto before = [&](const StatsRow& a, const StatsRow& b) {
    if (a.month != b.month) return a.month < b.month;
    auto va = key_value(a, key), vb = key_value(b, key);
    if (va.has_value() != vb.has_value()) return va.has_value();
    if (va && *va != *vb) return descending ? *va > *vb : *va < *vb;
    return a.code < b.code;
  };
  std::sort(rows.begin(), rows.end(), before);
  size_t group = 0;  // where the month's rows begin
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].month != rows[i - 1].month) group = i;
    auto v = key_value(rows[i], key);
    if (!v) continue;
    if (i > group && key_value(rows[i - 1], key) == v)
      rows[i].rank = rows[i - 1].rank;
    else
      rows[i].rank = static_cast<int64_t>(i - group) + 1;
  }
}

// The codes of every area of an area level within a subdistrict (?1) and community (?2)
// filter; null for the other levels.
const char* area_codes_sql(StatsLevel level) {
  switch (level) {
    case StatsLevel::grid:
      return "SELECT g.code FROM grids g LEFT JOIN communities c ON c.code = g.community_code "
             "WHERE (?1 IS NULL OR c.subdistrict_code = ?1) AND (?2 IS NULL OR g.community_code "
             "= ?2)";
    case StatsLevel::community:
      return "SELECT code FROM communities WHERE (?1 IS NULL OR subdistrict_code = ?1) AND (?2 "
             "IS NULL OR code = ?2)";
    case StatsLevel::subdistrict:
      return "SELECT code FROM subdistricts WHERE (?1 IS NULL OR code = ?1) AND (?2 IS NULL OR "
             "code = (SELECT subdistrict_code FROM communities WHERE code = ?2))";
    default:
      return nullptr;
  }
}
}  // namespace

std::vector<StatsRow> petition_stats(Db& db, const StatsQuery& q, const WorkCalendar& calendar) {
  if (q.from && q.to && *q.from >= *q.to) throw_invalid("'from' must be before 'to'");
  Buckets buckets;
  std::vector<std::string> months;
  if (q.series == StatsSeries::month) {
    if (!q.from || !q.to) throw_invalid("a monthly series needs 'from' and 'to'");
    buckets.periods = month_periods(*q.from, *q.to);
    if (buckets.periods.size() > 120) throw_invalid("a monthly series spans at most 120 months");
    for (auto& p : buckets.periods)
      months.push_back(CstDate::containing(p.first).to_string().substr(0, 7));
  } else {
    buckets.periods = {{q.from.value_or(INT64_MIN), q.to.value_or(INT64_MAX)}};
  }
  const int64_t lo = buckets.periods.front().first, hi = buckets.periods.back().second;

  // Rows by (code, bucket): codes numbered as met, rows[code × buckets + bucket] (a series
  // has every month of each code anyway).
  std::unordered_map<std::string, size_t> code_index;
  std::vector<std::string> codes;
  std::vector<Acc> rows;
  std::vector<bool> used;
  const size_t nb = buckets.periods.size();
  auto code_of = [&](std::string code) {
    auto [it, fresh] = code_index.try_emplace(std::move(code), codes.size());
    if (fresh) {
      codes.push_back(it->first);
      rows.resize(codes.size() * nb);
      used.resize(codes.size() * nb);
    }
    return it->second;
  };
  auto row = [&](size_t bucket, size_t code) -> Acc& {
    used[code * nb + bucket] = true;
    return rows[code * nb + bucket];
  };
  const PauseEvents pauses = pause_events(db);
  const std::unordered_map<int64_t, bool> followed = latest_follow_ups(db);
  Statement st(
      db,
      std::string("SELECT ") + key_column(q.level) +
          ", status, created_at, deadline_at, closed_at, reopened, extensions, id FROM petitions "
          "WHERE ((created_at >= ?1 AND created_at < ?2) OR (deadline_at >= ?1 AND deadline_at < "
          "?2)) AND merged_into IS NULL AND " +
          key_column(q.level) +
          " IS NOT NULL AND (?3 IS NULL OR subdistrict_code = ?3) AND (?4 IS NULL OR "
          "community_code = ?4) AND (?5 IS NULL OR category = ?5 OR category IN (SELECT code FROM "
          "categories WHERE parent = ?5))");
  st.bind(1, lo).bind(2, hi);
  st.bind(3, q.filter.subdistrict_code).bind(4, q.filter.community_code).bind(5, q.filter.category);
  while (st.step()) {
    size_t code = code_of(st.text(0));
    Status status = stored_status(st.text(1));
    int64_t created = st.int64(2);
    auto deadline = st.opt_int64(3), closed = st.opt_int64(4);
    if (auto b = buckets.of(created)) {
      StatsRow& r = row(*b, code).row;
      ++r.total;
      ++r.by_status[static_cast<size_t>(status)];
    }
    if (!deadline || status == Status::rejected || status == Status::withdrawn) continue;
    auto b = buckets.of(*deadline);
    if (!b) continue;
    Acc& a = row(*b, code);
    StatsRow& r = a.row;
    ++r.due;
    if (status == Status::closed && closed) {
      ++r.closed;
      r.closed_on_time += *closed <= *deadline;
      auto paused = pauses.find(st.int64(7));
      std::vector<Pause> pauses_here =
          paused == pauses.end() ? std::vector<Pause>{} : pauses_of(paused->second, *closed);
      a.hours.push_back(static_cast<double>(calendar.elapsed(created, *closed, pauses_here)) /
                        3600.0);
    } else if (clock_runs(status) && *deadline < q.now) {
      ++r.overdue;
    }
    r.reopened += st.int64(5) != 0;
    r.extended += st.int64(6) > 0;
    if (auto f = followed.find(st.int64(7)); f != followed.end()) {
      ++r.followed_up;
      r.satisfied += f->second;
    }
  }
  // Every area of the level within the filter, those without a case too: a KPI table of a
  // community's grids lists all of them, with zeros.
  if (const char* areas = area_codes_sql(q.level)) {
    Statement as(db, areas);
    as.bind(1, q.filter.subdistrict_code).bind(2, q.filter.community_code);
    while (as.step()) {
      size_t code = code_of(as.text(0));
      for (size_t b = 0; b < nb; ++b) row(b, code);
    }
  }
  if (q.series == StatsSeries::month)  // every month of each row, zeros included: no gaps
    used.assign(used.size(), true);
  std::unordered_map<std::string, std::string> names;
  Statement ns(db, names_sql(q.level));
  while (ns.step()) names.emplace(ns.text(0), ns.text(1));
  // By month, then code.
  std::vector<size_t> order;
  order.reserve(rows.size());
  for (size_t key = 0; key < used.size(); ++key)
    if (used[key]) order.push_back(key);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (x % nb != y % nb) return x % nb < y % nb;
    return codes[x / nb] < codes[y / nb];
  });
  std::vector<StatsRow> out;
  out.reserve(order.size());
  for (size_t key : order) {
    Acc& a = rows[key];
    const size_t bucket = key % nb;
    StatsRow& r = a.row;
    r.code = codes[key / nb];
    if (auto it = names.find(r.code); it != names.end()) r.name = it->second;
    if (q.series == StatsSeries::month) r.month = months[bucket];
    if (q.from) r.from = buckets.periods[bucket].first;
    if (q.to) r.to = buckets.periods[bucket].second;
    finish(r, a.hours);
    out.push_back(std::move(r));
  }
  if (q.sort) rank(out, *q.sort, q.descending);
  return out;
}

std::vector<StatsRow> petition_stats(Db& db, const StatsQuery& query) {
  return petition_stats(db, query, load_calendar(db));
}

std::vector<StatsRow> petition_stats(Db& db, StatsLevel level, std::optional<int64_t> from,
                                     std::optional<int64_t> to, int64_t now,
                                     const StatsFilter& filter) {
  StatsQuery q;
  q.level = level, q.from = from, q.to = to, q.now = now, q.filter = filter;
  return petition_stats(db, q);
}

// ---- downloads -------------------------------------------------------------------------------

namespace {

const char* level_header(StatsLevel l) {
  switch (l) {
    case StatsLevel::grid:
      return "网格";
    case StatsLevel::community:
      return "社区";
    case StatsLevel::subdistrict:
      return "街道";
    case StatsLevel::worker:
      return "网格员";
    case StatsLevel::category:
      return "事项类别";
    case StatsLevel::department:
      return "职能部门";
    case StatsLevel::all:
      return "范围";
  }
  return "";
}

const char* status_header(Status s) {
  switch (s) {
    case Status::reported:
      return "上报";
    case Status::dispatched:
      return "已派遣";
    case Status::in_progress:
      return "处置中";
    case Status::pending_review:
      return "待核查";
    case Status::closed:
      return "已结案";
    case Status::registered:
      return "已立案";
    case Status::rejected:
      return "不予立案";
    case Status::verified:
      return "核查通过";
    case Status::suspended:
      return "挂起";
    case Status::withdrawn:
      return "已撤回";
  }
  return "";
}

}  // namespace

Sheet stats_sheet(const std::vector<StatsRow>& rows, StatsLevel level) {
  Sheet s;
  s.name = "KPI";
  bool months = !rows.empty() && rows.front().month;
  bool ranked = std::any_of(rows.begin(), rows.end(), [](const StatsRow& r) { return r.rank; });
  if (months) s.headers.push_back("月份");
  if (ranked) s.headers.push_back("排名");
  s.headers.insert(s.headers.end(),
                   {std::string(level_header(level)) + "编码",
                    std::string(level_header(level)) + "名称", "统计起始", "统计截止", "上报数"});
  for (Status st : kAllStatuses) s.headers.push_back(std::string("上报数·") + status_header(st));
  s.headers.insert(s.headers.end(), {"应结案数", "已结案数", "按期结案数", "结案率", "按期结案率",
                                     "返工数", "返工率", "延期数", "延期率", "回访数", "满意数",
                                     "满意率", "当前超期数", "平均办结工时", "P90办结工时"});
  auto opt = [](const std::optional<double>& v) { return v ? SheetCell(*v) : SheetCell(); };
  auto time = [](const std::optional<int64_t>& t) {
    return t ? SheetCell(local_time(*t)) : SheetCell();
  };
  for (const StatsRow& r : rows) {
    std::vector<SheetCell> c;
    auto push = [&c](auto&&... v) { (c.emplace_back(std::forward<decltype(v)>(v)), ...); };
    if (months) push(r.month.value_or(""));
    if (ranked) push(r.rank ? SheetCell(*r.rank) : SheetCell());
    push(r.code, r.name, time(r.from), time(r.to), r.total);
    for (int64_t n : r.by_status) push(n);
    push(r.due, r.closed, r.closed_on_time, r.completion_rate, r.on_time_rate, r.reopened,
         r.rework_rate, r.extended, r.extension_rate, r.followed_up, r.satisfied,
         r.satisfaction_rate, r.overdue, opt(r.mean_hours_to_close), opt(r.p90_hours_to_close));
    s.rows.push_back(std::move(c));
  }
  return s;
}

std::string sheet_csv(const Sheet& sheet) {
  std::ostringstream out;
  out << "\xEF\xBB\xBF";
  auto line = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_escape(fields[i]);
    out << "\r\n";
  };
  line(sheet.headers);
  for (const auto& r : sheet.rows) {
    std::vector<std::string> f;
    for (const SheetCell& c : r) {
      if (auto* i = std::get_if<int64_t>(&c))
        f.push_back(std::to_string(*i));
      else if (auto* d = std::get_if<double>(&c)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", *d);
        f.push_back(buf);
      } else if (auto* s = std::get_if<std::string>(&c)) {
        f.push_back(*s);
      } else {
        f.emplace_back();
      }
    }
    line(f);
  }
  return out.str();
}

}  // namespace gridmap::data
