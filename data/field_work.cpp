#include "data/field_work.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "core/json_text.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap::data {

namespace {
constexpr std::array<std::string_view, 5> kFieldTypes{"integer", "text", "flag", "choice",
                                                      "choices"};
constexpr size_t kMaxText = 4000;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

bool is_day(const std::string& d) {
  return d.size() == 10 && parse_time(d).has_value();
}

// The answers as the form asks: known fields, each once, values of its type; every
// required field present.
void check_answers(const std::vector<FormField>& form, const std::vector<FormAnswer>& answers) {
  std::set<std::string> seen;
  for (const FormAnswer& a : answers) {
    auto f = std::find_if(form.begin(), form.end(),
                          [&](const FormField& x) { return x.key == a.field; });
    if (f == form.end()) {
      std::string keys;
      for (const auto& x : form) keys += (keys.empty() ? "" : ", ") + x.key;
      throw_invalid("the visit form has no field '" + a.field + "' (it has " + keys + ")");
    }
    if (!seen.insert(a.field).second) throw_invalid("field '" + a.field + "' is answered twice");
    std::string what = "field '" + a.field + "' (" + f->label + ")";
    if (f->type != FieldType::choices && a.values.size() != 1)
      throw_invalid(what + " takes one value");
    const std::string& v = a.values.empty() ? std::string() : a.values.front();
    switch (f->type) {
      case FieldType::integer: {
        int64_t n = -1;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size() || n < 0 || n > 100000)
          throw_invalid(what + " takes a whole number from 0 to 100000");
        break;
      }
      case FieldType::text:
        if (v.size() > kMaxText) throw_invalid(what + " is longer than 4,000 bytes");
        break;
      case FieldType::flag:
        if (v != "true" && v != "false") throw_invalid(what + " takes true or false");
        break;
      case FieldType::choice:
      case FieldType::choices: {
        std::set<std::string> picked;
        for (const std::string& c : a.values) {
          if (std::find(f->options.begin(), f->options.end(), c) == f->options.end())
            throw_invalid(what + " has no option '" + c + "' (options: " + join_lines(f->options) +
                          ")");
          if (!picked.insert(c).second) throw_invalid(what + " lists '" + c + "' twice");
        }
        break;
      }
    }
  }
  for (const FormField& f : form)
    if (f.required && !seen.count(f.key))
      throw_invalid("field '" + f.key + "' (" + f.label + ") is required");
}

std::vector<FormAnswer> answers_of(Db& db, int64_t visit) {
  Statement st(
      db, "SELECT field, value FROM visit_answers WHERE visit_id = ?1 ORDER BY field, position");
  st.bind(1, visit);
  std::vector<FormAnswer> out;
  while (st.step()) {
    std::string field = st.text(0);
    if (out.empty() || out.back().field != field) out.push_back({field, {}});
    out.back().values.push_back(st.text(1));
  }
  return out;
}

constexpr const char* kVisitColumns =
    "v.id, v.worker_id, v.household_id, v.at, v.note, v.lon, v.lat, v.distance_m, "
    "v.off_site_reason, "
    "v.duration_min, v.recorded_at, v.petition_id, h.grid_code FROM visits v "
    "JOIN households h ON h.id = v.household_id ";

std::vector<Visit> read_visits(Db& db, Statement& st) {
  std::vector<Visit> out;
  while (st.step()) {
    Visit v;
    v.id = st.int64(0);
    v.worker_id = st.int64(1);
    v.household_id = st.int64(2);
    v.at = st.int64(3);
    v.note = st.text(4);
    if (!st.is_null(5) && !st.is_null(6)) v.position = LonLat{st.real(5), st.real(6)};
    if (!st.is_null(7)) v.distance_m = st.real(7);
    v.off_site_reason = st.opt_text(8);
    v.duration_min = st.opt_int64(9);
    v.recorded_at = st.opt_int64(10);
    v.petition_id = st.opt_int64(11);
    v.grid_code = st.opt_text(12);
    out.push_back(std::move(v));
  }
  for (Visit& v : out) v.answers = answers_of(db, v.id);
  return out;
}

constexpr const char* kLogColumns =
    "id, worker_id, day, at, text, version, created_at, created_by, edited_at, edited_by FROM "
    "work_log_entries ";

LogEntry read_log(const Statement& st, int64_t now) {
  LogEntry e;
  e.id = st.int64(0);
  e.worker_id = st.int64(1);
  e.day = st.text(2);
  e.at = st.int64(3);
  e.text = st.text(4);
  e.version = st.int64(5);
  e.created_at = st.int64(6);
  e.created_by = st.text(7);
  e.edited_at = st.opt_int64(8);
  e.edited_by = st.opt_text(9);
  e.locked = log_entry_locked(e.at, now);
  return e;
}

