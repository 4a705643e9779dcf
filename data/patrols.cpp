#include "data/patrols.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "data/field_work.hpp"
#include "data/partitions.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

namespace {

constexpr double kSampleStepM = CellRaster::kDefaultCellM / 2;

int64_t day_start(const std::string& day) {
  auto t = day.size() == 10 ? parse_time(day) : std::nullopt;
  if (!t) throw Error(ErrorKind::invalid_input, "the day must be YYYY-MM-DD, not '" + day + "'");
  return *t;  // 00:00 China time
}

struct Area {
  geos::GeomPtr geom;
  std::string community, subdistrict;
};

// Grids with their geometry (WKB read into GEOS) and parents: those of `only`, or all.
std::map<std::string, Area> read_grids(Db& db, const std::vector<std::string>* only) {
  std::map<std::string, Area> out;
  Statement st(db,
               "SELECT g.code, AsBinary(g.geom), coalesce(g.community_code, ''), "
               "coalesce(c.subdistrict_code, '') FROM grids g "
               "LEFT JOIN communities c ON c.code = g.community_code "
               "WHERE g.geom IS NOT NULL AND (?1 IS NULL OR g.code = ?1)");
  auto read = [&] {
    while (st.step())
      out.emplace(st.text(0), Area{geos::from_wkb(st.blob(1)), st.text(2), st.text(3)});
    st.reset();
  };
  if (!only) {
    st.bind_null(1);
    read();
  }
  for (size_t i = 0; only && i < only->size(); ++i) {
    st.bind(1, (*only)[i]);
    read();
  }
  return out;
}

std::vector<std::string> grids_of(Db& db, int64_t worker) {
  std::vector<std::string> out;
  Statement st(db, "SELECT grid_code FROM worker_grids WHERE worker_id = ?1 ORDER BY grid_code");
  st.bind(1, worker);
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace

std::optional<PatrolLevel> parse_patrol_level(std::string_view s) noexcept {
  if (s == "grid") return PatrolLevel::grid;
  if (s == "community") return PatrolLevel::community;
  if (s == "subdistrict") return PatrolLevel::subdistrict;
  return std::nullopt;
}

void Patrols::require_worker(int64_t worker) {
  Statement st(db_, "SELECT 1 FROM workers WHERE id = ?1");
  st.bind(1, worker);
  if (!st.step()) throw Error(ErrorKind::not_found, "no worker " + std::to_string(worker));
}

void Patrols::set_patrol(int64_t worker, bool on) {
  require_worker(worker);
  Statement st(db_, "UPDATE workers SET patrol = ?2 WHERE id = ?1");
  st.bind(1, worker).bind(2, on ? 1 : 0).run();
}

bool Patrols::patrol(int64_t worker) {
  Statement st(db_, "SELECT patrol FROM workers WHERE id = ?1");
  st.bind(1, worker);
  if (!st.step()) throw Error(ErrorKind::not_found, "no worker " + std::to_string(worker));
  return st.int64(0) != 0;
}

PatrolTrack Patrols::track(int64_t worker, const std::string& day) {
  int64_t start = day_start(day);
  PatrolTrack t;
  t.worker = worker;
  t.day = day;
  t.patrol = patrol(worker);
  std::vector<TrackPoint> raw;
  Statement st(db_,
               "SELECT at, lon, lat FROM patrol_points WHERE worker_id = ?1 AND at >= ?2 AND "
               "at < ?3 ORDER BY at");
  st.bind(1, worker).bind(2, start).bind(3, start + 86400);
  while (st.step()) raw.push_back({{st.real(1), st.real(2)}, st.int64(0), false});
  t.raw_points = raw.size();
  CleanTrack clean = clean_track(raw);
  t.points = std::move(clean.points);
  t.distance_m = clean.distance_m;
  t.ignored_jumps = clean.ignored_jumps;
  t.grids = grids_of(db_, worker);
  auto areas = read_grids(db_, &t.grids);
  std::vector<const GEOSGeometry*> parts;
  for (const auto& [code, a] : areas) parts.push_back(a.geom.get());
  CellRaster raster(parts);
  std::vector<LonLat> samples = sample_track(t.points, kSampleStepM);
  t.grid_cells = raster.cells();
  t.cells_visited = raster.count_visited(samples);
  t.coverage = raster.share_visited(samples);
  t.cell_m = raster.cell_m();
  return t;
}

int64_t Patrols::purge(int64_t older_than) {
  // On PostgreSQL the months wholly past go as partitions; the rest row by row.
  Transaction tx(db_);
  int64_t dropped = drop_months_before(db_, "patrol_points", older_than).rows;
  Statement st(db_, "DELETE FROM patrol_points WHERE at < ?1");
  st.bind(1, older_than).run();
  int64_t removed = dropped + db_.changes();
  tx.commit();
  return removed;
}

std::vector<PatrolAggregate> Patrols::aggregates(PatrolLevel level, int64_t from, int64_t to) {
  struct Acc {
    std::set<int64_t> workers;
    int64_t worker_days = 0;
    double distance_m = 0, coverage_sum = 0;
    int64_t coverage_n = 0;
  };
  std::map<std::string, Acc> acc;  // by area code of the level
  std::map<std::string, Area> grids = read_grids(db_, nullptr);
  std::unordered_map<std::string, CellRaster> rasters;  // built when first needed
  std::unordered_map<int64_t, std::vector<std::string>> worker_grids;
  auto area_of = [&](const std::string& grid) -> std::string {
    auto it = grids.find(grid);
    if (level == PatrolLevel::grid) return grid;
    if (it == grids.end()) return {};
    return level == PatrolLevel::community ? it->second.community : it->second.subdistrict;
  };
  auto finish = [&](int64_t worker, std::vector<TrackPoint>& raw) {
    if (raw.empty()) return;
    CleanTrack clean = clean_track(raw);
    raw.clear();
    auto wg = worker_grids.find(worker);
    if (wg == worker_grids.end()) wg = worker_grids.emplace(worker, grids_of(db_, worker)).first;
    if (wg->second.empty()) return;
    std::vector<LonLat> samples = sample_track(clean.points, kSampleStepM);
    std::set<std::string> counted;  // areas this worker-day was counted in
    for (const std::string& g : wg->second) {
      std::string code = area_of(g);
      if (code.empty()) continue;
      Acc& a = acc[code];
      a.workers.insert(worker);
      if (counted.insert(code).second) ++a.worker_days;
      a.distance_m += clean.distance_m / static_cast<double>(wg->second.size());
      auto area = grids.find(g);
      if (area == grids.end()) continue;
      auto r = rasters.find(g);
      if (r == rasters.end()) {
        const GEOSGeometry* part = area->second.geom.get();
        r = rasters.emplace(g, CellRaster(std::span<const GEOSGeometry* const>(&part, 1))).first;
      }
      a.coverage_sum += r->second.share_visited(samples);
      ++a.coverage_n;
    }
  };
  // One worker-day at a time, in (worker, time) order: memory holds a single day's points.
  Statement st(db_,
               "SELECT worker_id, at, lon, lat FROM patrol_points WHERE at >= ?1 AND at < ?2 "
               "ORDER BY worker_id, at");
  st.bind(1, from).bind(2, to);
  std::vector<TrackPoint> raw;
  int64_t cur_worker = -1;
  std::string cur_day;
  while (st.step()) {
    int64_t worker = st.int64(0), at = st.int64(1);
    std::string day = china_day(at);
    if (worker != cur_worker || day != cur_day) {
      finish(cur_worker, raw);
      cur_worker = worker;
      cur_day = day;
    }
    raw.push_back({{st.real(2), st.real(3)}, at, false});
  }
  finish(cur_worker, raw);

  const char* sql = level == PatrolLevel::grid ? "SELECT code, name FROM grids ORDER BY code"
                    : level == PatrolLevel::community
                        ? "SELECT code, name FROM communities ORDER BY code"
                        : "SELECT code, name FROM subdistricts ORDER BY code";
  std::vector<PatrolAggregate> out;
  Statement areas(db_, sql);
  while (areas.step()) {
    PatrolAggregate row;
    row.code = areas.text(0);
    row.name = areas.text(1);
    if (auto it = acc.find(row.code); it != acc.end()) {
      const Acc& a = it->second;
      row.workers = static_cast<int64_t>(a.workers.size());
      row.worker_days = a.worker_days;
      row.distance_m = a.distance_m;
      row.mean_coverage = a.coverage_n ? a.coverage_sum / static_cast<double>(a.coverage_n) : 0.0;
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace gridmap::data
