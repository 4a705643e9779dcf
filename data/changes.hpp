// Change notices: every write workflow (a service in data/) publishes one notice per record it
// changed, delivered only once its transaction has committed. The in-memory indexes and
// caches (point-in-grid, the worker directory, tiles, heat, hotspots) subscribe to the feed;
// no HTTP handler calls an invalidation itself.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "data/layer.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

class Db;

// The key of a notice for many records of a layer at once (an import).
inline constexpr const char* kManyRecords = "*";

struct ChangeNotice {
  Layer layer = Layer::grids;
  std::string key;                   // the record's code (areas) or id; kManyRecords
  std::optional<Box> before, after;  // areas: the extent before and after the change
};

struct LoggedChange;

// A notice as the change log keeps it (data/change_log.hpp): kind = the layer's name, the
// boxes in `detail`; and back (nullopt for a row that is not a layer's notice).
std::optional<std::string> notice_detail(const ChangeNotice& n);
std::optional<ChangeNotice> notice_of(const LoggedChange& c);

class ChangeFeed {
 public:
  using Listener = std::function<void(const ChangeNotice&)>;
  ChangeFeed();
  void subscribe(Listener listener);  // before the first publish
  // Queues a notice of a write made on `db`: kept when its transaction commits, dropped when
  // it rolls back (see Db::after_commit). On PostgreSQL the notice is also logged in that
  // transaction, for the other servers (change_log.hpp).
  void publish(Db& db, ChangeNotice notice);
  // This process's name in the change log: what it logged, it has applied already.
  const std::string& origin() const { return origin_; }
  // Calls the listeners with every queued notice, in order. The writer calls it once it has
  // let go of the write lock (a listener may read or write again); a listener's failure is
  // logged, never thrown.
  void deliver() noexcept;

 private:
  std::string origin_;
  std::mutex lock_;
  std::vector<ChangeNotice> queued_;
  std::vector<Listener> listeners_;
};

}  // namespace gridmap::data
