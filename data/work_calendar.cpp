#include "data/work_calendar.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "data/csv.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

namespace {

// The built-in copy of data/calendars/cn-2026.csv (a test checks that both agree).
constexpr std::string_view kChinaDefault =
    R"(# China's working calendar for 2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
# Format: see data/work_calendar.hpp. Saturdays and Sundays are off unless listed as workday.
date,type,name
*,hours,09:00-12:00 13:30-18:00
2026-01-01,holiday,元旦
2026-01-02,holiday,元旦
2026-01-03,holiday,元旦
2026-01-04,workday,元旦调休
2026-02-14,workday,春节调休
2026-02-15,holiday,春节
2026-02-16,holiday,春节
2026-02-17,holiday,春节
2026-02-18,holiday,春节
2026-02-19,holiday,春节
2026-02-20,holiday,春节
2026-02-21,holiday,春节
2026-02-22,holiday,春节
2026-02-23,holiday,春节
2026-02-28,workday,春节调休
2026-04-04,holiday,清明节
2026-04-05,holiday,清明节
2026-04-06,holiday,清明节
2026-05-01,holiday,劳动节
2026-05-02,holiday,劳动节
2026-05-03,holiday,劳动节
2026-05-04,holiday,劳动节
2026-05-05,holiday,劳动节
2026-05-09,workday,劳动节调休
2026-06-19,holiday,端午节
2026-06-20,holiday,端午节
2026-06-21,holiday,端午节
2026-09-20,workday,国庆节调休
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节调休
)";

constexpr int64_t kDay = 86400;
constexpr int64_t kCstOffset = 8 * 3600;

int64_t floor_div(int64_t a, int64_t b) noexcept {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}
int64_t floor_mod(int64_t a, int64_t b) noexcept {
  return a - floor_div(a, b) * b;
}

int64_t min_time() noexcept {
  return CstDate::civil(1900, 1, 1).start();
}
int64_t max_time() noexcept {
  return CstDate::civil(2400, 1, 1).start();
}
int64_t clamp_time(int64_t t) noexcept {
  return std::clamp(t, min_time(), max_time());
}

// Monday-to-Friday days among the integers [0, n) when 0 is a Monday.
int64_t weekdays_below(int64_t n) noexcept {
  return floor_div(n, 7) * 5 + std::min<int64_t>(floor_mod(n, 7), 5);
}

std::string hh_mm(int32_t seconds) {  // seconds within 00:00–24:00
  const int h = seconds / 3600, m = seconds / 60 % 60;
  return {static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10), ':',
          static_cast<char>('0' + m / 10), static_cast<char>('0' + m % 10)};
}

const char* weekday_name(int weekday) {
  static constexpr const char* names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
  return names[weekday];
}

// Sorts the periods; the reason they are unusable, if they are.
std::optional<std::string> periods_problem(std::vector<WorkPeriod>& periods) {
  if (periods.empty()) return "no working periods: a working day needs at least one";
  std::sort(periods.begin(), periods.end(),
            [](const WorkPeriod& a, const WorkPeriod& b) { return a.start < b.start; });
  for (size_t i = 0; i < periods.size(); ++i) {
    const WorkPeriod& p = periods[i];
    if (p.start < 0 || p.end > kDay || p.start >= p.end)
      return "working period " + hh_mm(p.start) + "-" + hh_mm(p.end) +
             " must start before it ends, within 00:00-24:00";
    if (i > 0 && p.start < periods[i - 1].end)
      return "working periods " + hh_mm(periods[i - 1].start) + "-" + hh_mm(periods[i - 1].end) +
             " and " + hh_mm(p.start) + "-" + hh_mm(p.end) + " overlap";
  }
  return std::nullopt;
}

std::optional<std::string> entry_problem(const CalendarEntry& e) {
  if (e.type == DayType::workday && e.date.weekday() < 5)
    return e.date.to_string() + " is a " + weekday_name(e.date.weekday()) +
           ", a working day already: a workday entry (调休上班) must be a Saturday or Sunday";
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<int32_t> parse_hh_mm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (char c : {s[0], s[1], s[3], s[4]})
    if (c < '0' || c > '9') return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 3600 + m * 60;
}

