#include "data/partitions.hpp"

#include <chrono>
#include <cstdio>
#include <set>

#include "data/db.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

constexpr int64_t kChinaOffsetS = 8 * 3600;
constexpr int kMonthsAhead = 3;  // the current month and the next two

std::chrono::year_month_day china_date(int64_t t) noexcept {
  int64_t local = t + kChinaOffsetS;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(days)));
}

int64_t china_month_start(int year, unsigned month) noexcept {
  return days_from_civil(year, month, 1) * 86400 - kChinaOffsetS;
}

std::string partition_name(std::string_view table, int64_t start) {
  auto d = china_date(start);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%04d_%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()));
  return std::string(table) + suffix;
}

std::string default_partition(std::string_view table) {
  return std::string(table) + "_default";
}

// What each table has once its rows are in place: keys, references, indexes and triggers.
// The primary keys take `at` in, as PostgreSQL asks of a partitioned table; ids stay unique
// because gridmap_partitioned_id numbers them over the whole table.
const char* finishing_sql(std::string_view table) {
  if (table == "patrol_points")
    return R"SQL(
ALTER TABLE patrol_points ADD PRIMARY KEY (worker_id, at);
ALTER TABLE patrol_points ADD FOREIGN KEY (worker_id) REFERENCES workers(id) ON DELETE CASCADE;
CREATE INDEX patrol_points_at ON patrol_points(at);
)SQL";
  if (table == "audit_log")
    return R"SQL(
ALTER TABLE audit_log ADD PRIMARY KEY (id, at);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_partitioned_id('audit_log');
CREATE TRIGGER gridmap_last_id AFTER INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION gridmap_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
  FOR EACH STATEMENT EXECUTE FUNCTION gridmap_append_only();
)SQL";
  throw_internal("no monthly partitions for " + std::string(table));
}

// Makes the partition of the month starting at `start`, moving into it the rows of that month
// the default partition holds (PostgreSQL refuses a partition whose rows are in the default).
void make_month(Db& db, std::string_view table, int64_t start) {
  std::string name = partition_name(table, start), fallback = default_partition(table);
  std::string range =
      "at >= " + std::to_string(start) + " AND at < " + std::to_string(month_after(start));
  bool moving = false;
  {
    Statement st(db, "SELECT EXISTS (SELECT 1 FROM \"" + fallback + "\" WHERE " + range + ")");
    st.step();
    moving = st.int64(0) != 0;
  }
  if (moving)  // the audit log's rows may not be deleted: its trigger stands aside for the move
    db.exec_native("ALTER TABLE \"" + fallback + "\" DISABLE TRIGGER USER;" +
                   "CREATE TEMP TABLE gridmap_moving ON COMMIT DROP AS WITH m AS (DELETE FROM \"" +
                   fallback + "\" WHERE " + range + " RETURNING *) SELECT * FROM m;" +
                   "ALTER TABLE \"" + fallback + "\" ENABLE TRIGGER USER;");
  db.exec_native("CREATE TABLE \"" + name + "\" PARTITION OF " + std::string(table) +
                 " FOR VALUES FROM (" + std::to_string(start) + ") TO (" +
                 std::to_string(month_after(start)) + ")");
  // A statement trigger on the parent does not guard TRUNCATE of one partition.
  if (table == "audit_log")
    db.exec_native("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON \"" + name +
                   "\" FOR EACH STATEMENT EXECUTE FUNCTION gridmap_append_only()");
  if (moving)
    db.exec_native("INSERT INTO " + std::string(table) +
                   " SELECT * FROM gridmap_moving; DROP TABLE gridmap_moving");
}

std::set<int64_t> months_wanted(int64_t now) {
  std::set<int64_t> out;
  for (int64_t m = month_start(now); out.size() < kMonthsAhead; m = month_after(m)) out.insert(m);
  return out;
}

}  // namespace

int64_t month_start(int64_t t) noexcept {
  auto d = china_date(t);
  return china_month_start(static_cast<int>(d.year()), static_cast<unsigned>(d.month()));
}

