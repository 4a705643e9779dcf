// KPIs of petitions per grid, community, subdistrict, worker, category or department over a period,
// as one table or as a monthly series, ranked by any KPI; and the same rows as a sheet (Chinese
// headers) for CSV and .xlsx downloads. The definitions are README's "KPIs" section, one each.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "data/db.hpp"
#include "data/petition_types.hpp"
#include "data/work_calendar.hpp"

namespace gridmap::data {

// department: the department handling the case (its id); `all`: one row for every petition the
// filter lets through (code "all").
enum class StatsLevel { grid, community, subdistrict, worker, category, department, all };
std::optional<StatsLevel> parse_stats_level(std::string_view s) noexcept;

// What a row may be ranked by.
enum class StatsKey {
  completion_rate,
  on_time_rate,
  rework_rate,
  extension_rate,
  satisfaction_rate,
  mean_hours_to_close,
  p90_hours_to_close,
  overdue,
  due,
  total,
};
std::optional<StatsKey> parse_stats_key(std::string_view s) noexcept;
std::string stats_key_names();  // "completion_rate, on_time_rate, ..." for messages

struct StatsRow {
  std::string code, name;
  std::optional<std::string> month;  // "2026-03" (Asia/Shanghai) in a monthly series
  std::optional<int64_t> from, to;   // the row's period [from, to)
  // Intake: petitions reported in the period, by their status now.
  int64_t total = 0;
  std::array<int64_t, kAllStatuses.size()> by_status{};  // indexed by Status
  // Cases due in the period (deadline in [from, to), neither rejected nor withdrawn), and of
  // them: closed, closed by their deadline, reopened at least once, granted an extension,
  // followed up (reporter reached) and satisfied, open with the deadline passed at `now`.
  int64_t due = 0, closed = 0, closed_on_time = 0, reopened = 0, extended = 0;
  int64_t followed_up = 0, satisfied = 0, overdue = 0;
  double completion_rate = 0;    // closed / due
  double on_time_rate = 0;       // closed_on_time / due
  double rework_rate = 0;        // reopened / closed
  double extension_rate = 0;     // extended / due
  double satisfaction_rate = 0;  // satisfied / followed_up
  // Working hours (work calendar, suspensions excluded) from report to close of the closed
  // cases; p90 is the nearest rank (the ⌈0.9·n⌉-th smallest).
  std::optional<double> mean_hours_to_close, p90_hours_to_close;
  std::optional<int64_t> rank;  // 1-based, when sorted; ties share a rank (1, 2, 2, 4)
};

// Which petitions count: within a subdistrict or community, of a category (a 小类, or every
// 小类 of a 大类).
struct StatsFilter {
  std::optional<std::string> subdistrict_code, community_code, category;
};

enum class StatsSeries { none, month };

struct StatsQuery {
  StatsLevel level = StatsLevel::grid;
  std::optional<int64_t> from, to;  // open ends when absent (a monthly series needs both)
  int64_t now = 0;
  StatsFilter filter;
  StatsSeries series = StatsSeries::none;
  std::optional<StatsKey> sort;  // rows by code (and month) when absent
  bool descending = true;
};

// Rows are sorted by (month, code), or ranked; a series has a row for every month of each
// code that has a case in any of them. The area levels (grid, community, subdistrict) list
// every area within the filter, with zeros where nothing happened. Throws invalid_input for from >=
// to, or a monthly series without both ends or of more than 120 months.
std::vector<StatsRow> petition_stats(Db& db, const StatsQuery& query, const WorkCalendar& calendar);
// The same with the database's calendar (load_calendar).
std::vector<StatsRow> petition_stats(Db& db, const StatsQuery& query);
std::vector<StatsRow> petition_stats(Db& db, StatsLevel level, std::optional<int64_t> from,
                                     std::optional<int64_t> to, int64_t now,
                                     const StatsFilter& filter = {});

// The months of a series: [from, to) cut at the start of each month in Asia/Shanghai.
std::vector<std::pair<int64_t, int64_t>> month_periods(int64_t from, int64_t to);
// The start (00:00 Asia/Shanghai) of the month `months` after the one holding `t` (0: its own).
int64_t month_start(int64_t t, int months);
// "2026-03-01 00:00", China Standard Time.
std::string local_time(int64_t epoch_seconds);

// A table for download: a header row of Chinese names, then cells (empty: no value).
using SheetCell = std::variant<std::monostate, int64_t, double, std::string>;
struct Sheet {
  std::string name;  // the worksheet's
  std::vector<std::string> headers;
  std::vector<std::vector<SheetCell>> rows;
};
Sheet stats_sheet(const std::vector<StatsRow>& rows, StatsLevel level);
// RFC 4180 with a UTF-8 BOM and CRLF line ends (what Excel opens as UTF-8).
std::string sheet_csv(const Sheet& sheet);
// An Office Open XML workbook of one worksheet, written by GDAL's XLSX driver (the GDAL
// module, see gdal_module.hpp).
std::string sheet_xlsx(const Sheet& sheet);
// The first worksheet of an .xlsx or .ods file, its first row the headers and every cell as
// text (GDAL's XLSX and ODS drivers, the GDAL module). Throws invalid_input for a file that
// is not one.
Sheet read_sheet(const std::string& path);

}  // namespace gridmap::data