// A field record's time: not in the future (five minutes of clock drift allowed), not
// older than the window.
int64_t record_time(std::optional<int64_t> at, int64_t now, const char* what) {
  int64_t t = at.value_or(now);
  if (t > now + 300) throw_invalid(std::string(what) + " cannot be in the future");
  if (t < now - kFieldRecordWindowS)
    throw_invalid(std::string(what) + " is more than three days old: it can no longer be recorded");
  return t;
}

}  // namespace

bool log_entry_locked(int64_t entry_at, int64_t now) noexcept {
  return now >= entry_at + kFieldRecordWindowS;
}

std::string_view to_string(FieldType t) noexcept {
  return kFieldTypes[static_cast<size_t>(t)];
}
std::optional<FieldType> parse_field_type(std::string_view s) noexcept {
  for (size_t i = 0; i < kFieldTypes.size(); ++i)
    if (kFieldTypes[i] == s) return static_cast<FieldType>(i);
  return std::nullopt;
}

std::string china_day(int64_t t) {
  return format_time(t + 8 * 3600).substr(0, 10);
}

void FieldWork::require_worker(int64_t worker) {
  Statement w(db_, "SELECT 1 FROM workers WHERE id = ?1");
  w.bind(1, worker);
  if (!w.step()) throw Error(ErrorKind::not_found, "no worker " + std::to_string(worker));
}

std::vector<FormField> FieldWork::form_of(const std::optional<std::string>& subdistrict) {
  Statement st(
      db_,
      "SELECT key, label, type, options, required FROM visit_form_fields WHERE scope = "
      "CASE WHEN EXISTS (SELECT 1 FROM visit_form_fields WHERE scope = ?1) THEN ?1 ELSE '' END "
      "ORDER BY position");
  st.bind(1, subdistrict.value_or(""));
  std::vector<FormField> out;
  while (st.step())
    out.push_back({st.text(0), st.text(1), parse_field_type(st.text(2)).value_or(FieldType::text),
                   split_lines(st.text(3)), st.int64(4) != 0});
  return out;
}

void FieldWork::put_form(const std::optional<std::string>& subdistrict,
                         const std::vector<FormField>& fields) {
  std::string scope = subdistrict.value_or("");
  if (scope.empty() && fields.empty())
    throw_invalid("the city's visit form needs at least one field");
  if (fields.size() > 100) throw_invalid("a visit form has at most 100 fields");
  std::set<std::string> keys;
  for (const FormField& f : fields) {
    if (f.key.empty() || f.key.size() > 64 || !std::all_of(f.key.begin(), f.key.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        }))
      throw_invalid("a field key is 1 to 64 letters, digits or '_' ('" + f.key + "' is not)");
    if (!keys.insert(f.key).second) throw_invalid("field '" + f.key + "' is given twice");
    if (f.label.empty() || f.label.size() > 200)
      throw_invalid("field '" + f.key + "' needs a label (up to 200 bytes)");
    bool choice = f.type == FieldType::choice || f.type == FieldType::choices;
    if (choice && f.options.empty())
      throw_invalid("field '" + f.key + "' is a choice and needs options");
    if (!choice && !f.options.empty())
      throw_invalid("field '" + f.key + "' is not a choice and takes no options");
    for (const std::string& o : f.options)
      if (o.empty() || o.find('\n') != std::string::npos || o.size() > 200)
        throw_invalid("an option of field '" + f.key + "' is empty, too long or spans lines");
  }
  Transaction tx(db_);
  if (!scope.empty()) {
    Statement s(db_, "SELECT 1 FROM subdistricts WHERE code = ?1");
    s.bind(1, scope);
    if (!s.step()) throw Error(ErrorKind::not_found, "no subdistrict " + scope);
  }
  Statement del(db_, "DELETE FROM visit_form_fields WHERE scope = ?1");
  del.bind(1, scope).run();
  Statement ins(
      db_,
      "INSERT INTO visit_form_fields(scope, position, key, label, type, options, required) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  int64_t pos = 0;
  for (const FormField& f : fields)
    ins.bind(1, scope)
        .bind(2, ++pos)
        .bind(3, f.key)
        .bind(4, f.label)
        .bind(5, to_string(f.type))
        .bind(6, join_lines(f.options))
        .bind(7, f.required ? 1 : 0)
        .run();
  tx.commit();
}

