// A grid worker's field records: household visits (入户走访) with their place, duration and
// the answers of the visit form, and the work log (工作日志) as entries through the day.
// Every check of who may record what for which household lives here: outside the visiting
// worker's grids a household answers exactly as a missing one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

// A visit must be recorded within this distance of the household, or say why not.
constexpr double kVisitRadiusM = 200;
// A visit or a log entry may be recorded up to three days late (the phone was offline), and
// a log entry edited for three days after its time; then it is locked.
constexpr int64_t kFieldRecordWindowS = 3 * 86400;
bool log_entry_locked(int64_t entry_at, int64_t now) noexcept;

// The 入户走访 form: the city's fields unless a subdistrict has its own.
enum class FieldType : unsigned char { integer, text, flag, choice, choices };
std::string_view to_string(FieldType t) noexcept;
std::optional<FieldType> parse_field_type(std::string_view s) noexcept;
struct FormField {
  std::string key, label;
  FieldType type = FieldType::text;
  std::vector<std::string> options;  // choice, choices
  bool required = false;
};
// One answer: its values as text ("3", "true", a choice); several for `choices`.
struct FormAnswer {
  std::string field;
  std::vector<std::string> values;
};

struct NewVisit {
  int64_t worker = 0, household = 0;
  std::optional<int64_t> at;  // when it took place (the app's clock); now when absent
  std::optional<LonLat> position;
  std::optional<int64_t> duration_min;
  std::vector<FormAnswer> answers;
  std::string note;
  std::optional<std::string>
      off_site_reason;  // required away from the household or without a position
  // The caller's reach, for a worker: the household must lie in these grids (else not_found).
  const std::vector<std::string>* patch = nullptr;
};

struct Visit {
  int64_t id = 0;
  int64_t worker_id = 0;
  int64_t household_id = 0;
  int64_t at = 0;
  std::string note;
  std::optional<LonLat> position;
  std::optional<double> distance_m;
  std::optional<std::string> off_site_reason;
  std::optional<int64_t> duration_min;
  std::optional<int64_t> recorded_at;
  std::optional<int64_t> petition_id;
  std::vector<FormAnswer> answers;
  std::optional<std::string> grid_code;  // the household's
};

struct LogEntry {
  int64_t id = 0;
  int64_t worker_id = 0;
  std::string day;  // YYYY-MM-DD, China time
  int64_t at = 0;
  std::string text;
  int64_t version = 1;
  int64_t created_at = 0;
  std::string created_by;
  std::optional<int64_t> edited_at;
  std::optional<std::string> edited_by;
  bool locked = false;
};
struct LogVersion {
  int64_t version = 0;
  std::string text;
  int64_t written_at = 0;
  std::string written_by;
};
struct LogQuery {
  std::optional<int64_t> worker;
  std::optional<std::string> from_day, to_day;  // inclusive
  // A supervisor's reach: only workers with a grid among these (nullptr: everyone).
  const std::vector<std::string>* grids = nullptr;
  size_t limit = 500;
};

class FieldWork {
 public:
  explicit FieldWork(Db& db) : db_(db) {}

  // The form of the subdistrict (its own fields, else the city's).
  std::vector<FormField> form_of(const std::optional<std::string>& subdistrict);
  // Replaces the subdistrict's fields ('' or nullopt: the city's); an empty list returns a
  // subdistrict to the city's form. invalid_input for a malformed field.
  void put_form(const std::optional<std::string>& subdistrict,
                const std::vector<FormField>& fields);

  // Records a visit in one transaction: the worker must exist, the household must be in the
  // worker's grids (and the caller's patch) — else not_found, as a missing one; the time
  // within the last three days; the position within 200 m of the household unless a reason
  // is given; the answers as the household's subdistrict's form asks.
  int64_t add_visit(const NewVisit& v, int64_t now);
  void link_petition(int64_t visit, int64_t petition);
  std::optional<Visit> visit(int64_t id);
  std::vector<Visit> visits_of(int64_t worker, size_t limit = 500);  // newest first
  std::vector<Visit> visits_to(int64_t household, size_t limit = 500);

  // The work log. add_log: a new entry (at: its time, within the last three days; now when
  // absent). edit_log: replaces the text, keeping the old one as a version; conflict once
  // locked, precondition_failed for a stale `expected_version`.
  LogEntry add_log(int64_t worker, std::optional<int64_t> at, const std::string& text,
                   const std::string& actor, int64_t now);
  LogEntry edit_log(int64_t entry, const std::string& text, std::optional<int64_t> expected_version,
                    const std::string& actor, int64_t now);
  std::optional<LogEntry> log_entry(int64_t entry, int64_t now);
  std::vector<LogEntry> logs(const LogQuery& q, int64_t now);  // by worker, then time
  std::vector<LogVersion> log_versions(int64_t entry);         // oldest first, the current last
  // The grids of a worker (for a supervisor's check that the worker is in their area).
  std::vector<std::string> grids_of(int64_t worker);

 private:
  void require_worker(int64_t worker);
  Db& db_;
};

// "YYYY-MM-DD" of a time, in China Standard Time (UTC+8), as field workers count days.
std::string china_day(int64_t epoch_seconds);

}  // namespace gridmap::data
