// The working calendar: deadlines and SLA clocks in working time, China's 2026 schedule.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "data/time.hpp"
#include "data/work_calendar.hpp"
#include "geo/error.hpp"

using namespace gridmap;
using data::CstDate;
using data::Pause;
using data::WorkCalendar;

namespace {

constexpr int64_t kHour = 3600;

int64_t cst(const char* text) {  // "2026-03-06 17:00" in China Standard Time
  auto t = data::parse_time(text);
  REQUIRE(t);
  return *t;
}

const WorkCalendar& cn() {
  return WorkCalendar::china_default();
}

// The message of the invalid_input that parsing `text` throws.
std::string parse_error(const std::string& text) {
  try {
    WorkCalendar::parse(text, "test.csv");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    return e.what();
  }
  FAIL("no error for:\n" << text);
  return {};
}

// China's 2026 schedule transcribed from the State Council notice, independently of the file.
struct Reference2026 {
  std::set<int64_t> off, on;
  Reference2026() {
    auto range = [](std::set<int64_t>& days, unsigned m, unsigned d0, unsigned d1) {
      for (unsigned d = d0; d <= d1; ++d) days.insert(data::days_from_civil(2026, m, d));
    };
    range(off, 1, 1, 3);    // 元旦
    range(off, 2, 15, 23);  // 春节
    range(off, 4, 4, 6);    // 清明节
    range(off, 5, 1, 5);    // 劳动节
    range(off, 6, 19, 21);  // 端午节
    range(off, 9, 25, 27);  // 中秋节
    range(off, 10, 1, 7);   // 国庆节
    const unsigned worked[][2] = {{1, 4}, {2, 14}, {2, 28}, {5, 9}, {9, 20}, {10, 10}};
    for (const auto& md : worked) on.insert(data::days_from_civil(2026, md[0], md[1]));
  }
  bool working_day(int64_t day) const {
    if (off.count(day)) return false;
    if (on.count(day)) return true;
    const int64_t weekday = ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    return weekday < 5;
  }
};

// Working seconds counted minute by minute over a window (the default hours fall on minutes).
class MinuteReference {
 public:
  MinuteReference(int64_t begin, int64_t end) : begin_(begin) {
    const Reference2026 days;
    prefix_.push_back(0);
    for (int64_t t = begin; t < end; t += 60) {
      const int64_t local = t + 8 * kHour;
      const int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
      const int64_t minute = (local - day * 86400) / 60;
      const bool hours =
          (minute >= 9 * 60 && minute < 12 * 60) || (minute >= 13 * 60 + 30 && minute < 18 * 60);
      working_.push_back(hours && days.working_day(day));
      prefix_.push_back(prefix_.back() + (working_.back() ? 60 : 0));
    }
  }
  int64_t begin() const { return begin_; }
  int64_t end() const { return begin_ + static_cast<int64_t>(working_.size()) * 60; }
  bool working(int64_t t) const { return working_[index(t)]; }
  // Working seconds in [begin, t).
  int64_t cumulative(int64_t t) const {
    const size_t i = index(t);
    return prefix_[i] + (working_[i] ? (t - begin_) % 60 : 0);
  }
  int64_t between(int64_t from, int64_t to) const {
    return to <= from ? 0 : cumulative(to) - cumulative(from);
  }

 private:
  size_t index(int64_t t) const { return static_cast<size_t>((t - begin_) / 60); }
  int64_t begin_;
  std::vector<bool> working_;
  std::vector<int64_t> prefix_;
};

}  // namespace

