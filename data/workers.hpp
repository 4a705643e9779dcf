// Repository of grid workers: identity, on-duty flag, last known position, assigned grids.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

struct Worker {
  std::optional<int64_t> id;  // assigned on insert when absent
  std::string name;
  std::optional<std::string> phone;
  bool on_duty = false;
  std::optional<LonLat> position;  // last known only; no track is kept
  std::optional<int64_t> position_at;
  std::vector<std::string> grids;  // codes
};

class WorkerRepo {
 public:
  explicit WorkerRepo(Db& db);
  int64_t upsert(const Worker& w);  // returns the id; replaces the grid assignment
  std::optional<Worker> get(int64_t id);
  void for_each(const std::function<void(const Worker&)>& f);  // ordered by id
  int64_t count();

 private:
  Db& db_;
  Statement insert_, clear_grids_, add_grid_;
};

}  // namespace gridmap::data
