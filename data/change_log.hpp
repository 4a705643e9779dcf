// The change feed between several servers on one PostgreSQL database. Each change notice a
// server publishes (changes.hpp), each batch of worker positions and each batch of new
// notifications is also a row of gridmap_change_log, written in the transaction of the change
// and announced with NOTIFY at its commit. Every other server follows the log: a thread of
// its own LISTENs on a connection of its own and reads the rows after the last one it applied,
// by sequence number, after each notification, at least once a second, and after a lost
// connection is made again, so a missed notification is never a stale cache. Rows are numbered
// under the writers' lock, so they become visible in the order of their numbers.
// On SQLite (one server per file) nothing is logged.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gridmap::data {

class Db;

constexpr int64_t kChangesKeptS = 3600;
// The row a follower is given when the rows after its last one are gone (pruned while it
// was away): it must read everything afresh.
inline constexpr const char* kChangesMissed = "missed";

struct LoggedChange {
  int64_t seq = 0;
  std::string origin;  // the process that wrote it (new_origin())
  std::string kind;    // a layer's name, "positions" or "notifications"
  std::string key;
  std::optional<std::string> detail;
};

// A random name for this process's changes (16 hex digits).
std::string new_origin();

// Logs a change on PostgreSQL, in the open transaction (else in one of its own); nothing on
// SQLite.
void log_change(Db& db, std::string_view origin, std::string_view kind, std::string_view key,
                std::optional<std::string_view> detail = std::nullopt);
int64_t newest_change(Db& db);  // the last sequence number (0: none; SQLite: 0)
std::vector<LoggedChange> changes_after(Db& db, int64_t seq, size_t limit);
int64_t prune_changes(Db& db, int64_t before);  // rows older than `before` (seconds)

// Follows the log of the database at `url` from `after` on: calls `apply` with every row
// another origin wrote, in order, on a thread of its own. An `apply` that throws is called
// again with the same row a second later (a lost connection), never skipped.
class ChangeFollower {
 public:
  using Apply = std::function<void(const LoggedChange&)>;
  ChangeFollower(std::string url, std::string origin, int64_t after, Apply apply);
  ~ChangeFollower();  // stops and joins the thread
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;
  int64_t applied_through() const { return through_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  void run();
  std::string url_, origin_;
  Apply apply_;
  std::atomic<int64_t> through_;
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gridmap::data
