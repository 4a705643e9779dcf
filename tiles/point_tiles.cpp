// The point layers' tiles (petitions, households, workers): single points from
// kClusterBelowZoom, counted clusters below it, capped by urgency.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

#include "data/time.hpp"
#include "tiles/point_store.hpp"
#include "tiles/sources.hpp"
#include "tiles/tile_build.hpp"

namespace gridmap::tiles::detail {
namespace {

int64_t age_days(const PointRecord& r, int64_t now) {
  return (r.closed_at.value_or(now) - r.created_at) / 86400;
}
bool overdue(const PointRecord& r, int64_t now) {
  return data::clock_runs(r.status) && r.deadline_at && *r.deadline_at < now;
}

struct Point {
  IPoint at;
  PointRecord record;
};

BuiltTile encode_points(const TileRequest& req, std::vector<Point>& points) {
  BuiltTile out;
  size_t keep = std::min(points.size(), req.max_points);
  std::string name(data::to_string(req.layer));
  for (;;) {
    LayerBuilder layer(name);
    for (size_t i = 0; i < keep; ++i) {
      const PointRecord& r = points[i].record;
      std::vector<Property> props;
      std::string position_at;
      if (req.layer == data::Layer::petitions) {
        props = {{"kind", data::to_string(r.kind)},
                 {"category", std::string_view(r.category)},
                 {"status", data::to_string(r.status)},
                 {"age_days", age_days(r, req.now)},
                 {"overdue", overdue(r, req.now)}};
      } else if (req.layer == data::Layer::households) {
        if (!r.grid_code.empty()) props.push_back({"grid_code", std::string_view(r.grid_code)});
      } else {
        props.push_back({"on_duty", r.on_duty});
        if (r.position_at) {
          position_at = data::format_time(*r.position_at);
          props.push_back({"position_at", std::string_view(position_at)});
        }
      }
      layer.add_points(static_cast<uint64_t>(r.id), std::span<const IPoint>(&points[i].at, 1),
                       props);
    }
    out.mvt = encode(layer, nullptr, out.stats);
    out.stats.left_out = points.size() - keep;
    if (out.mvt.size() <= req.max_bytes || keep == 0) return out;
    keep /= 2;
  }
}

// Below kClusterBelowZoom: points counted in cells of 32 x 32 pixels (256 tile units), each
// cell drawn at the mean of its points, with counts by status and overdue for petitions.
class Clusters {
 public:
  static constexpr int kCell = 256, kCells = static_cast<int>(kExtent) / kCell;
  explicit Clusters(const TileRequest& req) : req_(req), cells_(kCells * kCells) {}
  void add(IPoint at, const PointRecord& r) {
    Cell& c =
        cells_[std::min(at.y / kCell, kCells - 1) * kCells + std::min(at.x / kCell, kCells - 1)];
    c.sx += at.x, c.sy += at.y, ++c.count;
    if (req_.layer == data::Layer::petitions) {
      ++c.by_status[static_cast<size_t>(r.status)];
      if (overdue(r, req_.now)) ++c.overdue;
    }
  }
  BuiltTile encode() const {
    BuiltTile out;
    LayerBuilder layer(std::string(data::to_string(req_.layer)) + "_clusters");
    for (size_t i = 0; i < cells_.size(); ++i) {
      const Cell& c = cells_[i];
      if (!c.count) continue;
      IPoint at{static_cast<int32_t>(std::lround(c.sx / c.count)),
                static_cast<int32_t>(std::lround(c.sy / c.count))};
      std::vector<Property> props{{"count", c.count}};
      if (req_.layer == data::Layer::petitions) {
        for (data::Status s : data::kAllStatuses)
          props.push_back({data::to_string(s), c.by_status[static_cast<size_t>(s)]});
        props.push_back({"overdue", c.overdue});
      }
      layer.add_points(i, std::span<const IPoint>(&at, 1), props);
    }
    out.mvt = detail::encode(layer, nullptr, out.stats);
    return out;
  }

 private:
  struct Cell {
    double sx = 0, sy = 0;
    int64_t count = 0, overdue = 0;
    std::array<int64_t, data::kAllStatuses.size()> by_status{};
  };
  const TileRequest& req_;
  std::vector<Cell> cells_;
};

// Open petitions before closed ones, then the newest: what a cap leaves out matters least.
bool more_urgent(const Point& a, const Point& b) {
  bool ac = data::is_final(a.record.status), bc = data::is_final(b.record.status);
  if (ac != bc) return bc;
  if (a.record.created_at != b.record.created_at) return a.record.created_at > b.record.created_at;
  return a.record.id < b.record.id;
}

BuiltTile build_points(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                       const Budget& budget) {
  TileProjection proj(req.tile, kExtent);
  bool clustered = req.tile.z < kClusterBelowZoom && req.layer != data::Layer::workers;
  // Clusters count what lies in the tile itself; single points keep the buffer so that
  // symbols at the edge are drawn whole.
  double margin = clustered ? 0 : kBuffer;
  double lo = -margin, hi = kExtent + margin;
  std::optional<Clusters> clusters;
  if (clustered) clusters.emplace(req);
  std::vector<Point> points;
  size_t rows = 0;
  auto take = [&](PointRecord& r) {
    if ((++rows & 4095) == 0) budget.check();
    auto at = snap_point(proj(r.world), lo, hi);
    if (!at) return;
    if (clusters)
      clusters->add(*at, r);
    else
      points.push_back({*at, r});
  };
  const PointStore* store = req.layer == data::Layer::petitions    ? snap.petitions.get()
                            : req.layer == data::Layer::households ? snap.households.get()
                                                                   : nullptr;
  if (store) {
    double n = std::ldexp(1.0, req.tile.z), m = margin / kExtent;
    store->scan({(req.tile.x - m) / n, (req.tile.y - m) / n, (req.tile.x + 1 + m) / n,
                 (req.tile.y + 1 + m) / n},
                req.filter, req.scope, take);
  } else {
    read_points(db, req.layer, proj.buffered_bounds(margin), req.filter, req.scope, take);
  }
  budget.check();
  BuiltTile out;
  if (clusters) {
    out = clusters->encode();
  } else {
    if (req.layer == data::Layer::petitions)
      std::sort(points.begin(), points.end(), more_urgent);
    else
      std::sort(points.begin(), points.end(),
                [](const Point& a, const Point& b) { return a.record.id < b.record.id; });
    out = encode_points(req, points);
  }
  out.stats.rows = rows;
  return out;
}

}  // namespace

BuiltTile build_point_tile(data::Db& db, const TileRequest& req, const TileSnapshots& snap,
                           const Budget& budget) {
  return build_points(db, req, snap, budget);
}

}  // namespace gridmap::tiles::detail
