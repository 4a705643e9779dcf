#include "data/changes.hpp"

#include <cstdio>

#include "data/db.hpp"

namespace gridmap::data {

void ChangeFeed::subscribe(Listener listener) {
  std::lock_guard l(lock_);
  listeners_.push_back(std::move(listener));
}

void ChangeFeed::publish(Db& db, ChangeNotice notice) {
  db.after_commit([this, n = std::move(notice)]() mutable {
    std::lock_guard l(lock_);
    queued_.push_back(std::move(n));
  });
}

void ChangeFeed::deliver() noexcept {
  std::vector<ChangeNotice> batch;
  std::vector<Listener> listeners;
  {
    std::lock_guard l(lock_);
    if (queued_.empty()) return;
    batch.swap(queued_);
    listeners = listeners_;
  }
  for (const ChangeNotice& n : batch)
    for (const Listener& f : listeners) {
      try {
        f(n);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap: updating the in-memory indexes after a change of %s %s failed: %s\n",
                     std::string(to_string(n.layer)).c_str(), n.key.c_str(), e.what());
      }
    }
}

}  // namespace gridmap::data
