// The heat index of a point layer (petitions with their filter attributes, or households)
// kept current: an immutable HeatIndex read from the database once, plus a small overlay of
// the changes since (one -1 for a record's old state, one +1 for its new one). When the
// overlay grows past kMaxHeatDeltas a background thread folds it into a new index, with no
// database access; readers keep the snapshot they started with.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "data/db.hpp"
#include "tiles/heat_index.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

constexpr size_t kMaxHeatDeltas = 4096;

struct HeatDelta {
  uint64_t key;
  uint32_t attrs, id;
  int32_t sign;  // +1 or -1
};

// One consistent state: counts are the base's plus the deltas'.
struct HeatSnapshot {
  std::shared_ptr<const HeatIndex> base;
  std::vector<HeatDelta> deltas;
  // The current state of every record changed since `base` was built; nullopt: gone.
  std::unordered_map<uint32_t, std::optional<HeatPointInput>> changed;
  std::vector<std::string> categories;  // HeatAttrs::category indexes these

  // The filter in index terms (categories by index, days of from/to; `to` rounds up to the
  // end of its day). Unknown names match nothing.
  HeatFilter compile(const PetitionFilter& f) const;
  void add_counts(const CellBox& box, const HeatFilter& filter, std::span<uint32_t> out) const;
};

class HeatStore {
 public:
  enum class Source { petitions, households };
  explicit HeatStore(Source source) : source_(source) {}
  ~HeatStore();
  HeatStore(const HeatStore&) = delete;
  HeatStore& operator=(const HeatStore&) = delete;

  // The current snapshot; the first call reads the layer from the database.
  std::shared_ptr<const HeatSnapshot> snapshot(data::Db& db);
  // Reads the layer now unless it is read already (a server warming up); gives up, leaving
  // it unread, when `stop` turns true.
  void warm(data::Db& db, const std::atomic<bool>& stop);
  // Record `id` was added, changed or deleted (after the commit). The next snapshot shows it.
  // While the layer is being read the change is noted and applied after, so the writer
  // never waits for a load.
  void changed(data::Db& db, int64_t id);
  // Many records changed at once (an import): the layer is read again, once loaded.
  void reloaded(data::Db& db);
  // Waits for a background rebuild, if one runs (for tests and shutdown).
  void settle();

  // nullptr when `stop` turned true on the way.
  static std::shared_ptr<HeatSnapshot> load(data::Db& db, Source source,
                                            const std::atomic<bool>* stop = nullptr);
  // A snapshot whose base holds every point of `s` and no deltas.
  static std::shared_ptr<const HeatIndex> fold(const HeatSnapshot& s);

 private:
  std::optional<HeatPointInput> read(data::Db& db, int64_t id, HeatSnapshot& s) const;
  std::shared_ptr<const HeatSnapshot> load_now(data::Db& db, const std::atomic<bool>* stop);
  void apply(data::Db& db, int64_t id);  // lock_ held, loaded
  void rebuild(std::shared_ptr<const HeatSnapshot> from);

  Source source_;
  std::mutex lock_;  // loading and changes, one at a time
  std::atomic<std::shared_ptr<const HeatSnapshot>> current_;
  std::thread rebuild_;
  std::atomic<bool> rebuilding_{false};
  std::mutex pending_lock_;  // guards the two below
  bool loading_ = false;
  std::vector<int64_t> pending_;  // changes made while loading
};

}  // namespace gridmap::tiles
