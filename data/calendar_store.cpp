#include "data/calendar_store.hpp"

namespace gridmap::data {

WorkCalendar load_calendar(Db& db) {
  Statement st(db, "SELECT csv FROM work_calendar WHERE id = 1");
  if (!st.step()) return WorkCalendar::china_default();
  return WorkCalendar::parse(st.text(0), "the stored calendar");
}

void store_calendar(Db& db, const WorkCalendar& calendar, int64_t now) {
  Statement st(
      db,
      "INSERT INTO work_calendar(id, csv, updated_at) VALUES (1, ?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET csv = excluded.csv, updated_at = excluded.updated_at");
  st.bind(1, calendar.to_csv()).bind(2, now).run();
}

bool has_stored_calendar(Db& db) {
  Statement st(db, "SELECT 1 FROM work_calendar WHERE id = 1");
  return st.step();
}

}  // namespace gridmap::data
