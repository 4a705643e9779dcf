// The KPIs of data/stats on a small database whose every number is worked out by hand below
// (README, "KPIs"). Calendar: the default working day (09:00–12:00, 13:30–18:00 CST, 7.5 h),
// Saturday and Sunday off, no holidays. 2026-03-02 is a Monday.
#include <catch2/catch.hpp>

#include <string>

#include "data/db.hpp"
#include "data/stats.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using Catch::Matchers::WithinAbs;

namespace {

int64_t at(const char* cst) {
  return *data::parse_time(cst);
}  // no zone: CST

struct Fixture {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("kpi.sqlite"));
  data::WorkCalendar calendar;  // default hours, no holidays
  int64_t now = at("2026-04-10 12:00");

  Fixture() {
    const char* square = "GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))', 4326)";
    db.exec(std::string("INSERT INTO subdistricts(code, name, geom) VALUES ('s1', '塔塔埠街道', ") +
            square + ")");
    db.exec(
        std::string(
            "INSERT INTO communities(code, name, subdistrict_code, geom) VALUES ('c1', '一社区', "
            "'s1', ") +
        square + ")");
    for (const char* g : {"g1", "g2"})
      db.exec(std::string("INSERT INTO grids(code, name, community_code, geom) VALUES ('") + g +
              "', '" + g + "网格', 'c1', " + square + ")");
    db.exec(
        "INSERT INTO categories(code, name, deadline_hours) VALUES ('noise', '噪声扰民', 72), "
        "('litter', '乱扔垃圾', 72)");
    //  id grid category status        created           deadline          closed          reo ext
    add(1, "g1", "noise", "closed", "2026-03-02 09:00", "2026-03-04 09:00", "2026-03-02 15:00");
    add(2, "g1", "noise", "closed", "2026-03-06 17:00", "2026-03-10 10:00", "2026-03-09 10:00", 1);
    add(3, "g1", "noise", "closed", "2026-03-10 09:00", "2026-03-12 18:00", "2026-03-13 12:00", 0,
        1);
    add(4, "g1", "litter", "in_progress", "2026-03-20 09:00", "2026-03-25 09:00", nullptr);
    add(5, "g1", "litter", "rejected", "2026-03-27 09:00", "2026-03-30 09:00", nullptr);
    add(6, "g1", "litter", "closed", "2026-03-30 09:00", "2026-04-01 07:00", "2026-03-31 17:00");
    add(7, "g2", "noise", "closed", "2026-02-25 09:00", "2026-03-03 10:00", "2026-03-03 11:00");
    add(8, "g2", "noise", "suspended", "2026-03-16 09:00", "2026-03-18 09:00", nullptr);
    add(9, "g2", "litter", "closed", "2026-03-23 10:00", "2026-03-31 23:30", "2026-03-23 11:30", 0,
        1);
    add(10, "g2", "litter", "withdrawn", "2026-03-16 09:00", "2026-03-20 09:00", nullptr);
    add(11, "g2", "litter", "reported", "2026-03-24 09:00", "2026-03-27 09:00", nullptr);
    // Case 3 stood suspended from Wednesday 09:00 to Thursday 09:00 (all of Wednesday's 7.5 h).
    event(3, "2026-03-11 09:00", "in_progress", "suspended");
    event(3, "2026-03-12 09:00", "suspended", "in_progress");
    // 回访: 2 satisfied; 3 not reached first, then reached and unsatisfied (the latest counts).
    followup(2, "2026-03-10 10:00", 1, "'satisfied'");
    followup(3, "2026-03-14 10:00", 0, "NULL");
    followup(3, "2026-03-15 10:00", 1, "'unsatisfied'");
  }

  void add(int id, const char* grid, const char* category, const char* status, const char* created,
           const char* deadline, const char* closed, int reopened = 0, int extensions = 0) {
    data::Statement st(
        db,
        "INSERT INTO petitions(id, kind, category, status, created_at, deadline_at, closed_at, "
        "reopened, extensions, grid_code, community_code, subdistrict_code, reporter_contact, "
        "geom) "
        "VALUES (?1, 'appeal', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'c1', 's1', '13800000000', "
        "MakePoint(0.5, 0.5, 4326))");
    st.bind(1, id).bind(2, category).bind(3, status).bind(4, at(created)).bind(5, at(deadline));
    if (closed) st.bind(6, at(closed));
    st.bind(7, reopened).bind(8, extensions).bind(9, grid).run();
  }
  void event(int id, const char* when, const char* from, const char* to) {
    data::Statement st(db,
                       "INSERT INTO petition_events(petition_id, at, actor, action, from_status, "
                       "to_status) VALUES (?1, ?2, 'dispatcher', 'transition', ?3, ?4)");
    st.bind(1, id).bind(2, at(when)).bind(3, from).bind(4, to).run();
  }
  void followup(int id, const char* when, int reached, const char* satisfaction) {
    data::Statement st(db,
                       std::string("INSERT INTO petition_followups(petition_id, at, actor, "
                                   "reached, satisfaction) VALUES (?1, ?2, 'dispatcher', ?3, ") +
                           satisfaction + ")");
    st.bind(1, id).bind(2, at(when)).bind(3, reached).run();
  }

  std::vector<data::StatsRow> stats(data::StatsLevel level, const char* from, const char* to,
                                    std::optional<data::StatsKey> sort = {},
                                    bool descending = true) {
    data::StatsQuery q;
    q.level = level, q.from = at(from), q.to = at(to), q.now = now, q.sort = sort;
    q.descending = descending;
    return data::petition_stats(db, q, calendar);
  }
};

const data::StatsRow& row(const std::vector<data::StatsRow>& rows, const std::string& code) {
  for (const auto& r : rows)
    if (r.code == code) return r;
  FAIL("no row " << code);
  return rows.front();
}

}  // namespace

TEST_CASE("each KPI of a grid over March matches the hand-computed figure") {
  Fixture f;
  auto rows = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01");
  REQUIRE(rows.size() == 2);
  const data::StatsRow& g1 = row(rows, "g1");
  CHECK(g1.name == "g1网格");
  // Reported in March: 1–6.
  CHECK(g1.total == 6);
  CHECK(g1.by_status[static_cast<size_t>(data::Status::closed)] == 4);
  CHECK(g1.by_status[static_cast<size_t>(data::Status::rejected)] == 1);
  // Due in March: 1, 2, 3, 4 (5 was rejected; 6 is due 1 April 07:00 CST, which is still
  // 31 March in UTC).
  CHECK(g1.due == 4);
  // Closed: 1, 2, 3; by their deadline: 1, 2 (3 closed a day late); 4 is open and overdue.
  CHECK(g1.closed == 3);
  CHECK(g1.closed_on_time == 2);
  CHECK(g1.completion_rate == 0.75);  // 3 / 4
  CHECK(g1.on_time_rate == 0.5);      // 2 / 4: the open overdue case 4 counts as late
  CHECK(g1.overdue == 1);             // 4
  CHECK(g1.reopened == 1);            // 2
  CHECK_THAT(g1.rework_rate, WithinAbs(1.0 / 3, 1e-12));  // 1 of the 3 closed
  CHECK(g1.extended == 1);                                // 3
  CHECK(g1.extension_rate == 0.25);                       // 1 / 4
  CHECK(g1.followed_up == 2);                             // 2 and 3 (reached)
  CHECK(g1.satisfied == 1);
  CHECK(g1.satisfaction_rate == 0.5);
  // Working hours to close: 1: Mon 09:00–12:00 + 13:30–15:00 = 4.5; 2: Fri 17:00–18:00 +
  // Mon 09:00–10:00 = 2; 3: Tue 7.5 + Wed 7.5 + Thu 7.5 + Fri 09:00–12:00 3 = 25.5, less the
  // suspension (Wed, 7.5) = 18. Mean (4.5 + 2 + 18) / 3; p90 the ⌈2.7⌉ = 3rd smallest.
  REQUIRE(g1.mean_hours_to_close);
  CHECK_THAT(*g1.mean_hours_to_close, WithinAbs(24.5 / 3, 1e-9));
  CHECK(g1.p90_hours_to_close == 18.0);

  const data::StatsRow& g2 = row(rows, "g2");
  CHECK(g2.total == 4);  // 8, 9, 10, 11 (7 was reported in February)
  // Due: 7, 8, 9, 11 (10 withdrawn; 11 not registered yet, but its clock runs since report).
  CHECK(g2.due == 4);
  CHECK(g2.closed == 2);          // 7, 9
  CHECK(g2.closed_on_time == 1);  // 9 (7 closed an hour late)
  CHECK(g2.completion_rate == 0.5);
  CHECK(g2.on_time_rate == 0.25);
  CHECK(g2.overdue == 1);  // 11; 8 is suspended, its clock stands still
  CHECK(g2.rework_rate == 0);
  CHECK(g2.extension_rate == 0.25);  // 9
  CHECK(g2.followed_up == 0);
  CHECK(g2.satisfaction_rate == 0);
  // 7: Wed 25 Feb – Tue 3 Mar: 4 working days of 7.5 h + Tue 09:00–11:00 = 32; 9: 1.5.
  CHECK(g2.mean_hours_to_close == 16.75);
  CHECK(g2.p90_hours_to_close == 32.0);  // ⌈1.8⌉ = 2nd smallest
}

TEST_CASE("KPIs per category and for everything add up the same cases") {
  Fixture f;
  auto rows = f.stats(data::StatsLevel::category, "2026-03-01", "2026-04-01");
  REQUIRE(rows.size() == 2);
  const data::StatsRow& noise = row(rows, "noise");
  CHECK(noise.name == "噪声扰民");
  CHECK(noise.due == 5);                // 1, 2, 3, 7, 8
  CHECK(noise.completion_rate == 0.8);  // 1, 2, 3, 7
  CHECK(noise.on_time_rate == 0.4);     // 1, 2
  CHECK(noise.overdue == 0);
  CHECK(noise.mean_hours_to_close == (4.5 + 2 + 18 + 32) / 4);
  CHECK(noise.p90_hours_to_close == 32.0);
  const data::StatsRow& litter = row(rows, "litter");
  CHECK(litter.due == 3);  // 4, 9, 11
  CHECK(litter.closed == 1);
  CHECK(litter.overdue == 2);  // 4, 11
  auto all = f.stats(data::StatsLevel::all, "2026-03-01", "2026-04-01");
  REQUIRE(all.size() == 1);
  CHECK(all[0].code == "all");
  CHECK(all[0].due == 8);
  CHECK(all[0].completion_rate == 5.0 / 8);
  CHECK(all[0].on_time_rate == 3.0 / 8);
}

TEST_CASE("a monthly series cuts the period at Asia/Shanghai month starts") {
  Fixture f;
  data::StatsQuery q;
  q.level = data::StatsLevel::all, q.now = f.now, q.series = data::StatsSeries::month;
  q.from = at("2026-02-01"), q.to = at("2026-05-01");
  auto rows = data::petition_stats(f.db, q, f.calendar);
  // February: 7 reported, nothing due. March: as above. April: 6, due 1 April 07:00 CST and
  // closed on 31 March 17:00 (Mon 7.5 + Tue 09:00–17:00 6.5 = 14 h). No April row in UTC.
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].month == "2026-02");
  CHECK(rows[0].total == 1);
  CHECK(rows[0].due == 0);
  CHECK(rows[0].completion_rate == 0);
  CHECK(rows[1].month == "2026-03");
  CHECK(rows[1].total == 10);
  CHECK(rows[1].due == 8);
  CHECK(rows[1].from == at("2026-03-01"));
  CHECK(rows[1].to == at("2026-04-01"));
  CHECK(rows[2].month == "2026-04");
  CHECK(rows[2].total == 0);
  CHECK(rows[2].due == 1);
  CHECK(rows[2].on_time_rate == 1.0);
  CHECK(rows[2].mean_hours_to_close == 14.0);
  CHECK(rows[2].to == at("2026-05-01"));
  q.to = at("2036-05-01");
  CHECK_THROWS_AS(data::petition_stats(f.db, q, f.calendar), Error);  // over 120 months
  q.to = q.from;
  CHECK_THROWS_AS(data::petition_stats(f.db, q, f.calendar), Error);
}

