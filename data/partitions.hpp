// Monthly partitions of the large tables on PostgreSQL that retention cuts. patrol_points and
// audit_log are partitioned by `at` (epoch seconds) into months of China time, one table a
// month (patrol_points_2026_12 holds December 2026), with a default partition for rows that
// fall in no month made yet (an old import, a clock far ahead). Retention drops whole months:
// no DELETE of millions of rows, no bloat, no vacuum debt.
//
// The cases' events are not partitioned: nothing expires them (they are the case file), and
// they are read by case, which no month prunes: with monthly partitions every read of a case
// was planned over every month (bench/run scale: PostgreSQL's CPU per request 3.9 ms before,
// 8.2 ms with the city's two years of events, some 25 months).
//
// Months are made ahead: the current one and the next two, at migration, at serve's start and
// by its hourly job. Rows that landed in the default partition move into their month when it
// is made. On SQLite (one file, one city) nothing is partitioned and these do nothing.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::data {

class Db;

// The partitioned tables.
inline constexpr std::string_view kMonthlyTables[] = {"patrol_points", "audit_log"};

// Months of China time (UTC+8, no daylight saving): the start of the month holding `t`, and
// the start of the month after the one starting at `start`.
int64_t month_start(int64_t t) noexcept;
int64_t month_after(int64_t start) noexcept;

struct MonthPartition {
  std::string name;  // patrol_points_2026_12
  int64_t from = 0;  // [from, to): epoch seconds
  int64_t to = 0;
};

// Migration 13's step on PostgreSQL: the three tables become partitioned, every row kept, in
// the month partitions of their rows and the three months from `now`.
void partition_monthly_tables(Db& db, int64_t now);

// Makes the month partitions of `now` and the next two months, of every month before them
// that has rows in a default partition (moved into it), and of the months in `also` (a copy's
// months, made before its rows come). Returns how many partitions were made. In a transaction
// of its own (a savepoint of the caller's). Nothing on SQLite.
int ensure_month_partitions(Db& db, int64_t now, const std::set<int64_t>& also = {});

// The months (their starts) that rows of `table` fall in, from 1970 until `limit`; on either
// engine.
std::set<int64_t> months_with_rows(Db& db, std::string_view table, int64_t limit);

// The month partitions of `table`, oldest first (empty on SQLite).
std::vector<MonthPartition> month_partitions(Db& db, std::string_view table);

// Drops the month partitions of `table` that end at or before `before`, after counting their
// rows, in a transaction of its own (a savepoint of the caller's). Returns the rows they held.
// Nothing on SQLite.
struct DroppedMonths {
  int partitions = 0;
  int64_t rows = 0;
  int64_t through = 0;  // the end of the last month dropped (0 when none)
};
DroppedMonths drop_months_before(Db& db, std::string_view table, int64_t before);

}  // namespace gridmap::data