TEST_CASE("the 2026 calendar knows weekends, public holidays and swapped working days",
          "[work_calendar]") {
  const auto working = [](unsigned m, unsigned d) {
    return cn().is_working_day(CstDate::civil(2026, m, d));
  };
  CHECK_FALSE(working(1, 1));  // 元旦, a Thursday
  CHECK_FALSE(working(1, 3));
  CHECK(working(1, 4));  // a Sunday worked
  CHECK(working(2, 13));
  CHECK(working(2, 14));        // a Saturday worked
  CHECK_FALSE(working(2, 16));  // 春节, a Monday
  CHECK_FALSE(working(2, 23));
  CHECK(working(2, 24));
  CHECK(working(2, 28));
  CHECK_FALSE(working(3, 1));  // an ordinary Sunday
  CHECK_FALSE(working(4, 6));
  CHECK(working(5, 9));
  CHECK(working(9, 20));
  CHECK_FALSE(working(10, 7));
  CHECK(working(10, 8));
  CHECK(working(10, 10));
  CHECK_FALSE(working(10, 11));
  CHECK(CstDate::civil(2026, 2, 14).weekday() == 5);
  CHECK(CstDate::containing(cst("2026-02-14 23:59:59")) == CstDate::civil(2026, 2, 14));
  CHECK(CstDate::containing(cst("2026-02-15 00:00")) == CstDate::civil(2026, 2, 15));
  CHECK(CstDate::civil(2026, 2, 14).to_string() == "2026-02-14");
  // 261 weekdays, 19 of them holidays, 6 weekend days worked; 7.5 working hours a day.
  CHECK(cn().seconds_per_day() == 27000);
  CHECK(cn().working_seconds_between(cst("2026-01-01"), cst("2027-01-01")) == 248 * 27000);
}

TEST_CASE("a case reported Friday 17:00 with 8 working hours is due Monday 17:30",
          "[work_calendar]") {
  const int64_t friday = cst("2026-03-06 17:00");
  const int64_t due = cn().add_working_seconds(friday, 8 * kHour);
  CHECK(data::format_time(due) == data::format_time(cst("2026-03-09 17:30")));
  CHECK(cn().working_seconds_between(friday, due) == 8 * kHour);
  CHECK(cn().working_seconds_between(due, friday) == 0);
  // An amount ending at closing time is due at closing time, not the next morning.
  CHECK(cn().add_working_seconds(friday, kHour) == cst("2026-03-06 18:00"));
  // Outside working time the clock starts at the next opening.
  CHECK(cn().add_working_seconds(cst("2026-03-06 19:00"), kHour) == cst("2026-03-09 10:00"));
  CHECK(cn().add_working_seconds(cst("2026-03-09 12:10"), kHour) == cst("2026-03-09 14:30"));
  CHECK(cn().add_working_seconds(cst("2026-03-07 11:00"), 0) == cst("2026-03-07 11:00"));
  CHECK(cn().is_working_time(cst("2026-03-09 09:00")));
  CHECK_FALSE(cn().is_working_time(cst("2026-03-09 12:00")));
  CHECK_FALSE(cn().is_working_time(cst("2026-03-09 18:00")));
  CHECK_THROWS_AS(cn().add_working_seconds(friday, -1), Error);
}

TEST_CASE("a case reported on the Friday before Spring Festival is due on the swapped Saturday",
          "[work_calendar]") {
  const int64_t friday = cst("2026-02-13 10:00");
  CHECK(cn().add_working_days(friday, 1) == cst("2026-02-14 10:00"));
  CHECK(cn().add_working_days(friday, 2) == cst("2026-02-24 10:00"));  // after 15–23 off
  CHECK(cn().add_working_days(friday, 3) == cst("2026-02-25 10:00"));
  CHECK(cn().add_working_seconds(cst("2026-02-14 17:30"), kHour) == cst("2026-02-24 09:30"));
  CHECK(cn().working_seconds_between(cst("2026-02-14 18:00"), cst("2026-02-24 09:00")) == 0);
}

TEST_CASE("the National Day week from October 1 to 7 is skipped", "[work_calendar]") {
  CHECK(cn().add_working_days(cst("2026-09-30 16:00"), 1) == cst("2026-10-08 16:00"));
  CHECK(cn().add_working_seconds(cst("2026-09-30 17:00"), 2 * kHour) == cst("2026-10-08 10:00"));
  CHECK(cn().working_seconds_between(cst("2026-10-01"), cst("2026-10-08")) == 0);
  CHECK(cn().add_working_days(cst("2026-10-09 11:00"), 1) == cst("2026-10-10 11:00"));
  CHECK(cn().add_working_days(cst("2026-09-18 11:00"), 1) == cst("2026-09-20 11:00"));
}

TEST_CASE("working days added outside working hours end at a closing time", "[work_calendar]") {
  CHECK(cn().add_working_days(cst("2026-03-09 08:00"), 1) == cst("2026-03-09 18:00"));
  CHECK(cn().add_working_days(cst("2026-03-07 10:00"), 1) == cst("2026-03-09 18:00"));
  CHECK(cn().add_working_days(cst("2026-03-06 20:00"), 2) == cst("2026-03-10 18:00"));
  CHECK(cn().add_working_days(cst("2026-03-09 12:30"), 1) == cst("2026-03-10 12:00"));
  CHECK(cn().add_working_days(cst("2026-03-09 18:00"), 1) == cst("2026-03-10 18:00"));
  CHECK(cn().add_working_days(cst("2026-03-07 10:00"), 0) == cst("2026-03-07 10:00"));
  CHECK_THROWS_AS(cn().add_working_days(cst("2026-03-07 10:00"), -1), Error);
}

TEST_CASE("a suspended case's clock stops while it is paused", "[work_calendar]") {
  const int64_t reported = cst("2026-03-09 09:00");  // Monday
  const std::vector<Pause> pauses = {{cst("2026-03-09 10:00"), cst("2026-03-11 10:00")}};
  CHECK(cn().elapsed(reported, cst("2026-03-11 12:00"), pauses) == 3 * kHour);
  CHECK(cn().elapsed(reported, cst("2026-03-11 12:00"), {}) == 3 * kHour + 2 * 27000);
  // Overlapping pauses in any order count once.
  const std::vector<Pause> messy = {{cst("2026-03-10 12:00"), cst("2026-03-11 10:00")},
                                    {cst("2026-03-09 10:00"), cst("2026-03-10 15:00")},
                                    {cst("2026-03-09 11:00"), cst("2026-03-09 11:00")}};
  CHECK(cn().elapsed(reported, cst("2026-03-11 12:00"), messy) == 3 * kHour);
  // 8 hours: 1 on Monday, then 2 + 4.5 on Wednesday, then half an hour on Thursday.
  CHECK(cn().deadline(reported, 8 * kHour, pauses) == cst("2026-03-12 09:30"));
  CHECK(cn().deadline(reported, 8 * kHour, messy) == cst("2026-03-12 09:30"));
  CHECK(cn().deadline(reported, kHour, pauses) == cst("2026-03-09 10:00"));
  CHECK(cn().deadline(reported, 8 * kHour, {}) == cn().add_working_seconds(reported, 8 * kHour));
  // A pause before the report changes nothing; one still running leaves no deadline yet.
  const std::vector<Pause> before = {{cst("2026-03-01"), cst("2026-03-09 08:00")}};
  CHECK(cn().deadline(reported, 8 * kHour, before) == cst("2026-03-10 09:30"));
  CHECK(cn().deadline(cst("2026-03-09 11:00"), 0, pauses) == cst("2026-03-09 11:00"));
  const std::vector<Pause> open = {{cst("2026-03-09 10:00"), data::kStillPaused}};
  CHECK_FALSE(cn().deadline(reported, 8 * kHour, open).has_value());
  CHECK(cn().elapsed(reported, cst("2026-03-20"), open) == kHour);
  const std::vector<Pause> reversed = {{cst("2026-03-10"), cst("2026-03-09")}};
  CHECK_THROWS_AS(cn().elapsed(reported, cst("2026-03-20"), reversed), Error);
}

TEST_CASE("a calendar file sets its own hours, holidays and swapped days", "[work_calendar]") {
  // Columns in another order, a byte order mark, CRLF, comments, quoted fields.
  const auto calendar = WorkCalendar::parse(
      "\xEF\xBB\xBF# a district office\r\n"
      "\r\n"
      "name,date,type\r\n"
      "\"08:30-12:00; 14:00-17:30\",*,hours\r\n"
      "\"补班, 周六\",2030-01-05,workday\r\n"
      "元旦,2030-01-01,holiday\r\n");
  CHECK(calendar.seconds_per_day() == 7 * kHour);
  REQUIRE(calendar.entries().size() == 2);
  CHECK(calendar.entries()[0].name == "元旦");
  CHECK(calendar.entries()[1].name == "补班, 周六");
  CHECK_FALSE(calendar.is_working_day(CstDate::civil(2030, 1, 1)));
  CHECK(calendar.is_working_day(CstDate::civil(2030, 1, 5)));
  CHECK(calendar.add_working_seconds(cst("2031-12-31 11:00"), 2 * kHour) ==
        cst("2031-12-31 15:00"));
  CHECK(WorkCalendar::parse(calendar.to_csv()) == calendar);
  CHECK(WorkCalendar::parse("date,type\n") == WorkCalendar());
}

