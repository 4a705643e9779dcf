// Patrol tracks (巡查轨迹): the positions of a worker who opted in, recorded while on duty
// (data/position_writer.cpp), kept for the retention period and then purged. A day's track
// is answered simplified: spikes and jumps implying more than 40 km/h are GPS noise (not
// walked, not counted), and points within 5 m of the last kept one are dropped (a minimum
// step, not Douglas–Peucker: it removes the jitter of a worker standing still, which is what
// inflates distances, and keeps every turn). Coverage is the share of the ~25 m cells of the
// worker's grids the track passed through (geo/patrol_track.hpp).
//
// Aggregates for planners count workers, kilometres and coverage per area and period and
// never name a worker nor hold a point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/patrol_track.hpp"

namespace gridmap::data {

inline constexpr int kDefaultPatrolRetentionDays = 30;

struct PatrolTrack {
  int64_t worker = 0;
  std::string day;      // YYYY-MM-DD, China time
  bool patrol = false;  // the worker's opt-in now
  size_t raw_points = 0;
  std::vector<TrackPoint> points;  // simplified, time order
  double distance_m = 0;
  size_t ignored_jumps = 0;
  size_t cells_visited = 0;  // cells of the worker's grids the track passed through
  size_t grid_cells = 0;     // cells of the worker's grids
  double coverage = 0;       // cells_visited / grid_cells
  double cell_m = CellRaster::kDefaultCellM;
  std::vector<std::string> grids;  // the worker's grids the coverage is of
};

enum class PatrolLevel { grid, community, subdistrict };
std::optional<PatrolLevel> parse_patrol_level(std::string_view s) noexcept;

// One area over a period. Each worker-day with a track counts once per grid of the worker:
// its distance is split evenly over the worker's grids (so areas add up), its coverage is
// that of each grid on its own.
struct PatrolAggregate {
  std::string code, name;
  int64_t workers = 0;      // distinct workers with a track in the period
  int64_t worker_days = 0;  // worker × day with a track
  double distance_m = 0;
  double mean_coverage = 0;  // over worker-days × grids; 0 without any
};

class Patrols {
 public:
  explicit Patrols(Db& db) : db_(db) {}

  // The worker's opt-in; not_found for a missing worker. Opting out keeps the points
  // recorded so far until they age out (the worker may still want the day's track).
  void set_patrol(int64_t worker, bool on);
  bool patrol(int64_t worker);
  // The worker's track of a China day ("YYYY-MM-DD"); invalid_input for another form,
  // not_found for a missing worker.
  PatrolTrack track(int64_t worker, const std::string& day);
  // Deletes the points recorded before `older_than` (epoch seconds); returns how many.
  int64_t purge(int64_t older_than);
  // Every area of the level, with the tracks whose points lie in [from, to).
  std::vector<PatrolAggregate> aggregates(PatrolLevel level, int64_t from, int64_t to);

 private:
  void require_worker(int64_t worker);
  Db& db_;
};

}  // namespace gridmap::data
