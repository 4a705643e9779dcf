// In-memory snapshot of an area layer (grids, communities, subdistricts) for tiles: every
// area's rings already in Web Mercator world coordinates, its box, area and label point,
// a uniform grid over the boxes to find the areas under a tile, and, per zoom up to
// kMaxBandZoom, the whole layer generalised once for that zoom (snapped to the zoom's
// pixel grid, simplified with shared borders kept identical, freed of what is below a
// pixel, valid), so that a tile only translates and clips. Immutable (the bands are made
// on first use, once, thread-safely); a changed area makes the service drop the snapshot
// and load a new one, while readers keep the one they started with.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "tiles/generalise.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/point_store.hpp"
#include "tiles/tile_geometry.hpp"
#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

class AreaStore {
 public:
  static constexpr int kMaxBandZoom = 16;      // above it tiles generalise on their own
  static constexpr double kBandTolerance = 4;  // the tile units the bands are simplified by

  struct Area {
    std::string code, name;
    WorldBox box;
    double area = 0;  // world units² (multiply by (4096 · 2^z)² for tile units²)
    std::optional<WorldXY> label;
    uint32_t first_part = 0, parts = 0;  // into parts_
  };
  // One zoom's generalisation: per area, its polygons in integer pixel coordinates of the
  // whole world at that zoom (tile x, y at (x · 4096, y · 4096)); empty when dropped.
  // For the tiles that need no clipping, each area is also kept encoded (see
  // encode_polygons(); its rest in `encoded_bytes`), with the box of its exterior rings and
  // its vertex count.
  struct Band {
    std::vector<std::vector<IPolygon>> shapes;
    struct Encoded {
      EncodedPolygons polygons;
      int32_t x0 = INT32_MAX, y0 = INT32_MAX, x1 = INT32_MIN, y1 = INT32_MIN;
      uint32_t vertices = 0;  // of `shapes`, as they are
    };
    std::vector<Encoded> encoded;
    std::string encoded_bytes;
  };

  // The layer's areas; nullptr when they hold more than `max_vertices` vertices (tiles then
  // read SQL).
  static std::shared_ptr<const AreaStore> load(data::Db& db, data::Layer layer,
                                               size_t max_vertices);

  data::Layer layer() const noexcept { return layer_; }
  size_t size() const noexcept { return areas_.size(); }
  const Area& area(uint32_t i) const noexcept { return areas_[i]; }
  // Indexes (in code order) of the areas whose boxes meet the box.
  void query(WorldBox box, std::vector<uint32_t>& out) const;
  // The area's polygons in tile coordinates of `proj`, unclipped (as the SQL path makes them).
  DFeature shape(uint32_t i, const TileProjection& proj) const;
  // The zoom's band, made on first use; z <= kMaxBandZoom.
  const Band& band(int z) const;
  // Each area's entry in `grids` (null when it has none), by area index: found once per
  // attributes snapshot instead of by code in every tile. Null when `grids` is null. The
  // entries belong to `grids`: use them while holding it.
  using AttributeIndex = std::vector<const GridAttributes::Entry*>;
  std::shared_ptr<const AttributeIndex> attributes_by_area(
      const std::shared_ptr<const GridAttributes>& grids) const;

 private:
  data::Layer layer_ = data::Layer::grids;
  std::vector<Area> areas_;  // by code
  // Part p has rings [part_rings_[p], part_rings_[p + 1]); ring r has vertices
  // [ring_vertices_[r], ring_vertices_[r + 1]) (no closing point).
  std::vector<uint32_t> part_rings_, ring_vertices_;
  std::vector<WorldXY> vertices_;
  // The uniform grid: cell (cx, cy) holds items [cell_start_[k], cell_start_[k + 1]).
  double grid_x0_ = 0, grid_y0_ = 0, cell_ = 1;
  int cells_ = 1;
  std::vector<uint32_t> cell_start_, cell_items_;
  mutable std::array<std::once_flag, kMaxBandZoom + 1> band_once_;
  mutable std::array<std::unique_ptr<Band>, kMaxBandZoom + 1> bands_;
  // The last attributes_by_area(): for which snapshot (a weak_ptr keeps its control block,
  // so a new snapshot is never taken for it), and the index.
  mutable std::mutex attributes_lock_;
  mutable std::weak_ptr<const GridAttributes> attributes_for_;
  mutable std::shared_ptr<const AttributeIndex> attributes_index_;
};

}  // namespace gridmap::tiles