TEST_CASE("a bad calendar line is an error naming the line", "[work_calendar]") {
  const std::string head = "# comment\ndate,type,name\n2026-01-01,holiday,元旦\n";
  CHECK_THAT(parse_error(head + "2026-02-30,holiday,x\n"),
             Catch::Contains("test.csv line 4:") && Catch::Contains("2026-02-30"));
  CHECK_THAT(parse_error(head + "2026-02-14 08:00,workday,x\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "2026-02-14,vacation,x\n"),
             Catch::Contains("line 4:") && Catch::Contains("vacation"));
  CHECK_THAT(parse_error(head + "2026-02-14\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "\n2026-01-01,holiday,again\n"),
             Catch::Contains("line 5:") && Catch::Contains("already listed on line 3"));
  CHECK_THAT(parse_error(head + "2026-03-02,workday,x\n"),
             Catch::Contains("line 4:") && Catch::Contains("Monday"));
  CHECK_THAT(parse_error(head + "*,hours,09:00-12:00 11:00-18:00\n"),
             Catch::Contains("line 4:") && Catch::Contains("overlap"));
  CHECK_THAT(parse_error(head + "*,hours,9-12\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "*,hours,18:00-09:00\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "*,hours,\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "2026-01-02,hours,09:00-18:00\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error(head + "*,hours,09:00-18:00\n*,hours,09:00-17:00\n"),
             Catch::Contains("line 5:") && Catch::Contains("line 4"));
  CHECK_THAT(parse_error(head + "2026-01-05,holiday,\"x\n"), Catch::Contains("line 4:"));
  CHECK_THAT(parse_error("when,what\n2026-01-01,holiday\n"), Catch::Contains("line 1:"));
  CHECK_THAT(parse_error("# nothing\n"), Catch::Contains("no header"));
  CHECK_THROWS_AS(WorkCalendar({}, {}), Error);
  CHECK_THROWS_AS(WorkCalendar(WorkCalendar::default_periods(),
                               {{CstDate::civil(2026, 1, 1), data::DayType::holiday, ""},
                                {CstDate::civil(2026, 1, 1), data::DayType::holiday, ""}}),
                  Error);
  CHECK_THROWS_AS(WorkCalendar::load("/nonexistent/calendar.csv"), Error);
}

TEST_CASE("the shipped calendar file and the built-in calendar agree", "[work_calendar]") {
  const auto file = WorkCalendar::load(GRIDMAP_TEST_DATA "/../../data/calendars/cn-2026.csv");
  CHECK(file == cn());
  CHECK(file.periods() == WorkCalendar::default_periods());
  CHECK(file.entries().size() == 39);
  CHECK(WorkCalendar::parse(cn().to_csv()) == cn());
  const Reference2026 reference;
  for (int64_t day = data::days_from_civil(2026, 1, 1); day < data::days_from_civil(2027, 1, 1);
       ++day) {
    INFO(CstDate{day}.to_string());
    CHECK(cn().is_working_day(CstDate{day}) == reference.working_day(day));
  }
}

TEST_CASE("working time agrees with a minute-by-minute count on random instants",
          "[work_calendar]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const MinuteReference ref(cst("2025-11-01"), cst("2027-03-01"));
  const int64_t span = ref.end() - ref.begin();
  // Half the instants on a minute (where periods start and end), half anywhere.
  auto instant = [&](int64_t lo, int64_t hi) {
    int64_t t = std::uniform_int_distribution<int64_t>(lo, hi - 1)(rng);
    if (rng() % 2) t -= (t - ref.begin()) % 60;
    return t;
  };
  for (int i = 0; i < 3000; ++i) {
    const int64_t from = instant(ref.begin(), ref.end());
    const int64_t to = rng() % 4 ? instant(from, std::min(ref.end(), from + 20 * 86400))
                                 : instant(ref.begin(), ref.end());
    INFO(data::format_time(from) << " to " << data::format_time(to));
    REQUIRE(cn().working_seconds_between(from, to) == ref.between(from, to));
    CHECK(cn().is_working_time(from) == ref.working(from));
  }
  for (int i = 0; i < 3000; ++i) {
    const int64_t from = instant(ref.begin(), ref.begin() + span / 2);
    const int64_t seconds = rng() % 2 ? static_cast<int64_t>(rng() % (40 * 27000))
                                      : static_cast<int64_t>(rng() % 40) * 1800;
    const int64_t due = cn().add_working_seconds(from, seconds);
    INFO(data::format_time(from) << " + " << seconds << " s = " << data::format_time(due));
    REQUIRE(due < ref.end());
    REQUIRE(ref.between(from, due) == seconds);
    if (due > from) REQUIRE(ref.between(from, due - 1) < seconds);  // the earliest such instant
  }
}

TEST_CASE("elapsed time and deadlines with pauses agree with a minute-by-minute count",
          "[work_calendar]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const MinuteReference ref(cst("2026-01-01"), cst("2026-12-01"));
  const auto minute = [&](int64_t lo, int64_t minutes) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(minutes)) * 60;
  };
  for (int i = 0; i < 400; ++i) {
    const int64_t from = minute(ref.begin(), 200 * 1440);
    std::vector<Pause> pauses;
    for (int n = static_cast<int>(rng() % 5); n > 0; --n) {
      const int64_t start = minute(from - 2 * 86400, 30 * 1440);
      pauses.push_back({start, minute(start, 6 * 1440)});
    }
    const auto paused = [&](int64_t t) {
      for (const Pause& p : pauses)
        if (p.start <= t && t < p.end) return true;
      return false;
    };
    // Working and unpaused seconds from `from`, minute by minute over 60 days.
    const int64_t horizon = from + 60 * 86400;
    std::vector<int64_t> counted = {0};
    for (int64_t t = from; t < horizon; t += 60)
      counted.push_back(counted.back() + (ref.working(t) && !paused(t) ? 60 : 0));
    const auto reference_elapsed = [&](int64_t to) {
      REQUIRE(to <= horizon);
      return counted[static_cast<size_t>((to - from) / 60)];
    };
    const int64_t to = minute(from, 40 * 1440);
    INFO(data::format_time(from) << " to " << data::format_time(to) << ", " << pauses.size()
                                 << " pauses");
    REQUIRE(cn().elapsed(from, to, pauses) == reference_elapsed(to));
    const int64_t seconds = static_cast<int64_t>(rng() % 60) * 1800;
    const auto due = cn().deadline(from, seconds, pauses);
    REQUIRE(due);
    INFO(seconds << " s due " << data::format_time(*due));
    REQUIRE(reference_elapsed(*due) == seconds);
    if (*due > from) REQUIRE(reference_elapsed(*due - 60) < seconds);
    REQUIRE(cn().elapsed(from, *due, pauses) == seconds);
  }
}

TEST_CASE("spans of ten years stay consistent", "[work_calendar]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const int64_t base = cst("2020-01-01");
  int64_t checked = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t from = base + static_cast<int64_t>(rng() % (5 * 365 * 86400ull));
    const int64_t to = from + 10 * 365 * 86400;
    const int64_t days = 2500 + static_cast<int64_t>(rng() % 100);
    const int64_t due = cn().add_working_days(from, days);
    REQUIRE(cn().working_seconds_between(from, due) == days * cn().seconds_per_day());
    checked += cn().working_seconds_between(from, to) > 0;
  }
  CHECK(checked == 1000);
  // Ten years of a calendar without entries: 52 weeks and a day or two a year of weekdays.
  const WorkCalendar plain;
  CHECK(plain.working_seconds_between(cst("2030-01-01"), cst("2040-01-01")) ==
        2609 * plain.seconds_per_day());
}
