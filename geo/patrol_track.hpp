// Patrol tracks (巡查轨迹) as geometry: cleaning a day's GPS points (spikes and jumps faster
// than a patrol can move are noise, points within a few metres of the last one are jitter),
// the distance walked, and the share of an area's ~25 m cells the track passed through.
// Pure computation, header-only (no SQL, no HTTP).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "geo/geodesic.hpp"
#include "geo/geos.hpp"
#include "geo/types.hpp"

namespace gridmap {

struct TrackPoint {
  LonLat position;
  int64_t at = 0;  // epoch seconds
  // The move from the previous point was a jump (faster than a patrol goes): not walked,
  // its distance not counted, no cells between the two.
  bool after_jump = false;
};

// A patrol goes on foot or by bicycle, at most this fast; a faster move is GPS noise or a
// ride, and is not counted as patrolled.
inline constexpr double kMaxPatrolSpeedMs = 40.0 / 3.6;
// Points closer than this to the last kept one are jitter of a worker standing still.
inline constexpr double kTrackMinStepM = 5.0;

struct CleanTrack {
  std::vector<TrackPoint> points;  // time order, simplified
  double distance_m = 0;           // geodesic, jumps left out
  size_t ignored_jumps = 0;        // moves dropped as noise (a spike counts once)
};

inline bool is_jump(const TrackPoint& a, const TrackPoint& b, double max_speed_ms) noexcept {
  double d = geodesic_distance_m(a.position, b.position);
  double dt = static_cast<double>(b.at - a.at);
  return dt <= 0 ? d > kTrackMinStepM : d / dt > max_speed_ms;
}

// Points in time order -> the walked track. A lone spike (a point too fast to reach from
// the last good one, while the next is reachable from the last good one) is dropped; any
// other jump starts a new stretch (after_jump) without counting its distance. Then points
// within `min_step_m` of the last kept point are dropped (the last point of the day stays).
inline CleanTrack clean_track(std::span<const TrackPoint> raw,
                              double max_speed_ms = kMaxPatrolSpeedMs,
                              double min_step_m = kTrackMinStepM) {
  CleanTrack out;
  std::vector<TrackPoint> good;
  good.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    TrackPoint p = raw[i];
    p.after_jump = false;
    if (!good.empty() && is_jump(good.back(), p, max_speed_ms)) {
      ++out.ignored_jumps;
      bool spike = i + 1 < raw.size() && !is_jump(good.back(), raw[i + 1], max_speed_ms);
      if (spike) continue;
      p.after_jump = true;
    }
    good.push_back(p);
  }
  for (size_t i = 0; i < good.size(); ++i) {
    const TrackPoint& p = good[i];
    bool last = i + 1 == good.size();
    if (!out.points.empty() && !p.after_jump) {
      double d = geodesic_distance_m(out.points.back().position, p.position);
      if (d < min_step_m && !last) continue;  // a jump's first point is always kept
      out.distance_m += d;
    }
    out.points.push_back(p);
  }
  return out;
}

// Positions along the walked parts of a track, no more than `step_m` apart (the points
// themselves included): what a cell raster counts as visited.
inline std::vector<LonLat> sample_track(std::span<const TrackPoint> track, double step_m) {
  std::vector<LonLat> out;
  for (size_t i = 0; i < track.size(); ++i) {
    if (i > 0 && !track[i].after_jump) {
      LonLat a = track[i - 1].position, b = track[i].position;
      double d = geodesic_distance_m(a, b);
      int n = static_cast<int>(std::ceil(d / step_m));
      for (int k = 1; k < n; ++k) {
        double t = static_cast<double>(k) / n;
        out.push_back({a.lon + (b.lon - a.lon) * t, a.lat + (b.lat - a.lat) * t});
      }
    }
    out.push_back(track[i].position);
  }
  return out;
}

// An area cut into square cells of about `cell_m` metres in a local metric frame (metres per
// degree at the area's middle latitude; over a grid's few kilometres the error is well under
// a percent). A cell belongs to the area when its centre lies inside (even-odd per polygon,
// holes excluded). An area so large that it would have more than kMaxCells cells gets larger
// cells, so that a rural grid costs no more than a city one.
class CellRaster {
 public:
  static constexpr double kDefaultCellM = 25;
  static constexpr double kMaxCells = 4e6;

