// KPIs per grid over one year of the city preset (data::petition_stats, what GET
// /api/v1/stats?level=grid&from=&to= runs), and the rows PostgreSQL needs for the same
// definitions (bench/postgis/kpi.sql).
//
// The demo has no suspended cases; so that the suspension rule is compared too, every 50th
// closed case due in the year gets one pause (half of its span, from a quarter in) inside a
// transaction that is rolled back at the end: the database file is left as it was.
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/bench.hpp"
#include "data/calendar_store.hpp"
#include "data/db.hpp"
#include "data/stats.hpp"
#include "geo/error.hpp"

namespace gridmap::bench {
namespace {

// Writes the result of `sql` as CSV with a header (NULL as empty).
void dump(data::Db& db, const std::string& sql, const std::string& path,
          const std::string& header) {
  std::ofstream out(path);
  out << header << '\n';
  data::Statement st(db, sql);
  int n = 0;
  for (char c : header) n += c == ',';
  while (st.step()) {
    for (int i = 0; i <= n; ++i) {
      if (i) out << ',';
      if (!st.is_null(i)) out << st.text(i);
    }
    out << '\n';
  }
  if (!out) throw_invalid("cannot write " + path);
}

int64_t scalar(data::Db& db, const std::string& sql) {
  data::Statement st(db, sql);
  st.step();
  return st.int64(0);
}

}  // namespace

void run_kpi(const Options& o) {
  if (o.db.empty() || o.out.empty()) throw_invalid("kpi needs --db CITY.sqlite --out DIR");
  data::Db db = data::Db::open(o.db, false);
  data::Transaction tx(db);  // never committed: the pauses below are rolled back
  // The year: the 12 months up to the end of the month of the latest report (Asia/Shanghai),
  // seen at the demo's "now" (its latest event), so that some cases are still open, some of
  // them overdue.
  int64_t now = scalar(db, "SELECT max(at) FROM petition_events");
  int64_t to = data::month_start(scalar(db, "SELECT max(created_at) FROM petitions"), 1);
  int64_t from = data::month_start(to, -12);
  {
    data::Statement ins(
        db,
        "INSERT INTO petition_events(petition_id, at, actor, action, from_status, to_status) "
        "SELECT id, created_at + (closed_at - created_at) / 4, 'bench', 'transition', "
        "'in_progress', 'suspended' FROM petitions WHERE status = 'closed' AND deadline_at >= ?1 "
        "AND deadline_at < ?2 AND id % 50 = 0 UNION ALL "
        "SELECT id, created_at + 3 * (closed_at - created_at) / 4, 'bench', 'transition', "
        "'suspended', 'in_progress' FROM petitions WHERE status = 'closed' AND deadline_at >= ?1 "
        "AND deadline_at < ?2 AND id % 50 = 0");
    ins.bind(1, from).bind(2, to).run();
    note("kpi: %lld suspension events added (rolled back afterwards)",
         static_cast<long long>(db.changes()));
  }
  data::StatsQuery q;
  q.level = data::StatsLevel::grid, q.from = from, q.to = to, q.now = now;
  std::vector<data::StatsRow> rows;
  double s = best_seconds(o.runs, [&] { rows = data::petition_stats(db, q); });
  report("kpi_s", s);
  report("kpi_grids", static_cast<double>(rows.size()));
  report("kpi_from", static_cast<double>(from));
  report("kpi_to", static_cast<double>(to));
  report("kpi_now", static_cast<double>(now));

  // gridmap's answer, for the check: one line per grid.
  std::ofstream out(o.out + "/ours.csv");
  for (const data::StatsRow& r : rows) {
    char line[512];
    std::snprintf(line, sizeof line, "%s|%lld|%lld|%lld|%lld|%lld|%lld|%lld|%lld|%.6f|%.6f\n",
                  r.code.c_str(), static_cast<long long>(r.due), static_cast<long long>(r.closed),
                  static_cast<long long>(r.closed_on_time), static_cast<long long>(r.reopened),
                  static_cast<long long>(r.extended), static_cast<long long>(r.followed_up),
                  static_cast<long long>(r.satisfied), static_cast<long long>(r.overdue),
                  r.mean_hours_to_close.value_or(-1), r.p90_hours_to_close.value_or(-1));
    if (r.due) out << line;  // grids with reports in the year but nothing due have no KPIs
  }
  // The same rows for PostgreSQL: petitions, events, follow-ups, and the calendar's days.
  dump(db,
       "SELECT id, grid_code, status, created_at, deadline_at, closed_at, reopened, extensions, "
       "merged_into FROM petitions",
       o.out + "/petitions.csv",
       "id,grid_code,status,created_at,deadline_at,closed_at,reopened,extensions,merged_into");
  dump(db, "SELECT id, petition_id, at, from_status, to_status FROM petition_events",
       o.out + "/events.csv", "id,petition_id,at,from_status,to_status");
  dump(db, "SELECT id, petition_id, reached, satisfaction FROM petition_followups",
       o.out + "/followups.csv", "id,petition_id,reached,satisfaction");
  data::WorkCalendar cal = data::load_calendar(db);
  {
    // Every CST day from 1990 to 2100: whether it is a working day.
    std::ofstream days(o.out + "/days.csv");
    days << "day,working\n";
    for (int64_t d = data::CstDate::civil(1990, 1, 1).day; d < data::CstDate::civil(2100, 1, 1).day;
         ++d)
      days << d << ',' << (cal.is_working_day(data::CstDate{d}) ? "t" : "f") << '\n';
    std::ofstream periods(o.out + "/periods.csv");
    periods << "start_s,end_s\n";
    for (const data::WorkPeriod& p : cal.periods()) periods << p.start << ',' << p.end << '\n';
  }
  report("kpi_day_seconds", static_cast<double>(cal.seconds_per_day()));
}

}  // namespace gridmap::bench