// "09:00-12:00 13:30-18:00" (separated by spaces, ';' or ','); the reason it is not, if not.
std::optional<std::string> parse_periods(std::string_view text, std::vector<WorkPeriod>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == ';' || text[i] == ',' || text[i] == '\t') {
      ++i;
      continue;
    }
    size_t j = text.find_first_of(" ;,\t", i);
    if (j == std::string_view::npos) j = text.size();
    const std::string_view token = text.substr(i, j - i);
    const size_t dash = token.find('-');
    const auto start = parse_hh_mm(token.substr(0, dash));
    const auto end =
        dash == std::string_view::npos ? std::nullopt : parse_hh_mm(token.substr(dash + 1));
    if (!start || !end) {
      // Appended, not "'" + ...: GCC 12 at -O3 (the benchmarks) warns falsely, -Wrestrict.
      std::string why(1, '\'');
      why.append(token).append("' is not a working period HH:MM-HH:MM");
      return why;
    }
    out.push_back({*start, *end});
    i = j;
  }
  return periods_problem(out);
}

[[noreturn]] void fail_at(std::string_view source, int64_t line, const std::string& problem) {
  throw_invalid(std::string(source) + " line " + std::to_string(line) + ": " + problem);
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::istringstream in(line);
  CsvReader reader(in);
  auto fields = reader.next();
  return fields ? std::move(*fields) : std::vector<std::string>{};
}

// Calls f(start, end) for the union of the pauses, as disjoint intervals in time order, until f
// returns false. Pauses from an event log come sorted: those are not copied.
template <class F>
void for_each_merged(std::span<const Pause> pauses, F&& f) {
  for (const Pause& p : pauses)
    if (p.end < p.start)
      throw_invalid("a pause must not end (" + format_time(p.end) + ") before it starts (" +
                    format_time(p.start) + ")");
  const auto by_start = [](const Pause& a, const Pause& b) { return a.start < b.start; };
  std::vector<Pause> sorted;
  if (!std::is_sorted(pauses.begin(), pauses.end(), by_start)) {
    sorted.assign(pauses.begin(), pauses.end());
    std::sort(sorted.begin(), sorted.end(), by_start);
    pauses = sorted;
  }
  std::optional<Pause> current;
  for (const Pause& p : pauses) {
    if (p.end == p.start) continue;
    if (current && p.start <= current->end) {
      current->end = std::max(current->end, p.end);
      continue;
    }
    if (current && !f(current->start, current->end)) return;
    current = p;
  }
  if (current) f(current->start, current->end);
}

}  // namespace

CstDate CstDate::civil(int y, unsigned m, unsigned d) noexcept {
  return {days_from_civil(y, m, d)};
}

CstDate CstDate::containing(int64_t t) noexcept {
  // The UTC day, plus one from 16:00 UTC on (t + 8 h could overflow at the ends of int64).
  return {floor_div(t, kDay) + (floor_mod(t, kDay) >= kDay - kCstOffset)};
}

int CstDate::weekday() const noexcept {
  return static_cast<int>(floor_mod(day + 3, 7));
}

std::string CstDate::to_string() const {
  return format_time(day * kDay).substr(0, 10);
}

WorkCalendar::WorkCalendar() : WorkCalendar(default_periods(), {}) {}

WorkCalendar::WorkCalendar(std::vector<WorkPeriod> periods, std::vector<CalendarEntry> entries)
    : periods_(std::move(periods)), entries_(std::move(entries)) {
  if (auto problem = periods_problem(periods_)) throw_invalid("working calendar: " + *problem);
  std::sort(entries_.begin(), entries_.end(),
            [](const CalendarEntry& a, const CalendarEntry& b) { return a.date < b.date; });
  adjust_before_.reserve(entries_.size() + 1);
  adjust_before_.push_back(0);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const CalendarEntry& e = entries_[i];
    if (auto problem = entry_problem(e)) throw_invalid("working calendar: " + *problem);
    if (i > 0 && entries_[i - 1].date == e.date)
      throw_invalid("working calendar: " + e.date.to_string() + " is listed twice");
    entry_days_.push_back(e.date.day);
    const bool weekday = e.date.weekday() < 5;
    const int64_t gained = e.type == DayType::workday ? 1 : weekday ? -1 : 0;
    adjust_before_.push_back(adjust_before_.back() + gained);
  }
  for (const WorkPeriod& p : periods_) day_seconds_ += p.end - p.start;
}

std::vector<WorkPeriod> WorkCalendar::default_periods() {
  return {{9 * 3600, 12 * 3600}, {13 * 3600 + 1800, 18 * 3600}};
}

const WorkCalendar& WorkCalendar::china_default() {
  static const WorkCalendar calendar = parse(kChinaDefault, "built-in cn-2026.csv");
  return calendar;
}