int64_t month_after(int64_t start) noexcept {
  auto d = china_date(start);
  int year = static_cast<int>(d.year());
  unsigned month = static_cast<unsigned>(d.month()) + 1;
  if (month > 12) {
    month = 1;
    ++year;
  }
  return china_month_start(year, month);
}

void partition_monthly_tables(Db& db, int64_t now) {
  if (!db.postgresql()) return;
  std::set<int64_t> ahead = months_wanted(now);
  int64_t limit = month_after(*ahead.rbegin());
  for (std::string_view table : kMonthlyTables) {
    std::string t(table), old = t + "_unpartitioned";
    db.exec_native("ALTER TABLE " + t + " RENAME TO " + old + ";" + "CREATE TABLE " + t +
                   " (LIKE " + old +
                   " INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (at);" +
                   "CREATE TABLE " + default_partition(t) + " PARTITION OF " + t + " DEFAULT;");
    std::set<int64_t> months = months_with_rows(db, old, limit);
    months.insert(ahead.begin(), ahead.end());
    for (int64_t m : months) make_month(db, table, m);
    db.exec_native("INSERT INTO " + t + " SELECT * FROM " + old + "; DROP TABLE " + old + ";");
    db.exec_native(finishing_sql(table));
  }
}

int ensure_month_partitions(Db& db, int64_t now, const std::set<int64_t>& also) {
  if (!db.postgresql()) return 0;
  Transaction tx(db);  // the moves out of the default partition need one
  std::set<int64_t> ahead = months_wanted(now);
  int64_t limit = month_after(*ahead.rbegin());
  for (int64_t m : also)
    if (m < limit) ahead.insert(month_start(m));
  int made = 0;
  for (std::string_view table : kMonthlyTables) {
    if (!has_table(db, default_partition(table))) continue;  // not partitioned (schema 12)
    std::set<int64_t> have;
    for (const MonthPartition& p : month_partitions(db, table)) have.insert(p.from);
    std::set<int64_t> months = months_with_rows(db, default_partition(table), limit);
    months.insert(ahead.begin(), ahead.end());
    for (int64_t m : months)
      if (!have.count(m)) {
        make_month(db, table, m);
        ++made;
      }
  }
  tx.commit();
  return made;
}

std::set<int64_t> months_with_rows(Db& db, std::string_view table, int64_t limit) {
  // Days of China time, counted by either engine's integer division; months made of them here.
  std::set<int64_t> out;
  Statement st(db, "SELECT DISTINCT (at + " + std::to_string(kChinaOffsetS) + ") / 86400 FROM \"" +
                       std::string(table) + "\" WHERE at >= 0 AND at < ?1");
  st.bind(1, limit);
  while (st.step()) out.insert(month_start(st.int64(0) * 86400 - kChinaOffsetS));
  return out;
}

std::vector<MonthPartition> month_partitions(Db& db, std::string_view table) {
  std::vector<MonthPartition> out;
  if (!db.postgresql()) return out;
  Statement st(db,
               "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
               "WHERE i.inhparent = to_regclass(?1) ORDER BY c.relname");
  st.bind(1, std::string(table));
  std::string prefix = std::string(table) + "_";
  while (st.step()) {
    std::string name = st.text(0);
    int year = 0;
    unsigned month = 0;
    char tail = 0;
    if (name.rfind(prefix, 0) != 0 ||
        std::sscanf(name.c_str() + prefix.size(), "%4d_%2u%c", &year, &month, &tail) != 2 ||
        month < 1 || month > 12)
      continue;  // the default partition
    int64_t from = china_month_start(year, month);
    out.push_back({name, from, month_after(from)});
  }
  return out;
}

DroppedMonths drop_months_before(Db& db, std::string_view table, int64_t before) {
  DroppedMonths out;
  if (!db.postgresql()) return out;
  Transaction tx(db);
  for (const MonthPartition& p : month_partitions(db, table)) {
    if (p.to > before) break;
    Statement n(db, "SELECT count(*) FROM \"" + p.name + "\"");
    n.step();
    out.rows += n.int64(0);
    db.exec_native("DROP TABLE \"" + p.name + "\"");
    ++out.partitions;
    out.through = p.to;
  }
  tx.commit();
  return out;
}

}  // namespace gridmap::data
