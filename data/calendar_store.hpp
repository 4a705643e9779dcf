// The working calendar a database uses: the one imported into it (`gridmap calendar import`),
// else the built-in calendar of China (WorkCalendar::china_default()).
#pragma once

#include "data/db.hpp"
#include "data/work_calendar.hpp"

namespace gridmap::data {

WorkCalendar load_calendar(Db& db);
// Replaces the stored calendar (the caller holds a transaction).
void store_calendar(Db& db, const WorkCalendar& calendar, int64_t now);
// Whether a calendar was imported (false: the built-in one is used).
bool has_stored_calendar(Db& db);

}  // namespace gridmap::data
