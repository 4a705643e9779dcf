// Nearest workers: k nearest by geodesic distance, with positions that change all the time.
// Updates and queries may run concurrently from any number of threads: buckets of a fixed
// hashed cell grid are guarded by their own locks, so an update touches two buckets and a
// query reads a few, and neither ever waits for the whole index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/ids.hpp"
#include "geo/types.hpp"

namespace gridmap {

struct WorkerState {
  WorkerId id;
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
  WorkerId id;
  double distance_m = 0;
  friend bool operator==(const WorkerDistance&, const WorkerDistance&) = default;
};

struct WorkerMove {
  WorkerId id;
  LonLat to;
};

// The answers of a batch of nearest-worker queries, flat: query i's answers are
// items[first[i] .. first[i + 1]), nearest first.
struct NearestAnswers {
  std::vector<WorkerDistance> items;
  std::vector<size_t> first;  // one more than there are queries
  size_t queries() const noexcept { return first.empty() ? 0 : first.size() - 1; }
  std::span<const WorkerDistance> of(size_t i) const noexcept {
    return {items.data() + first[i], first[i + 1] - first[i]};
  }
};

class WorkerIndex {
 public:
  // `cell_deg` is the side of a bucket cell in degrees (about 1 km by default).
  explicit WorkerIndex(size_t expected_workers = 1024, double cell_deg = 0.01);
  ~WorkerIndex();
  WorkerIndex(const WorkerIndex&) = delete;
  WorkerIndex& operator=(const WorkerIndex&) = delete;

  // Positions are kept to 2^-23 degree (about 1 cm): the position the index keeps, and
  // answers distances from, for p. Throws invalid_input for a position that is not valid.
  static LonLat stored(LonLat p);

  // Inserts or replaces a worker (all attributes).
  void upsert(const WorkerState& w);
  // Moves a known worker; returns false when the id is unknown. Throws invalid_input for a
  // position that is not valid WGS84.
  bool move(WorkerId id, LonLat p);
  // Applies a batch of moves: each worker's moves in the order given (a worker moved twice
  // ends at its second position), the batch as a whole in the order that suits memory, so a
  // batch of pings runs several times faster than one move() per ping. Returns how many
  // moves named an unknown id (those are skipped; their ids appended to `unknown`, in
  // ascending order, when given). Throws invalid_input, moving nothing, when any position
  // is not valid WGS84.
  size_t move_all(std::span<const WorkerMove> moves, std::vector<WorkerId>* unknown = nullptr);
  bool set_on_duty(WorkerId id, bool on_duty);
  bool remove(WorkerId id);
  std::optional<WorkerState> get(WorkerId id) const;

  // The k nearest workers passing the filter, nearest first (ties by id).
  std::vector<WorkerDistance> nearest(LonLat p, size_t k, const WorkerFilter& filter = {}) const;
  // nearest() for each point, answered in locality order (neighbouring queries find their
  // cells in cache). Throws invalid_input, answering nothing, when any point is not valid.
  NearestAnswers nearest_all(std::span<const LonLat> points, size_t k,
                             const WorkerFilter& filter = {}) const;
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap
