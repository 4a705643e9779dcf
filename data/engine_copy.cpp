#include "data/engine_copy.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "data/audit.hpp"
#include "data/bulk.hpp"
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
};

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
        out.push_back({n, {}});
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
  }
  return out;
}

int64_t count_rows(Db& db, const std::string& table) {
  Statement st(db, "SELECT count(*) FROM " + table);
  st.step();
  return st.int64(0);
}

int64_t copy_table(Db& from, Db& to, const Table& t) {
  std::string select = "SELECT ", into = "INSERT INTO " + t.name + " (";
  std::vector<std::string> values;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const Column& col = t.columns[c];
    select += (c ? ", " : "") + (col.geometry ? "AsBinary(" + col.name + ")" : col.name);
    into += (c ? ", " : "") + col.name;
    values.push_back(col.geometry ? "GeomFromWKB(?, 4326)" : "?");
  }
  // In key order: a row referring to another of its table (a duplicate to its master, a
  // category to its parent) comes after it.
  Statement src(from, select + " FROM " + t.name + " ORDER BY 1");
  // Many rows an INSERT: one round trip for many rows on PostgreSQL.
  const int width = static_cast<int>(values.size());
  BatchInsert insert(to, into + ")", std::move(values), {}, std::max(1, 500 / width));
  int64_t rows = 0;
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
    ++rows;
    if (insert.full()) insert.flush();
  }
  insert.flush();
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
  Transaction tx(to);
  for (const char* t : kDataTables)
    if (count_rows(to, t) > 0)
      throw_invalid("copy: the destination already holds data (" + std::string(t) +
                    "); copy into a new, empty database");
  // What the destination's schema seeded (the visit form's fields) is replaced by the source's.
  for (auto it = tables.rbegin(); it != tables.rend(); ++it)
    if (count_rows(to, it->name) > 0) to.exec("DELETE FROM " + it->name);
  std::vector<CopiedTable> out;
  for (const Table& t : tables) {
    CopiedTable c{t.name, copy_table(from, to, t)};
    int64_t there = count_rows(to, t.name), here = count_rows(from, t.name);
    if (there != c.rows || here != c.rows)
      throw_internal("copy: " + t.name + " has " + std::to_string(here) + " rows, " +
                     std::to_string(c.rows) + " were read and " + std::to_string(there) +
                     " written; nothing was kept");
    out.push_back(c);
    if (progress) progress(c);
  }
  copy_sequences(from, to);
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
