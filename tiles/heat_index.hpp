// Point counts for heat maps and density cells at any zoom, in time that depends on the
// size of the tile, not on how many points lie under it.
//
// Points (petitions, households) are kept as Morton (Z-order) codes of their Web Mercator
// position at level kHeatKeyLevel, sorted, with packed filter attributes. A bin of a tile is a
// cell at some level; the cells of an aligned block are one contiguous key range. Coarse
// levels (up to kHeatPyramidLevel) read a count pyramid: per level, the sorted non-empty cells
// and their counts. The unfiltered pyramid is built with the index; a filter's level is
// built on first use from one pass over the points (a few kept), and for a filter that
// passes most points it is the complement's counts, subtracted from the unfiltered ones, so
// that it stays small. Finer levels scan the points of the tile's ranges, which are few
// there. Immutable; see heat_store.hpp for changes.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tiles/tile_math.hpp"

namespace gridmap::tiles {

constexpr int kHeatKeyLevel = 28;      // positions quantised to 2^28 cells a side (15 cm)
constexpr int kHeatPyramidLevel = 18;  // deepest pre-aggregated level (150 m cells)

uint64_t morton(uint32_t x, uint32_t y) noexcept;
void unmorton(uint64_t key, uint32_t& x, uint32_t& y) noexcept;
// The level-kHeatKeyLevel key of a world position.
uint64_t heat_key(WorldXY w) noexcept;

// The attributes a heat count filters on, packed in 32 bits.
struct HeatAttrs {
  uint16_t day = 0;      // days since 1970-01-01 in China Standard Time (UTC+8)
  uint8_t category = 0;  // index into the store's category table
  uint8_t kind = 0;      // 0 appeal, 1 incident
  uint8_t status = 0;    // data::Status, below 16
  uint32_t pack() const noexcept;
  static HeatAttrs unpack(uint32_t v) noexcept;
};
// The creation day of a time (seconds since the epoch), as HeatAttrs::day counts it.
uint16_t heat_day(int64_t t) noexcept;

// Which attribute values count. Days are whole: [day_from, day_to). Set the fields, then
// prepare() before matching.
struct HeatFilter {
  std::bitset<256> categories;
  uint8_t kinds = 0xff;
  uint16_t statuses = 0xffff;
  uint32_t day_from = 0, day_to = 0x10000;
  bool all = true;  // nothing filtered (a fast path)
  std::string key;  // identifies the filter among cached pyramids; "" when `all`
  HeatFilter() {
    categories.set();
    prepare();
  }
  // Tabulates category x kind x status, so that a match is one lookup and a day range.
  void prepare() noexcept;
  bool matches(uint32_t packed) const noexcept {
    uint32_t day = packed >> 16;
    return combos_[(packed >> 3 & 0x1fe0) | (packed & 0x1f)] && day >= day_from && day < day_to;
  }

 private:
  std::bitset<8192> combos_;  // category << 5 | kind << 4 | status
};

// A rectangle of cells at a level: [x0, x0 + w) x [y0, y0 + h); cells beyond the world are
// simply empty.
struct CellBox {
  int level = 0;
  int64_t x0 = 0, y0 = 0;
  int w = 0, h = 0;
};

struct HeatPointInput {
  uint64_t key;  // heat_key()
  uint32_t attrs;
  uint32_t id;
};

class HeatIndex {
 public:
  // Takes the points (any order).
  static std::shared_ptr<const HeatIndex> build(std::vector<HeatPointInput> points);

  // Adds the count of points passing `filter` in each cell of `box` to out[y * w + x].
  void add_counts(const CellBox& box, const HeatFilter& filter, std::span<uint32_t> out) const;

  // The point with this id: its key and attributes.
  std::optional<HeatPointInput> find(uint32_t id) const;
  // Every point but those whose id `skip` says, in key order.
  template <class Skip, class F>
  void for_each(Skip skip, F f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (!skip(ids_[i])) f(HeatPointInput{keys_[i], attrs_[i], ids_[i]});
  }

  size_t size() const noexcept { return keys_.size(); }
  // A typical busy cell's count at a level (the 99th percentile of non-empty unfiltered
  // cells), for a colour scale that is the same in every tile of a zoom.
  double busy_cell(int level) const noexcept;
  size_t memory_bytes() const;  // points and the pyramids built so far

 private:
  struct Level {
    std::vector<uint64_t> keys;  // sorted cell codes at the level
    std::vector<uint32_t> counts;
  };
  using Pyramid = std::array<Level, kHeatPyramidLevel + 1>;
  std::shared_ptr<const Pyramid> make_pyramid() const;  // unfiltered
  struct Filtered {
    bool complement;  // counts of the points the filter refuses
    Level level;
  };
  std::shared_ptr<const Filtered> filtered(const HeatFilter& filter, int level) const;

  std::vector<uint64_t> keys_;  // sorted
  std::vector<uint32_t> attrs_, ids_;
  std::vector<uint64_t> by_id_;  // (id << 32 | position), sorted
  std::array<double, kHeatPyramidLevel + 1> busy_{};
  std::shared_ptr<const Pyramid> all_;
  // Filtered levels (filter key and level), most recent first; built on first use.
  mutable std::mutex lock_;
  mutable std::list<std::pair<std::string, std::shared_ptr<const Filtered>>> filtered_;
};

}  // namespace gridmap::tiles
