#include "data/catalogue.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "data/csv.hpp"
#include "data/work_calendar.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

const char* const kColumns =
    "code, name, name_en, parent, level, deadline, deadline_unit, on_site_close, photos_to_close";

const std::vector<std::string> kHeader = {"code",  "name",     "name_en",       "parent",
                                          "level", "deadline", "on_site_close", "photos_to_close"};

CatalogueEntry read_entry(const Statement& st) {
  CatalogueEntry e;
  e.code = st.text(0);
  e.name = st.text(1);
  e.name_en = st.text(2);
  e.parent = st.opt_text(3);
  e.level = stored_level(st.text(4));
  e.deadline = static_cast<int>(st.int64(5));
  e.unit = st.text(6) == "working_days" ? DeadlineUnit::working_days : DeadlineUnit::working_hours;
  e.on_site_close = st.int64(7) != 0;
  e.photos_to_close = st.int64(8) != 0;
  return e;
}

// Codes go into URLs, CSV and filter lists: no white space, control characters, commas,
// quotes or slashes (Chinese codes are fine).
bool valid_code(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  return std::none_of(code.begin(), code.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == ',' || c == '"' || c == '\'' || c == '/' || c == '\\' ||
           c == ';';
  });
}

std::optional<bool> parse_flag(std::string_view v) {
  if (v == "yes" || v == "true" || v == "1" || v == "是") return true;
  if (v == "no" || v == "false" || v == "0" || v == "否") return false;
  return std::nullopt;
}

// The parent rules for entries that all exist at once (after an import, or one put).
std::optional<std::string> parent_problem(const CatalogueEntry& e,
                                          const std::map<std::string, CatalogueEntry>& all) {
  if (!e.parent) return std::nullopt;
  if (*e.parent == e.code) return "a category cannot be its own parent";
  auto p = all.find(*e.parent);
  if (p == all.end()) return "unknown parent '" + *e.parent + "'";
  if (p->second.parent)
    return "parent '" + *e.parent + "' is itself a 小类 (the catalogue has two levels)";
  for (const auto& [code, other] : all)
    if (other.parent == e.code)
      return "'" + e.code + "' has 小类 of its own (such as '" + code +
             "') and cannot become a 小类";
  return std::nullopt;
}

}  // namespace

CatalogueEntry simple_category(std::string code, std::string name, int deadline,
                               DeadlineUnit unit) {
  CatalogueEntry e;
  e.code = std::move(code);
  e.name = std::move(name);
  e.deadline = deadline;
  e.unit = unit;
  return e;
}

std::string deadline_text(const CatalogueEntry& e) {
  return std::to_string(e.deadline) + (e.unit == DeadlineUnit::working_days ? "d" : "h");
}

void parse_deadline(std::string_view text, CatalogueEntry& e) {
  auto bad = [&] {
    throw_invalid("deadline '" + std::string(text) +
                  "' is not a number of working hours or days, such as 72h or 5d");
  };
  if (text.size() < 2) bad();
  char unit = text.back();
  if (unit != 'h' && unit != 'd') bad();
  int n = 0;
  std::string_view digits = text.substr(0, text.size() - 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size() || n <= 0) bad();
  if (n > (unit == 'h' ? 24 * 365 : 365))
    throw_invalid("deadline '" + std::string(text) + "' is longer than a year");
  e.deadline = n;
  e.unit = unit == 'd' ? DeadlineUnit::working_days : DeadlineUnit::working_hours;
}

void check_entry(const CatalogueEntry& e) {
  if (!valid_code(e.code))
    throw_invalid("category code '" + e.code +
                  "' must be 1 to 64 bytes without spaces, commas, quotes or slashes");
  if (e.name.empty() || e.name.size() > 200)
    throw_invalid("category '" + e.code + "' needs a name of at most 200 bytes");
  if (e.name_en.size() > 200)
    throw_invalid("category '" + e.code + "': name_en is longer than 200 bytes");
  if (e.parent && !valid_code(*e.parent))
    throw_invalid("parent code '" + *e.parent + "' is not a category code");
  if (e.deadline <= 0 || e.deadline > (e.unit == DeadlineUnit::working_hours ? 24 * 365 : 365))
    throw_invalid("category '" + e.code +
                  "': the deadline must be between 1 and a year of working time");
}

