#include "data/engine_copy.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "data/audit.hpp"
#include "data/bulk.hpp"
#include "data/partitions.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

// Rows of these tables mean the destination is in use: a copy never merges into it.
const char* const kDataTables[] = {"subdistricts", "communities", "grids",     "workers",
                                   "households",   "residents",   "petitions", "users"};

struct Column {
  std::string name;
  bool geometry = false;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> key;  // the primary key's columns
};

// Rows read from the source at a time, and written to the destination between commits.
constexpr int64_t kPageRows = 5000;
constexpr int64_t kCommitRows = 5000;
// The destination's record of a copy under way: the source, and each table copied whole.
constexpr const char* kProgressTable = "gridmap_copy_progress";

// The primary key's columns of `table` (PostgreSQL's, which on a partitioned table take `at`
// in too): the order rows are read in, page by page, and where a resumed copy goes on from.
std::vector<std::string> primary_key(Db& pg, const std::string& table) {
  Statement st(pg,
               "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
               "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?1) AND "
               "i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)");
  st.bind(1, table);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  if (out.empty()) throw_internal("copy: " + table + " has no primary key");
  return out;
}

// gridmap's tables, parents before the tables that refer to them, from PostgreSQL's catalogue
// (the same schema as SQLite's, which keeps its own tables among SpatiaLite's).
std::vector<Table> tables_in_order(Db& pg) {
  std::set<std::string> names;
  {
    Statement st(pg,
                 "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                 "AND NOT c.relispartition AND c.relname <> 'spatial_ref_sys' "
                 "AND left(c.relname, 8) <> 'gridmap_'");
    while (st.step()) names.insert(st.text(0));
  }
  std::map<std::string, std::set<std::string>> parents;
  {
    Statement st(pg,
                 "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                 "WHERE contype = 'f' AND conrelid <> confrelid");
    while (st.step()) parents[st.text(0)].insert(st.text(1));
  }
  std::vector<Table> out;
  std::set<std::string> placed;
  while (placed.size() < names.size()) {
    size_t before = placed.size();
    for (const std::string& n : names) {
      if (placed.count(n)) continue;
      const auto& p = parents[n];
      if (std::all_of(p.begin(), p.end(),
                      [&](const std::string& x) { return placed.count(x) || !names.count(x); })) {
        out.push_back({n, {}, {}});
        placed.insert(n);
      }
    }
    if (placed.size() == before)
      throw_internal("copy: the tables' references go round in a circle");
  }
  for (Table& t : out) {
    Statement st(pg,
                 "SELECT column_name, udt_name = 'geometry' FROM information_schema.columns "
                 "WHERE table_schema = current_schema() AND table_name = ?1 "
                 "ORDER BY ordinal_position");
    st.bind(1, t.name);
    while (st.step()) t.columns.push_back({st.text(0), st.int64(1) == 1});
    t.key = primary_key(pg, t.name);
  }
  return out;
}

int64_t count_rows(Db& db, const std::string& table) {
  Statement st(db, "SELECT count(*) FROM " + table);
  st.step();
  return st.int64(0);
}

// A key's values, as read from a row: where the next page starts.
struct KeyValue {
  bool integer = false;
  int64_t number = 0;
  std::string text;
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

KeyValue key_value(const Statement& st, int col) {
  KeyValue v;
  v.integer = st.type(col) == Statement::Type::integer;
  if (v.integer)
    v.number = st.int64(col);
  else
    v.text = st.text(col);
  return v;
}

// The last key the destination holds of `t` (empty when none): a resumed copy reads after it.
std::vector<KeyValue> last_key(Db& to, const Table& t) {
  std::string order;
  for (const std::string& k : t.key) order += (order.empty() ? "" : ", ") + k + " DESC";
  Statement st(to,
               "SELECT " + joined(t.key) + " FROM " + t.name + " ORDER BY " + order + " LIMIT 1");
  std::vector<KeyValue> out;
  if (!st.step()) return out;
  for (int c = 0; c < st.columns(); ++c) out.push_back(key_value(st, c));
  return out;
}

// Copies the rows of `t` after those the destination holds already, a page at a time from the
// source (PostgreSQL would otherwise hand the whole table to the client at once), committing
// every kCommitRows rows: a copy stopped midway goes on from its last commit. Returns the
// rows copied by this call.
int64_t copy_table(Db& from, Db& to, const Table& t) {
  std::string select = "SELECT ", into = "INSERT INTO " + t.name + " (";
  std::vector<std::string> values;
  std::vector<int> key_columns;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const Column& col = t.columns[c];
    select += (c ? ", " : "") + (col.geometry ? "AsBinary(" + col.name + ")" : col.name);
    into += (c ? ", " : "") + col.name;
    values.push_back(col.geometry ? "GeomFromWKB(?, 4326)" : "?");
  }
  for (const std::string& k : t.key) {
    auto it = std::find_if(t.columns.begin(), t.columns.end(),
                           [&](const Column& c) { return c.name == k; });
    if (it == t.columns.end()) throw_internal("copy: " + t.name + " has no column " + k);
    key_columns.push_back(static_cast<int>(it - t.columns.begin()));
  }
  // In key order: a row referring to another of its table (a duplicate to its master, a
  // category to its parent) comes after it. A page starts after the last key read.
  // (Appended piece by piece: GCC 12 at -O3 misreads `"(" + s` as an overlapping copy.)
  std::string key = "(", after = "(";
  key += joined(t.key);
  key += ")";
  for (size_t k = 0; k < t.key.size(); ++k) {
    after += k ? ", ?" : "?";
    after += std::to_string(k + 1);
  }
  after += ")";
  std::string page_sql = select + " FROM " + t.name + " WHERE " + key + " > " + after +
                         " ORDER BY " + joined(t.key) + " LIMIT " + std::to_string(kPageRows);
  std::string first_sql = select + " FROM " + t.name + " ORDER BY " + joined(t.key) + " LIMIT " +
                          std::to_string(kPageRows);
  std::vector<KeyValue> last = last_key(to, t);
  const int width = static_cast<int>(values.size());
  int64_t rows = 0, uncommitted = 0;
  auto tx = std::make_unique<Transaction>(to);
  BatchInsert insert(to, into + ")", std::move(values), {}, std::max(1, 500 / width));
  while (true) {
    Statement src(from, last.empty() ? first_sql : page_sql);
    for (size_t k = 0; k < last.size(); ++k) {
      if (last[k].integer)
        src.bind(static_cast<int>(k + 1), last[k].number);
      else
        src.bind(static_cast<int>(k + 1), last[k].text);
    }
    int64_t page = 0;
    while (src.step()) {
      RowBuffer& row = insert.rows();
      for (int c = 0; c < width; ++c) {
        switch (src.type(c)) {
          case Statement::Type::null:
            row.null();
            break;
          case Statement::Type::integer:
            row.value(src.int64(c));
            break;
          case Statement::Type::real:
            row.value(src.real(c));
            break;
          case Statement::Type::text:
            row.value(src.text(c));
            break;
          case Statement::Type::blob:
            row.blob(src.blob_view(c));
            break;
        }
      }
      row.end_row();
      ++page;
      if (insert.full()) insert.flush();
      if (page == kPageRows) {  // where the next page starts
        last.clear();
        for (int c : key_columns) last.push_back(key_value(src, c));
      }
    }
    insert.flush();
    rows += page;
    uncommitted += page;
    if (page < kPageRows) break;
    if (uncommitted >= kCommitRows) {
      tx->commit();
      tx = std::make_unique<Transaction>(to);
      uncommitted = 0;
    }
  }
  tx->commit();
  return rows;
}

void copy_sequences(Db& from, Db& to) {
  // AUTOINCREMENT's high-water marks: SQLite's sqlite_sequence, the PostgreSQL schema's
  // gridmap_autoincrement (data/pg_schema.cpp).
  Statement src(from, from.postgresql() ? "SELECT name, seq FROM gridmap_autoincrement"
                                        : "SELECT name, seq FROM sqlite_sequence");
  while (src.step()) {
    if (to.postgresql()) {
      Statement st(to,
                   "INSERT INTO gridmap_autoincrement (name, seq) VALUES (?1, ?2) "
                   "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq");
      st.bind(1, src.text(0)).bind(2, src.int64(1)).run();
    } else {
      Statement del(to, "DELETE FROM sqlite_sequence WHERE name = ?1");
      del.bind(1, src.text(0)).run();
      Statement ins(to, "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)");
      ins.bind(1, src.text(0)).bind(2, src.int64(1)).run();
    }
  }
}

}  // namespace

std::vector<CopiedTable> copy_database(Db& from, Db& to,
                                       const std::function<void(const CopiedTable&)>& progress) {
  if (from.postgresql() == to.postgresql())
    throw_invalid(from.postgresql()
                      ? "copy: both databases are PostgreSQL (pg_dump copies between those)"
                      : "copy: both databases are SQLite (gridmap backup copies those)");
  if (from.schema_version() != to.schema_version())
    throw_invalid("copy: the databases are schema " + std::to_string(from.schema_version()) +
                  " and " + std::to_string(to.schema_version()));
  std::vector<Table> tables = tables_in_order(from.postgresql() ? from : to);
  std::string source = display_name(from.path());
  std::set<std::string> done;
  if (has_table(to, kProgressTable)) {
    // A copy stopped midway: it goes on, from the same source only.
    Statement st(to, std::string("SELECT table_name, source FROM ") + kProgressTable);
    while (st.step()) {
      if (st.text(1) != source)
        throw_invalid("copy: " + display_name(to.path()) + " holds a copy under way from " +
                      st.text(1) + ", not from " + source);
      if (!st.text(0).empty()) done.insert(st.text(0));
    }
  } else {
    Transaction tx(to);
    for (const char* t : kDataTables)
      if (count_rows(to, t) > 0)
        throw_invalid("copy: the destination already holds data (" + std::string(t) +
                      "); copy into a new, empty database");
    // What the destination's schema seeded (the visit form's fields) is replaced by the
    // source's.
    for (auto it = tables.rbegin(); it != tables.rend(); ++it)
      if (count_rows(to, it->name) > 0) to.exec("DELETE FROM " + it->name);
    to.exec(std::string("CREATE TABLE ") + kProgressTable +
            " (table_name TEXT PRIMARY KEY, source TEXT NOT NULL)");
    Statement mark(to, std::string("INSERT INTO ") + kProgressTable + " VALUES ('', ?1)");
    mark.bind(1, source).run();
    // On PostgreSQL the source's months get their partitions before their rows come.
    std::set<int64_t> months;
    for (std::string_view t : kMonthlyTables)
      for (int64_t m : months_with_rows(from, t, std::numeric_limits<int64_t>::max() / 2))
        months.insert(m);
    ensure_month_partitions(to, now_seconds(), months);
    tx.commit();
  }
  // One snapshot of the source for the whole copy.
  if (from.postgresql())
    from.exec_native("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  else
    from.exec("BEGIN");
  std::vector<CopiedTable> out;
  try {
    for (const Table& t : tables) {
      if (!done.count(t.name)) {
        copy_table(from, to, t);
        Transaction tx(to);
        Statement mark(to, std::string("INSERT INTO ") + kProgressTable + " VALUES (?1, ?2)");
        mark.bind(1, t.name).bind(2, source).run();
        tx.commit();
      }
      CopiedTable c{t.name, count_rows(to, t.name)};
      int64_t here = count_rows(from, t.name);
      if (here != c.rows)
        throw_internal("copy: " + t.name + " has " + std::to_string(here) +
                       " rows in the source and " + std::to_string(c.rows) + " in the destination");
      out.push_back(c);
      if (progress) progress(c);
    }
    if (from.postgresql())
      from.exec_native("COMMIT");
    else
      from.exec("COMMIT");
  } catch (...) {
    if (from.postgresql())
      from.exec_native("ROLLBACK");
    else
      from.exec("ROLLBACK");
    throw;
  }
  Transaction tx(to);
  copy_sequences(from, to);
  ensure_month_partitions(to, now_seconds());  // any row of the default partition into its month
  to.exec(std::string("DROP TABLE ") + kProgressTable);
  tx.commit();
  return out;
}

void copy_audit_anchor(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  AuditAnchor a = AuditAnchor::of(from), b = AuditAnchor::of(to);
  for (auto [src, dst] :
       {std::pair{a.key_path, b.key_path}, {a.checkpoint_path, b.checkpoint_path}}) {
    if (!fs::exists(src) || src == dst) continue;
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    fs::permissions(dst, fs::perms::owner_read | fs::perms::owner_write);
  }
}

}  // namespace gridmap::data
