// The working calendar that deadlines, overdue flags, SLA clocks and KPIs count in: working
// hours per day, Saturday and Sunday off, public holidays off and swapped working days (调休,
// a Saturday or Sunday worked in exchange for a longer holiday). Pure computation.
//
// Instants are epoch seconds (UTC); dates are China Standard Time dates (UTC+8, no DST). Every
// working day has the same working periods (default 09:00–12:00 and 13:30–18:00 CST). Every
// query costs O(log entries), whatever the span: working days are counted arithmetically
// (whole weeks) and corrected by a prefix sum over the sorted holiday/workday entries.
// Instants are supported from 1900-01-01 to 2400-01-01; queries clamp to that range.
//
// Calendar file (UTF-8 CSV, one record a line, quoting as RFC 4180, BOM and CRLF tolerated):
//   # lines starting with '#' and blank lines are ignored
//   date,type,name                      <- header first; columns in any order, name optional
//   *,hours,09:00-12:00 13:30-18:00     <- optional, at most once: the working periods of
//                                          every working day (HH:MM-HH:MM, separated by
//                                          spaces, ';' or ','; 24:00 allowed as an end)
//   2026-01-01,holiday,元旦              <- a date off (any day of the week)
//   2026-01-04,workday,元旦调休          <- a Saturday or Sunday worked (调休上班)
// A date listed twice, a workday on Monday–Friday, overlapping periods or any malformed line
// is invalid_input naming the line: "cn-2026.csv line 7: ...".
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::data {

// A China Standard Time date, as days since 1970-01-01 (days_from_civil).
struct CstDate {
  int64_t day = 0;

  static CstDate civil(int y, unsigned m, unsigned d) noexcept;
  static CstDate containing(int64_t epoch_seconds) noexcept;         // the CST date of an instant
  int64_t start() const noexcept { return day * 86400 - 8 * 3600; }  // its 00:00 CST
  int weekday() const noexcept;                                      // 0 = Monday … 6 = Sunday
  std::string to_string() const;                                     // "2026-02-14"
  friend auto operator<=>(const CstDate&, const CstDate&) = default;
};

// One working period of a day: [start, end) in seconds after 00:00 CST.
struct WorkPeriod {
  int32_t start = 0;
  int32_t end = 0;
  friend bool operator==(const WorkPeriod&, const WorkPeriod&) = default;
};

enum class DayType { holiday, workday };

struct CalendarEntry {
  CstDate date;
  DayType type = DayType::holiday;
  std::string name;  // 春节, 春节调休 …
  friend bool operator==(const CalendarEntry&, const CalendarEntry&) = default;
};

// A suspension (挂起) of a case's clock: [start, end). An end of kStillPaused means the case
// is still suspended.
struct Pause {
  int64_t start = 0;
  int64_t end = 0;
};
inline constexpr int64_t kStillPaused = std::numeric_limits<int64_t>::max();

class WorkCalendar {
 public:
  // Default hours, weekends off, no holidays.
  WorkCalendar();
  // Periods in any order (non-empty, within 00:00–24:00, not overlapping); entries in any order
  // (each date once, workdays only on Saturday or Sunday). Throws invalid_input otherwise.
  WorkCalendar(std::vector<WorkPeriod> periods, std::vector<CalendarEntry> entries);

  // China's official schedule shipped with gridmap (the same data as data/calendars/cn-2026.csv,
  // built in): 2026 holidays and 调休; other years have weekends only.
  static const WorkCalendar& china_default();
  // The calendar file format above; `source` names the file in error messages.
  static WorkCalendar parse(std::string_view text, std::string_view source = "calendar");
  static WorkCalendar load(const std::string& path);
  std::string to_csv() const;  // parse(to_csv()) == *this

  static std::vector<WorkPeriod> default_periods();
  const std::vector<WorkPeriod>& periods() const noexcept { return periods_; }
  const std::vector<CalendarEntry>& entries() const noexcept { return entries_; }  // by date
  int64_t seconds_per_day() const noexcept { return day_seconds_; }  // 27,000 by default

  bool is_working_day(CstDate date) const noexcept;
  // Whether the instant lies in a working period of a working day.
  bool is_working_time(int64_t t) const noexcept;

  // Working time in [from, to); 0 when to <= from.
  int64_t working_seconds_between(int64_t from, int64_t to) const noexcept;
  // The earliest instant t >= from with working_seconds_between(from, t) == seconds: outside
  // working time the clock starts at the next period's start, and an amount that ends exactly
  // at a period's end gives that end (Friday 17:00 + 1 h = Friday 18:00). Throws invalid_input
  // for negative seconds or a result past the supported range.
  int64_t add_working_seconds(int64_t from, int64_t seconds) const;
  // add_working_seconds(from, days × seconds_per_day()): from inside working hours, the same
  // time of day `days` working days later (Friday 10:00 + 1 = Monday 10:00); from before
  // opening, after closing or on a day off, the close of the `days`-th working day counting
  // the next one that opens (Monday 08:00 + 1 = Monday 18:00; Saturday + 1 = Monday 18:00);
  // from a lunch break, the end of the morning (Monday 12:30 + 1 = Tuesday 12:00).
  int64_t add_working_days(int64_t from, int64_t days) const;

  // Working time in [from, to) outside every pause (pauses may overlap, in any order; a pause
  // with end < start is invalid_input): the SLA clock of a case suspended meanwhile.
  int64_t elapsed(int64_t from, int64_t to, std::span<const Pause> pauses) const;
  // The earliest instant t >= from with elapsed(from, t, pauses) == seconds; nullopt when a
  // pause still running (end kStillPaused) stops the clock before then.
  std::optional<int64_t> deadline(int64_t from, int64_t seconds,
                                  std::span<const Pause> pauses) const;

  friend bool operator==(const WorkCalendar& a, const WorkCalendar& b) {
    return a.periods_ == b.periods_ && a.entries_ == b.entries_;
  }

 private:
  int64_t working_days_before(int64_t day) const noexcept;  // relative count, monotone
  int64_t nth_working_day_after(int64_t day, int64_t n) const;
  int64_t seconds_into_day(int64_t seconds_after_midnight) const noexcept;
  int64_t time_of_day_at(int64_t working_seconds) const noexcept;
  int64_t cumulative(int64_t t) const noexcept;  // working seconds from a fixed origin

  std::vector<WorkPeriod> periods_;     // sorted
  std::vector<CalendarEntry> entries_;  // sorted by date
  std::vector<int64_t> entry_days_;     // entries_[i].date.day, for binary search
  std::vector<int64_t> adjust_before_;  // working days gained by entries_[0, i)
  int64_t day_seconds_ = 0;
};

}  // namespace gridmap::data
