// A grid worker's field records: household visits (入户走访) and the daily work log
// (工作日志). Checks that the worker exists and, for a caller held to a patch, that the
// household lies in it: outside the patch a household answers exactly as a missing one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

struct Visit {
  int64_t id = 0;
  int64_t worker_id = 0;
  int64_t household_id = 0;
  int64_t at = 0;
  std::string note;
};

class FieldWork {
 public:
  explicit FieldWork(Db& db) : db_(db) {}
  // Records a visit at `at`, in one transaction. `patch`, when given, is the caller's reach:
  // a household outside it is not_found, as an unknown one; an unknown worker is not_found.
  int64_t add_visit(int64_t worker, int64_t household, int64_t at, const std::string& note,
                    const std::vector<std::string>* patch);
  std::vector<Visit> visits_of(int64_t worker, size_t limit = 500);  // newest first
  // The worker's log of `day` (YYYY-MM-DD), replaced whole; not_found for an unknown worker.
  void put_log(int64_t worker, const std::string& day, const std::string& text);
  std::optional<std::string> log_of(int64_t worker, const std::string& day);

 private:
  void require_worker(int64_t worker);
  Db& db_;
};

}  // namespace gridmap::data