std::vector<CatalogueEntry> Catalogue::list() {
  Statement st(db_,
               std::string("SELECT ") + kColumns +
                   " FROM categories ORDER BY coalesce(parent, code), parent IS NOT NULL, code");
  std::vector<CatalogueEntry> out;
  while (st.step()) out.push_back(read_entry(st));
  return out;
}

std::optional<CatalogueEntry> Catalogue::get(const std::string& code) {
  Statement st(db_, std::string("SELECT ") + kColumns + " FROM categories WHERE code = ?1");
  st.bind(1, code);
  if (!st.step()) return std::nullopt;
  return read_entry(st);
}

bool Catalogue::put(const CatalogueEntry& e) {
  check_entry(e);
  std::map<std::string, CatalogueEntry> all;
  for (CatalogueEntry& x : list()) all.emplace(x.code, std::move(x));
  bool fresh = !all.count(e.code);
  all[e.code] = e;
  if (auto problem = parent_problem(e, all))
    throw_invalid("category '" + e.code + "': " + *problem);
  Statement st(
      db_,
      "INSERT INTO categories(code, name, name_en, parent, level, deadline, deadline_unit, "
      "on_site_close, "
      "photos_to_close, deadline_hours) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT(code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, "
      "parent = excluded.parent, level = excluded.level, deadline = excluded.deadline, "
      "deadline_unit = excluded.deadline_unit, on_site_close = excluded.on_site_close, "
      "photos_to_close = excluded.photos_to_close, deadline_hours = excluded.deadline_hours");
  st.bind(1, e.code)
      .bind(2, e.name)
      .bind(3, e.name_en)
      .bind(4, e.parent)
      .bind(5, to_string(e.level));
  st.bind(6, e.deadline)
      .bind(7, e.unit == DeadlineUnit::working_days ? "working_days" : "working_hours");
  st.bind(8, int64_t{e.on_site_close}).bind(9, int64_t{e.photos_to_close});
  // The calendar-hour column of schema 4, kept filled for tools that read it.
  st.bind(10, int64_t{e.deadline} * (e.unit == DeadlineUnit::working_days ? 24 : 1));
  st.run();
  return fresh;
}

void Catalogue::remove(const std::string& code) {
  if (!get(code)) throw Error(ErrorKind::not_found, "no category '" + code + "'");
  Statement used(db_, "SELECT count(*) FROM petitions WHERE category = ?1");
  used.bind(1, code);
  used.step();
  if (int64_t n = used.int64(0))
    throw Error(ErrorKind::conflict,
                "category '" + code + "' is used by " + std::to_string(n) + " petitions");
  Statement children(db_, "SELECT code FROM categories WHERE parent = ?1 ORDER BY code LIMIT 1");
  children.bind(1, code);
  if (children.step())
    throw Error(ErrorKind::conflict,
                "category '" + code + "' has 小类 (such as '" + children.text(0) + "')");
  Statement del(db_, "DELETE FROM categories WHERE code = ?1");
  del.bind(1, code).run();
}

std::string Catalogue::petition_codes() {
  Statement st(
      db_,
      "SELECT group_concat(code, ', ') FROM (SELECT code FROM categories c WHERE NOT EXISTS "
      "(SELECT 1 FROM categories k WHERE k.parent = c.code) ORDER BY code) AS leaves");
  st.step();
  return st.is_null(0) ? std::string() : st.text(0);
}

CatalogueEntry Catalogue::for_new_petition(const std::string& code) {
  std::optional<CatalogueEntry> e = get(code);
  std::string known = petition_codes();
  std::string hint =
      known.empty()
          ? " (the catalogue is empty: an admin imports one with `gridmap catalogue import`)"
          : " (the catalogue has: " + known + ")";
  if (!e) throw_invalid("unknown category '" + code + "'" + hint);
  Statement children(db_, "SELECT 1 FROM categories WHERE parent = ?1 LIMIT 1");
  children.bind(1, code);
  if (children.step())
    throw_invalid("category '" + code + "' is a 大类: choose one of its 小类" + hint);
  return *e;
}

