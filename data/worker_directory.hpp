// The workers in memory for "who is nearest": the worker index plus the codes and names
// that answers carry. Loaded from the store; positions then move in memory and are
// persisted in batches by PositionWriter.
#pragma once

#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "data/db.hpp"
#include "geo/worker_index.hpp"

namespace gridmap::data {

struct NearbyWorker {
  WorkerId id{0};
  double distance_m = 0;
  std::string grid_code;  // the first assigned grid
  std::string name;
  bool on_duty = false;
  LonLat position;  // as the index keeps it
};

struct NearbyFilter {
  bool include_off_duty = false;
  std::optional<std::string> community_code, grid_code;
};

struct Worker;

class WorkerDirectory {
 public:
  static WorkerDirectory load(Db& db);  // workers with a known position
  // Throws not_found for a community or grid code that does not exist.
  std::vector<NearbyWorker> nearest(LonLat p, size_t k, const NearbyFilter& filter) const;
  // nearest() for each point, in one pass (WorkerIndex::nearest_all).
  std::vector<std::vector<NearbyWorker>> nearest_all(std::span<const LonLat> points, size_t k,
                                                     const NearbyFilter& filter) const;
  // Takes a worker's name, duty and grids from its stored row, keeping the position the
  // index already has (newer than the store's, which is written in batches); a worker the
  // index does not hold yet is placed at `at`, else at its stored position, else left out.
  void refresh(const Worker& w, std::optional<LonLat> at = std::nullopt);
  WorkerIndex& index() { return *index_; }
  size_t size() const { return index_->size(); }

 private:
  WorkerState state_of(const Worker& w, LonLat position) const;
  WorkerFilter filter_of(const NearbyFilter& f) const;
  NearbyWorker describe(const WorkerDistance& w) const;

  std::unique_ptr<WorkerIndex> index_;
  // Fixed at load: the codes of the grids and communities as the index numbers them.
  std::unordered_map<std::string, uint32_t> grid_no_, community_no_;
  std::unordered_map<std::string, uint32_t> community_of_grid_;
  std::vector<std::string> grid_codes_;
  std::unique_ptr<std::shared_mutex> names_lock_ = std::make_unique<std::shared_mutex>();
  std::unordered_map<WorkerId, std::string> names_;
};

}  // namespace gridmap::data