  explicit CellRaster(std::span<const GEOSGeometry* const> parts, double cell_m = kDefaultCellM) {
    bool any = false;
    Box box{};
    for (const GEOSGeometry* g : parts) {
      if (!g || geos::is_empty(g)) continue;
      Box e = geos::envelope(g);
      box = any ? Box{std::min(box.min_lon, e.min_lon), std::min(box.min_lat, e.min_lat),
                      std::max(box.max_lon, e.max_lon), std::max(box.max_lat, e.max_lat)}
                : e;
      any = true;
    }
    if (!any) return;
    origin_ = {box.min_lon, box.min_lat};
    mpd_ = metres_per_degree((box.min_lat + box.max_lat) / 2);
    double w = (box.max_lon - box.min_lon) * mpd_.lon, h = (box.max_lat - box.min_lat) * mpd_.lat;
    cell_m_ = std::max(cell_m, std::sqrt(w * h / kMaxCells));
    nx_ = static_cast<int64_t>(std::ceil(w / cell_m_)) + 1;
    ny_ = static_cast<int64_t>(std::ceil(h / cell_m_)) + 1;
    std::vector<double> xy;
    for (const GEOSGeometry* g : parts) {
      if (!g) continue;
      geos::for_each_polygon(g, [&](const GEOSGeometry* polygon) { fill(polygon, xy); });
    }
    std::sort(cells_.begin(), cells_.end());
    cells_.erase(std::unique(cells_.begin(), cells_.end()), cells_.end());
  }

  size_t cells() const noexcept { return cells_.size(); }
  double cell_m() const noexcept { return cell_m_; }
  // The distinct cells of the area that hold at least one of the positions.
  size_t count_visited(std::span<const LonLat> positions) const {
    std::unordered_set<int64_t> seen;
    for (LonLat p : positions) {
      double x = (p.lon - origin_.lon) * mpd_.lon / cell_m_,
             y = (p.lat - origin_.lat) * mpd_.lat / cell_m_;
      if (!(x >= 0 && y >= 0 && x < static_cast<double>(nx_) && y < static_cast<double>(ny_)))
        continue;
      int64_t id = static_cast<int64_t>(y) * nx_ + static_cast<int64_t>(x);
      if (std::binary_search(cells_.begin(), cells_.end(), id)) seen.insert(id);
    }
    return seen.size();
  }
  // count_visited() / cells(), 0 for an area without cells.
  double share_visited(std::span<const LonLat> positions) const {
    return cells_.empty()
               ? 0.0
               : static_cast<double>(count_visited(positions)) / static_cast<double>(cells_.size());
  }

 private:
  // Scanline over the rows of cell centres: the crossings of all the polygon's rings, in
  // pairs (even-odd), give the runs of cells inside.
  void fill(const GEOSGeometry* polygon, std::vector<double>& xy) {
    std::vector<std::vector<double>> rings;  // local metres, x y pairs
    geos::for_each_ring(polygon, [&](const GEOSGeometry* ring, int) {
      geos::ring_xy(ring, xy);
      std::vector<double> local(xy.size());
      for (size_t i = 0; i + 1 < xy.size(); i += 2) {
        local[i] = (xy[i] - origin_.lon) * mpd_.lon;
        local[i + 1] = (xy[i + 1] - origin_.lat) * mpd_.lat;
      }
      rings.push_back(std::move(local));
    });
    std::vector<double> crossings;
    for (int64_t row = 0; row < ny_; ++row) {
      double y = (static_cast<double>(row) + 0.5) * cell_m_;
      crossings.clear();
      for (const auto& r : rings)
        for (size_t i = 0; i + 3 < r.size(); i += 2) {
          double y0 = r[i + 1], y1 = r[i + 3];
          if ((y0 <= y) == (y1 <= y)) continue;
          crossings.push_back(r[i] + (y - y0) / (y1 - y0) * (r[i + 2] - r[i]));
        }
      std::sort(crossings.begin(), crossings.end());
      for (size_t k = 0; k + 1 < crossings.size(); k += 2) {
        auto first = static_cast<int64_t>(std::ceil(crossings[k] / cell_m_ - 0.5));
        auto last = static_cast<int64_t>(std::floor(crossings[k + 1] / cell_m_ - 0.5));
        for (int64_t col = std::max<int64_t>(first, 0); col <= std::min(last, nx_ - 1); ++col)
          cells_.push_back(row * nx_ + col);
      }
    }
  }

  LonLat origin_;
  MetresPerDegree mpd_;
  double cell_m_ = kDefaultCellM;
  int64_t nx_ = 0, ny_ = 0;
  std::vector<int64_t> cells_;  // row * nx + col, sorted
};

}  // namespace gridmap