CatalogueImport Catalogue::import_csv(std::istream& in) {
  CatalogueImport out;
  CsvReader csv(in);
  std::optional<std::vector<std::string>> header = csv.next();
  if (!header) {
    out.issues.push_back(
        {1, "",
         "the file is empty (expected a header: code,name,name_en,parent,level,deadline,...)"});
    return out;
  }
  std::vector<std::optional<size_t>> col;
  for (const std::string& name : kHeader) col.push_back(find_column(*header, name));
  for (size_t i : {size_t{0}, size_t{1}, size_t{5}})
    if (!col[i])
      out.issues.push_back({csv.line(), "", "the header has no '" + kHeader[i] + "' column"});
  if (!out.issues.empty()) return out;
  std::map<std::string, CatalogueEntry> rows;
  std::map<std::string, int64_t> line_of;
  while (auto rec = csv.next()) {
    int64_t line = csv.line();
    auto field = [&](size_t i) -> std::string {
      return col[i] && *col[i] < rec->size() ? (*rec)[*col[i]] : std::string();
    };
    if (rec->size() == 1 && (*rec)[0].empty()) continue;  // a blank line
    CatalogueEntry e;
    e.code = field(0);
    try {
      e.name = field(1);
      e.name_en = field(2);
      if (!field(3).empty()) e.parent = field(3);
      if (!field(4).empty()) {
        auto l = parse_level(field(4));
        if (!l)
          throw_invalid("level '" + field(4) +
                        "' is not grid, community, subdistrict or department");
        e.level = *l;
      }
      parse_deadline(field(5), e);
      for (size_t i : {size_t{6}, size_t{7}}) {
        if (field(i).empty()) continue;
        auto f = parse_flag(field(i));
        if (!f) throw_invalid(kHeader[i] + " '" + field(i) + "' is not yes or no");
        (i == 6 ? e.on_site_close : e.photos_to_close) = *f;
      }
      check_entry(e);
      if (auto it = line_of.find(e.code); it != line_of.end())
        throw_invalid("category '" + e.code + "' is already on line " + std::to_string(it->second));
    } catch (const Error& err) {
      if (err.kind() != ErrorKind::invalid_input) throw;
      out.issues.push_back({line, e.code, err.what()});
      continue;
    }
    line_of[e.code] = line;
    rows[e.code] = std::move(e);
  }
  // The parent rules against the catalogue as it will be: what is stored, with the file over it.
  std::map<std::string, CatalogueEntry> all;
  for (CatalogueEntry& x : list()) all.emplace(x.code, std::move(x));
  std::map<std::string, CatalogueEntry> before = all;
  for (const auto& [code, e] : rows) all[code] = e;
  for (const auto& [code, e] : rows)
    if (auto problem = parent_problem(e, all))
      out.issues.push_back({line_of[code], code, *problem});
  if (!out.issues.empty()) {
    std::sort(out.issues.begin(), out.issues.end(),
              [](const CatalogueIssue& a, const CatalogueIssue& b) { return a.line < b.line; });
    return out;
  }
  // 大类 before 小类, so each parent exists when its 小类 is written.
  for (bool second_level : {false, true})
    for (const auto& [code, e] : rows) {
      if (e.parent.has_value() != second_level) continue;
      auto old = before.find(code);
      if (old == before.end())
        ++out.added;
      else if (old->second == e) {
        ++out.unchanged;
        continue;
      } else {
        ++out.updated;
      }
      put(e);
    }
  return out;
}

void Catalogue::export_csv(std::ostream& out) {
  write_csv_row(out, kHeader);
  for (const CatalogueEntry& e : list())
    write_csv_row(
        out, {e.code, e.name, e.name_en, e.parent.value_or(""), std::string(to_string(e.level)),
              deadline_text(e), e.on_site_close ? "yes" : "no", e.photos_to_close ? "yes" : "no"});
}

int64_t due_at(const CatalogueEntry& e, int64_t from, const WorkCalendar& calendar) {
  return e.unit == DeadlineUnit::working_days
             ? calendar.add_working_days(from, e.deadline)
             : calendar.add_working_seconds(from, int64_t{e.deadline} * 3600);
}

}  // namespace gridmap::data
