#include "tiles/heat_service.hpp"

#include "data/features.hpp"

#include "geo/error.hpp"
#include "tiles/service.hpp"

namespace gridmap::tiles {
namespace {

void check_tile(const HeatRequest& r) {
  if (!is_valid(r.tile) || r.tile.z > kMaxTileZoom || (r.scale != 1 && r.scale != 2))
    throw_invalid("no heat tile " + std::to_string(r.tile.z) + "/" + std::to_string(r.tile.x) +
                  "/" + std::to_string(r.tile.y) + " (zoom 0 to " + std::to_string(kMaxTileZoom) +
                  ", x and y below 2^zoom)");
}

// What a request counts: whole weeks when its answer is k-anonymous.
PetitionFilter counted(const HeatRequest& r) {
  return r.suppress_small ? whole_weeks(r.filter) : r.filter;
}

std::string variant(const HeatRequest& r) {
  return counted(r).canonical() + (r.suppress_small ? "|k5" : "") + (r.scale == 2 ? "|@2x" : "");
}

constexpr int64_t kDay = 86400, kCst = 8 * 3600;

// The start (a UTC instant) of the Monday-to-Sunday CST week holding `t`.
int64_t week_start(int64_t t) {
  int64_t local = t + kCst;
  int64_t day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  int64_t weekday = ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday is 0
  return (day - weekday) * kDay - kCst;
}

}  // namespace

PetitionFilter whole_weeks(PetitionFilter f) {
  if (f.from) f.from = week_start(*f.from);
  if (f.to) f.to = week_start(*f.to - 1) + 7 * kDay;
  return f;
}

std::vector<uint32_t> heat_bins(const HeatSnapshot& petitions, const HeatRequest& r, int margin) {
  CellBox box = heat_box(r.tile, margin);
  std::vector<uint32_t> bins(size_t(box.w) * size_t(box.h), 0);
  petitions.add_counts(box, petitions.compile(counted(r)), bins);
  if (r.suppress_small) suppress_small(bins);
  return bins;
}

std::string heat_png(const HeatSnapshot& petitions, const HeatRequest& r) {
  check_tile(r);
  auto bins = heat_bins(petitions, r, kHeatMarginBins);
  return render_heat(bins, petitions.base->busy_cell(r.tile.z + kHeatBinLevels), r.scale);
}

std::string density_mvt(const HeatSnapshot& petitions, const HeatSnapshot& households,
                        const HeatRequest& r) {
  check_tile(r);
  auto counts = heat_bins(petitions, r, 0);
  CellBox box = heat_box(r.tile, 0);
  std::vector<uint32_t> homes(counts.size(), 0);
  households.add_counts(box, HeatFilter{}, homes);
  return render_density(counts, homes);
}

HeatTiles::HeatTiles(size_t cache_bytes) : heat_cache_(cache_bytes), density_cache_(cache_bytes) {}

std::shared_ptr<const CachedTile> HeatTiles::heat(data::Db& db, const HeatRequest& r) {
  check_tile(r);
  TileKey key{data::Layer::petitions, r.tile, variant(r)};
  return heat_cache_.get(key, [&] {
    BuiltTile t;
    t.mvt = heat_png(*petitions_.snapshot(db), r);
    t.stats.bytes = t.mvt.size();
    return t;
  });
}

std::shared_ptr<const CachedTile> HeatTiles::density(data::Db& db, const HeatRequest& r) {
  check_tile(r);
  TileKey key{data::Layer::petitions, r.tile, variant(r)};
  return density_cache_.get(key, [&] {
    BuiltTile t;
    t.mvt = density_mvt(*petitions_.snapshot(db), *households_.snapshot(db), r);
    t.stats.bytes = t.mvt.size();
    return t;
  });
}

void HeatTiles::petition_changed(data::Db& db, int64_t id) {
  petitions_.changed(db, id);
  // A petition does not move: the tiles around it are all that change; heat reaches
  // kHeatMarginBins bins (of a tile's kHeatBins) into the neighbours.
  if (auto box = data::extent_of(db, data::Layer::petitions, std::to_string(id))) {
    LonLat p{box->min_lon, box->min_lat};
    heat_cache_.invalidate_point(data::Layer::petitions, p,
                                 double(kHeatMarginBins + 1) / kHeatBins);
    density_cache_.invalidate_point(data::Layer::petitions, p);
  } else {
    heat_cache_.invalidate_layer(data::Layer::petitions);
    density_cache_.invalidate_layer(data::Layer::petitions);
  }
}

void HeatTiles::household_changed(data::Db& db, int64_t id) {
  households_.changed(db, id);
  if (auto box = data::extent_of(db, data::Layer::households, std::to_string(id)))
    density_cache_.invalidate_point(data::Layer::petitions, {box->min_lon, box->min_lat});
  else
    density_cache_.invalidate_layer(data::Layer::petitions);
}

void HeatTiles::households_reloaded(data::Db& db) {
  households_.reloaded(db);
  density_cache_.invalidate_layer(data::Layer::petitions);
}

}  // namespace gridmap::tiles