int64_t FieldWork::add_visit(const NewVisit& v, int64_t now) {
  if (v.note.size() > kMaxText) throw_invalid("the note is longer than 4,000 bytes");
  if (v.duration_min && (*v.duration_min < 0 || *v.duration_min > 24 * 60))
    throw_invalid("duration_min is from 0 to 1440 minutes");
  if (v.off_site_reason && v.off_site_reason->size() > 1000)
    throw_invalid("off_site_reason is longer than 1,000 bytes");
  int64_t at = record_time(v.at, now, "a visit");
  Transaction tx(db_);
  require_worker(v.worker);
  // In the visiting worker's grids (and the caller's patch): anywhere else the household
  // answers as a missing one, so that a worker cannot learn which households exist.
  Statement h(
      db_,
      "SELECT h.grid_code, h.subdistrict_code, X(h.geom), Y(h.geom) FROM households h "
      "JOIN worker_grids wg ON wg.grid_code = h.grid_code AND wg.worker_id = ?2 WHERE h.id = ?1");
  h.bind(1, v.household).bind(2, v.worker);
  bool found = h.step();
  std::optional<std::string> grid = found ? h.opt_text(0) : std::nullopt;
  if (!found ||
      (v.patch && (!grid || std::find(v.patch->begin(), v.patch->end(), *grid) == v.patch->end())))
    throw Error(ErrorKind::not_found, "no household " + std::to_string(v.household));
  std::optional<std::string> subdistrict = h.opt_text(1);
  LonLat home{h.real(2), h.real(3)};
  std::optional<double> distance;
  if (v.position) {
    if (!is_valid_wgs84(*v.position))
      throw_invalid("the visit's position is not a valid longitude/latitude");
    distance = geodesic_distance_m(home, *v.position);
  }
  bool reason = v.off_site_reason && !v.off_site_reason->empty();
  if (!reason && !distance)
    throw_invalid(
        "give the visit's position (lon, lat), or say in 'off_site_reason' why there is none");
  if (!reason && *distance > kVisitRadiusM)
    throw_invalid("the position is " + std::to_string(static_cast<int64_t>(*distance)) +
                  " m from the household (more than 200 m): record the visit there, or say why in "
                  "'off_site_reason'");
  check_answers(form_of(subdistrict), v.answers);
  Statement ins(db_,
                "INSERT INTO visits(worker_id, household_id, at, note, lon, lat, distance_m, "
                "off_site_reason, "
                "duration_min, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  ins.bind(1, v.worker).bind(2, v.household).bind(3, at).bind(4, v.note);
  if (v.position)
    ins.bind(5, v.position->lon).bind(6, v.position->lat);
  else
    ins.bind_null(5).bind_null(6);
  ins.bind(7, distance)
      .bind(8, reason ? v.off_site_reason : std::nullopt)
      .bind(9, v.duration_min)
      .bind(10, now)
      .run();
  int64_t id = db_.last_insert_rowid();
  Statement ans(
      db_, "INSERT INTO visit_answers(visit_id, field, position, value) VALUES (?1, ?2, ?3, ?4)");
  for (const FormAnswer& a : v.answers)
    for (size_t i = 0; i < a.values.size(); ++i)
      ans.bind(1, id).bind(2, a.field).bind(3, static_cast<int64_t>(i)).bind(4, a.values[i]).run();
  tx.commit();
  return id;
}

void FieldWork::link_petition(int64_t visit, int64_t petition) {
  Statement st(db_, "UPDATE visits SET petition_id = ?2 WHERE id = ?1");
  st.bind(1, visit).bind(2, petition).run();
}

std::optional<Visit> FieldWork::visit(int64_t id) {
  Statement st(db_, std::string("SELECT ") + kVisitColumns + "WHERE v.id = ?1");
  st.bind(1, id);
  auto v = read_visits(db_, st);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

std::vector<Visit> FieldWork::visits_of(int64_t worker, size_t limit) {
  Statement st(db_, std::string("SELECT ") + kVisitColumns +
                        "WHERE v.worker_id = ?1 ORDER BY v.at DESC, v.id DESC LIMIT ?2");
  st.bind(1, worker).bind(2, static_cast<int64_t>(limit));
  return read_visits(db_, st);
}

std::vector<Visit> FieldWork::visits_to(int64_t household, size_t limit) {
  Statement st(db_, std::string("SELECT ") + kVisitColumns +
                        "WHERE v.household_id = ?1 ORDER BY v.at DESC, v.id DESC LIMIT ?2");
  st.bind(1, household).bind(2, static_cast<int64_t>(limit));
  return read_visits(db_, st);
}

LogEntry FieldWork::add_log(int64_t worker, std::optional<int64_t> at, const std::string& text,
                            const std::string& actor, int64_t now) {
  if (text.empty()) throw_invalid("a log entry needs 'text'");
  if (text.size() > 20000) throw_invalid("a log entry is at most 20,000 bytes");
  int64_t t = record_time(at, now, "a log entry");
  Transaction tx(db_);
  require_worker(worker);
  Statement ins(db_,
                "INSERT INTO work_log_entries(worker_id, day, at, text, created_at, created_by) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  ins.bind(1, worker)
      .bind(2, china_day(t))
      .bind(3, t)
      .bind(4, text)
      .bind(5, now)
      .bind(6, actor)
      .run();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  return *log_entry(id, now);
}

LogEntry FieldWork::edit_log(int64_t entry, const std::string& text,
                             std::optional<int64_t> expected_version, const std::string& actor,
                             int64_t now) {
  if (text.empty()) throw_invalid("a log entry needs 'text'");
  if (text.size() > 20000) throw_invalid("a log entry is at most 20,000 bytes");
  Transaction tx(db_);
  auto cur = log_entry(entry, now);
  if (!cur) throw Error(ErrorKind::not_found, "no work-log entry " + std::to_string(entry));
  if (cur->locked)
    throw Error(ErrorKind::conflict, "work-log entry " + std::to_string(entry) +
                                         " is locked: entries can be edited for three days");
  if (expected_version && *expected_version != cur->version)
    throw Error(ErrorKind::precondition_failed, "work-log entry " + std::to_string(entry) +
                                                    " changed since version " +
                                                    std::to_string(*expected_version) + " (now " +
                                                    std::to_string(cur->version) + "); reload it");
  if (text == cur->text) return *cur;
  Statement keep(db_,
                 "INSERT INTO work_log_versions(entry_id, version, text, written_at, written_by) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)");
  keep.bind(1, entry)
      .bind(2, cur->version)
      .bind(3, cur->text)
      .bind(4, cur->edited_at.value_or(cur->created_at))
      .bind(5, cur->edited_by.value_or(cur->created_by))
      .run();
  Statement up(db_,
               "UPDATE work_log_entries SET text = ?2, version = version + 1, edited_at = ?3, "
               "edited_by = ?4 WHERE id = ?1");
  up.bind(1, entry).bind(2, text).bind(3, now).bind(4, actor).run();
  tx.commit();
  return *log_entry(entry, now);
}

std::optional<LogEntry> FieldWork::log_entry(int64_t entry, int64_t now) {
  Statement st(db_, std::string("SELECT ") + kLogColumns + "WHERE id = ?1");
  st.bind(1, entry);
  if (!st.step()) return std::nullopt;
  return read_log(st, now);
}

std::vector<LogEntry> FieldWork::logs(const LogQuery& q, int64_t now) {
  if (q.from_day && !is_day(*q.from_day)) throw_invalid("'from' is a day, YYYY-MM-DD");
  if (q.to_day && !is_day(*q.to_day)) throw_invalid("'to' is a day, YYYY-MM-DD");
  std::string grids = q.grids ? json_string_array(*q.grids) : std::string();
  Statement st(
      db_, std::string("SELECT ") + kLogColumns +
               "WHERE (?1 IS NULL OR worker_id = CAST(?1 AS BIGINT)) AND (?2 IS NULL OR day >= ?2) "
               "AND (?3 IS NULL OR day <= ?3) "
               "AND (?4 IS NULL OR worker_id IN (SELECT worker_id FROM worker_grids WHERE "
               "grid_code IN (SELECT value FROM json_each(?4)))) "
               "ORDER BY worker_id, at, id LIMIT ?5");
  st.bind(1, q.worker).bind(2, q.from_day).bind(3, q.to_day);
  if (q.grids)
    st.bind(4, grids);
  else
    st.bind_null(4);
  st.bind(5, static_cast<int64_t>(q.limit));
  std::vector<LogEntry> out;
  while (st.step()) out.push_back(read_log(st, now));
  return out;
}

std::vector<LogVersion> FieldWork::log_versions(int64_t entry) {
  std::vector<LogVersion> out;
  Statement st(db_,
               "SELECT version, text, written_at, written_by FROM work_log_versions WHERE entry_id "
               "= ?1 ORDER BY version");
  st.bind(1, entry);
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.int64(2), st.text(3)});
  Statement cur(db_,
                "SELECT version, text, coalesce(edited_at, created_at), coalesce(edited_by, "
                "created_by) FROM work_log_entries WHERE id = ?1");
  cur.bind(1, entry);
  if (cur.step()) out.push_back({cur.int64(0), cur.text(1), cur.int64(2), cur.text(3)});
  return out;
}

std::vector<std::string> FieldWork::grids_of(int64_t worker) {
  Statement st(db_, "SELECT grid_code FROM worker_grids WHERE worker_id = ?1 ORDER BY grid_code");
  st.bind(1, worker);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace gridmap::data
