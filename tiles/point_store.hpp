// In-memory snapshots of the point layers tiles read most, petitions and households:
// compact records sorted by Web Mercator y, so a tile is a binary search and a short scan
// instead of an R*Tree join with a SQL function call per row. Immutable: a change makes a
// new snapshot with one record re-read (readers keep the one they started with).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "data/tile_rows.hpp"
#include "tiles/sources.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

// A box in world coordinates (see WorldXY).
struct WorldBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

class PointStore {
 public:
  // The layer's points (petitions or households); nullptr when it holds more than
  // `max_points` (tiles then read SQL).
  static std::shared_ptr<const PointStore> load(data::Db& db, data::Layer layer, size_t max_points);
  // A copy with record `id` re-read from the database: added, changed or gone.
  std::shared_ptr<const PointStore> with_record(data::Db& db, int64_t id) const;

  // f(record) for the points in the box that pass the filter and the scope, by y.
  void scan(WorldBox box, const PetitionFilter& filter, const TileScope& scope,
            const std::function<void(PointRecord&)>& f) const;
  size_t size() const noexcept { return items_.size(); }
  data::Layer layer() const noexcept { return layer_; }

 private:
  struct Item {
    double wx, wy;
    int64_t id;
    int64_t created_at, closed_at, deadline_at;  // petitions; -1 when absent
    uint32_t grid, category, reporter;           // indexes into the tables below
    int32_t handler;                             // handler worker id, -1 when none
    uint8_t status, kind;
  };
  class Interner {
   public:
    uint32_t operator()(const std::string& s);
    const std::string& operator[](uint32_t i) const { return values_[i]; }
    size_t size() const noexcept { return values_.size(); }
    std::optional<uint32_t> find(const std::string& s) const;

   private:
    std::vector<std::string> values_;
    std::unordered_map<std::string, uint32_t> ids_;
  };
  Item read_item(const data::PointRow& r);

  data::Layer layer_ = data::Layer::petitions;
  std::vector<Item> items_;  // sorted by wy
  Interner grids_, categories_, reporters_;
};

// What the grids layer shows beside the shapes: workers' names and household counts.
class GridAttributes {
 public:
  struct Entry {
    std::string workers;
    int64_t households = 0;
  };
  static std::shared_ptr<const GridAttributes> load(data::Db& db);
  // A copy with the household count of one grid counted again.
  std::shared_ptr<const GridAttributes> with_households_of(data::Db& db,
                                                           const std::string& grid) const;
  const Entry* find(const std::string& grid) const;

 private:
  std::unordered_map<std::string, Entry> grids_;
};

}  // namespace gridmap::tiles