WorkCalendar WorkCalendar::parse(std::string_view text, std::string_view source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  int64_t line_no = 0;
  std::optional<size_t> date_col, type_col, name_col;
  std::optional<std::vector<WorkPeriod>> periods;
  int64_t hours_line = 0;
  std::map<int64_t, int64_t> line_of_day;
  std::vector<CalendarEntry> entries;
  while (!text.empty()) {
    ++line_no;
    const size_t eol = text.find('\n');
    const std::string line(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    std::vector<std::string> fields;
    try {
      fields = csv_fields(line);
    } catch (const Error&) {
      fail_at(source, line_no, "unterminated quoted field");
    }
    for (auto& f : fields) f = std::string(trim(f));
    if (!date_col) {
      date_col = find_column(fields, "date");
      type_col = find_column(fields, "type");
      name_col = find_column(fields, "name");
      if (!date_col || !type_col)
        fail_at(source, line_no,
                "expected the header date,type,name, got '" + std::string(content) + "'");
      continue;
    }
    if (fields.size() <= std::max(*date_col, *type_col))
      fail_at(source, line_no, "expected date,type,name, got '" + std::string(content) + "'");
    const std::string& date = fields[*date_col];
    const std::string& type = fields[*type_col];
    std::string name = name_col && *name_col < fields.size() ? fields[*name_col] : std::string();
    if (type == "hours") {
      if (date != "*")
        fail_at(source, line_no, "working hours apply to every day: write '*' as their date");
      if (periods)
        fail_at(source, line_no,
                "working hours are already given on line " + std::to_string(hours_line));
      periods.emplace();
      if (auto problem = parse_periods(name, *periods)) fail_at(source, line_no, *problem);
      hours_line = line_no;
      continue;
    }
    if (type != "holiday" && type != "workday")
      fail_at(source, line_no, "type '" + type + "' is none of holiday, workday, hours");
    const auto instant =
        date.size() == 10 && date[4] == '-' && date[7] == '-' ? parse_time(date) : std::nullopt;
    if (!instant) fail_at(source, line_no, "'" + date + "' is not a date YYYY-MM-DD");
    CalendarEntry entry{CstDate::containing(*instant),
                        type == "holiday" ? DayType::holiday : DayType::workday, std::move(name)};
    if (auto [it, inserted] = line_of_day.emplace(entry.date.day, line_no); !inserted)
      fail_at(source, line_no, date + " is already listed on line " + std::to_string(it->second));
    if (auto problem = entry_problem(entry)) fail_at(source, line_no, *problem);
    entries.push_back(std::move(entry));
  }
  if (!date_col)
    throw_invalid(std::string(source) + ": no header date,type,name: not a calendar file");
  return WorkCalendar(periods ? std::move(*periods) : default_periods(), std::move(entries));
}

WorkCalendar WorkCalendar::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid("cannot read the calendar file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  const size_t slash = path.find_last_of('/');
  return parse(text.str(), slash == std::string::npos ? path : path.substr(slash + 1));
}

std::string WorkCalendar::to_csv() const {
  std::string out = "date,type,name\n*,hours,";
  for (size_t i = 0; i < periods_.size(); ++i)
    out.append(i ? " " : "")
        .append(hh_mm(periods_[i].start))
        .append("-")
        .append(hh_mm(periods_[i].end));
  out += '\n';
  for (const CalendarEntry& e : entries_)
    out += e.date.to_string() + (e.type == DayType::holiday ? ",holiday," : ",workday,") +
           csv_escape(e.name) + '\n';
  return out;
}

bool WorkCalendar::is_working_day(CstDate date) const noexcept {
  const auto it = std::lower_bound(entry_days_.begin(), entry_days_.end(), date.day);
  if (it != entry_days_.end() && *it == date.day)
    return entries_[static_cast<size_t>(it - entry_days_.begin())].type == DayType::workday;
  return date.weekday() < 5;
}

bool WorkCalendar::is_working_time(int64_t t) const noexcept {
  const CstDate date = CstDate::containing(t);
  if (!is_working_day(date)) return false;
  const int64_t tod = t - date.start();
  return std::any_of(periods_.begin(), periods_.end(),
                     [&](const WorkPeriod& p) { return p.start <= tod && tod < p.end; });
}

int64_t WorkCalendar::working_days_before(int64_t day) const noexcept {
  // Day 0 (1970-01-01) is a Thursday, so day + 3 counts from a Monday.
  const auto it = std::lower_bound(entry_days_.begin(), entry_days_.end(), day);
  return weekdays_below(day + 3) - weekdays_below(3) +
         adjust_before_[static_cast<size_t>(it - entry_days_.begin())];
}

int64_t WorkCalendar::seconds_into_day(int64_t tod) const noexcept {
  int64_t total = 0;
  for (const WorkPeriod& p : periods_)
    total += std::clamp<int64_t>(tod - p.start, 0, p.end - p.start);
  return total;
}

int64_t WorkCalendar::time_of_day_at(int64_t working) const noexcept {
  for (const WorkPeriod& p : periods_) {
    if (working <= p.end - p.start) return p.start + working;
    working -= p.end - p.start;
  }
  return periods_.back().end;
}

int64_t WorkCalendar::cumulative(int64_t t) const noexcept {
  t = clamp_time(t);
  const CstDate date = CstDate::containing(t);
  return working_days_before(date.day) * day_seconds_ +
         (is_working_day(date) ? seconds_into_day(t - date.start()) : 0);
}

int64_t WorkCalendar::nth_working_day_after(int64_t day, int64_t n) const {
  // The smallest d > day with n working days in (day, d]: grow a bracket, then bisect.
  const int64_t base = working_days_before(day + 1);
  const auto enough = [&](int64_t d) { return working_days_before(d + 1) - base >= n; };
  const int64_t last_day = CstDate::containing(max_time()).day;
  int64_t step = 2 * n + 16;
  while (!enough(day + step)) {
    if (day + step > last_day) throw_invalid("a deadline past the year 2400 is not supported");
    step *= 2;
  }
  int64_t lo = day + 1, hi = day + step;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (enough(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

int64_t WorkCalendar::working_seconds_between(int64_t from, int64_t to) const noexcept {
  return to <= from ? 0 : cumulative(to) - cumulative(from);
}

int64_t WorkCalendar::add_working_seconds(int64_t from, int64_t seconds) const {
  if (seconds < 0) throw_invalid("working time to add must not be negative");
  if (from < min_time() || from > max_time() || seconds > max_time() - min_time())
    throw_invalid("times before 1900 or after 2400 are not supported");
  if (seconds == 0) return from;
  const CstDate date = CstDate::containing(from);
  if (is_working_day(date)) {
    const int64_t used = seconds_into_day(from - date.start());
    if (seconds <= day_seconds_ - used) return date.start() + time_of_day_at(used + seconds);
    seconds -= day_seconds_ - used;
  }
  const int64_t days = (seconds + day_seconds_ - 1) / day_seconds_;
  const CstDate due{nth_working_day_after(date.day, days)};
  const int64_t t = due.start() + time_of_day_at(seconds - (days - 1) * day_seconds_);
  if (t > max_time()) throw_invalid("a deadline past the year 2400 is not supported");
  return t;
}

int64_t WorkCalendar::add_working_days(int64_t from, int64_t days) const {
  if (days < 0) throw_invalid("working days to add must not be negative");
  if (days > (max_time() - min_time()) / day_seconds_)
    throw_invalid("a deadline past the year 2400 is not supported");
  return add_working_seconds(from, days * day_seconds_);
}

int64_t WorkCalendar::elapsed(int64_t from, int64_t to, std::span<const Pause> pauses) const {
  int64_t paused = 0;
  for_each_merged(pauses, [&](int64_t start, int64_t end) {
    if (start >= to) return false;
    paused += working_seconds_between(std::max(start, from), std::min(end, to));
    return true;
  });
  return working_seconds_between(from, to) - paused;
}

std::optional<int64_t> WorkCalendar::deadline(int64_t from, int64_t seconds,
                                              std::span<const Pause> pauses) const {
  if (seconds < 0) throw_invalid("working time to add must not be negative");
  int64_t clock = from;  // where the clock runs again
  int64_t remaining = seconds;
  std::optional<int64_t> due;
  bool decided = false;
  for_each_merged(pauses, [&](int64_t start, int64_t end) {
    if (end <= clock) return true;
    if (remaining == 0) return false;  // due at `clock`, even if a pause starts there
    if (start > clock) {
      const int64_t t = add_working_seconds(clock, remaining);
      if (t <= start) {
        due = t;
        decided = true;
        return false;
      }
      remaining -= working_seconds_between(clock, start);
    }
    if (end >= max_time()) {  // still suspended (kStillPaused): no deadline yet
      decided = true;
      return false;
    }
    clock = end;
    return true;
  });
  if (!decided) due = add_working_seconds(clock, remaining);
  return due;
}

}  // namespace gridmap::data