TEST_CASE("rows rank by a KPI in either order, ties share a rank and rows without one come last") {
  Fixture f;
  auto rows =
      f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01", data::StatsKey::completion_rate);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].code == "g1");  // 0.75
  CHECK(rows[0].rank == 1);
  CHECK(rows[1].rank == 2);  // 0.5
  rows = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01",
                 data::StatsKey::completion_rate, false);
  CHECK(rows[0].code == "g2");
  CHECK(rows[0].rank == 1);
  rows = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01", data::StatsKey::overdue);
  CHECK(rows[0].rank == 1);  // 1 each
  CHECK(rows[1].rank == 1);
  // g2 has no follow-up: no satisfaction rate to rank, in either order.
  for (bool desc : {true, false}) {
    rows = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01",
                   data::StatsKey::satisfaction_rate, desc);
    CHECK(rows[0].code == "g1");
    CHECK(rows[0].rank == 1);
    CHECK(rows[1].code == "g2");
    CHECK_FALSE(rows[1].rank);
  }
}

TEST_CASE("the download sheet has Chinese headers, local times, no personal data and a BOM") {
  Fixture f;
  auto rows = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01");
  data::Sheet s = data::stats_sheet(rows, data::StatsLevel::grid);
  std::string csv = data::sheet_csv(s);
  CHECK(csv.rfind("\xEF\xBB\xBF网格编码,网格名称,统计起始,统计截止,上报数,", 0) == 0);
  CHECK(csv.find("结案率") != std::string::npos);
  CHECK(csv.find("\r\ng1,g1网格,2026-03-01 00:00,2026-04-01 00:00,6,") != std::string::npos);
  CHECK(csv.find("0.7500,0.5000") != std::string::npos);  // 结案率, 按期结案率 of g1
  CHECK(csv.find("13800000000") == std::string::npos);    // the reporter's phone
  std::string xlsx = data::sheet_xlsx(s);
  CHECK(xlsx.rfind("PK", 0) == 0);  // a ZIP container
  CHECK(xlsx.size() > 1000);
}

TEST_CASE("a merged duplicate counts only in its master, and departments have rows") {
  Fixture f;
  // 12 duplicates 1 and is merged into it (closed as merged): not a case of its own.
  f.add(12, "g1", "noise", "closed", "2026-03-02 10:00", "2026-03-04 10:00", "2026-03-02 11:00");
  f.db.exec("UPDATE petitions SET merged_into = 1 WHERE id = 12");
  f.db.exec("INSERT INTO departments(id, code, name) VALUES (1, 'cg', '城管局')");
  f.db.exec("UPDATE petitions SET department_id = 1 WHERE id IN (4, 9)");
  auto grids = f.stats(data::StatsLevel::grid, "2026-03-01", "2026-04-01");
  const data::StatsRow& g1 = row(grids, "g1");
  CHECK(g1.total == 6);  // as without 12
  CHECK(g1.due == 4);
  CHECK(g1.closed == 3);
  CHECK_THAT(*g1.mean_hours_to_close, WithinAbs(24.5 / 3, 1e-9));
  // 城管局 handles 4 (open, overdue) and 9 (closed on time).
  auto depts = f.stats(data::StatsLevel::department, "2026-03-01", "2026-04-01");
  REQUIRE(depts.size() == 1);
  CHECK(depts[0].code == "1");
  CHECK(depts[0].name == "城管局");
  CHECK(depts[0].due == 2);
  CHECK(depts[0].completion_rate == 0.5);
  CHECK(depts[0].on_time_rate == 0.5);
  CHECK(depts[0].overdue == 1);
}
