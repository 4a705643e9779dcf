// Nearest workers: k nearest by geodesic distance, with positions that change all the time.
// Updates and queries may run concurrently from any number of threads: buckets of a fixed
// hashed cell grid are guarded by their own locks, so an update touches two buckets and a
// query reads a few, and neither ever waits for the whole index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "geo/types.hpp"

namespace gridmap {

struct WorkerState {
  int64_t id = 0;
  LonLat position;
  bool on_duty = false;
  uint32_t community = UINT32_MAX;  // caller's numbering; UINT32_MAX when none
  std::vector<uint32_t> grids;      // caller's numbering of the assigned grids
};

struct WorkerFilter {
  bool include_off_duty = false;
  std::optional<uint32_t> community;
  std::optional<uint32_t> grid;
};

struct WorkerDistance {
  int64_t id = 0;
  double distance_m = 0;
  friend bool operator==(const WorkerDistance&, const WorkerDistance&) = default;
};

class WorkerIndex {
 public:
  // `cell_deg` is the side of a bucket cell in degrees (about 1 km by default).
  explicit WorkerIndex(size_t expected_workers = 1024, double cell_deg = 0.01);
  ~WorkerIndex();
  WorkerIndex(const WorkerIndex&) = delete;
  WorkerIndex& operator=(const WorkerIndex&) = delete;

  // Inserts or replaces a worker (all attributes).
  void upsert(const WorkerState& w);
  // Moves a known worker; returns false when the id is unknown. Throws invalid_input for a
  // position that is not valid WGS84.
  bool move(int64_t id, LonLat p);
  bool set_on_duty(int64_t id, bool on_duty);
  bool remove(int64_t id);
  std::optional<WorkerState> get(int64_t id) const;

  // The k nearest workers passing the filter, nearest first (ties by id).
  std::vector<WorkerDistance> nearest(LonLat p, size_t k, const WorkerFilter& filter = {}) const;
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap
