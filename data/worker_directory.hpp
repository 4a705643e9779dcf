// The workers in memory for "who is nearest": the worker index plus the codes and names
// that answers carry. Loaded from the store; positions then move in memory and are
// persisted in batches by PositionWriter.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/db.hpp"
#include "geo/worker_index.hpp"

namespace gridmap::data {

struct NearbyWorker {
  int64_t id = 0;
  double distance_m = 0;
  std::string grid_code;  // the first assigned grid
  std::string name;
};

struct NearbyFilter {
  bool include_off_duty = false;
  std::optional<std::string> community_code, grid_code;
};

class WorkerDirectory {
 public:
  static WorkerDirectory load(Db& db);  // workers with a known position
  // Throws not_found for a community or grid code that does not exist.
  std::vector<NearbyWorker> nearest(LonLat p, size_t k, const NearbyFilter& filter) const;
  WorkerIndex& index() { return *index_; }
  size_t size() const { return index_->size(); }

 private:
  std::unique_ptr<WorkerIndex> index_;
  std::unordered_map<std::string, uint32_t> grid_no_, community_no_;
  std::vector<std::string> grid_codes_;
  std::unordered_map<int64_t, std::string> names_;
};

}  // namespace gridmap::data
