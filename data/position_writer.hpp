// Persists workers' last known positions in batches: pings are coalesced in memory (the
// latest per worker wins) and written by a background thread in one transaction per
// interval, so a burst of pings never costs a transaction each. The last position and its
// time are kept; a point of the patrol track too, in the same transaction, for a worker who
// opted in and is on duty (data/patrols.hpp; positions are personal movement data).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::data {

class Db;

// The change log's kind of a batch of stored positions (change_log.hpp), its detail lines of
// "ID LON LAT"; and those lines read back.
inline constexpr const char* kPositionsChange = "positions";
void append_position(std::string& out, int64_t id, LonLat p);
std::vector<std::pair<int64_t, LonLat>> parse_positions(std::string_view text);

class PositionWriter {
 public:
  // `origin`: the process's name in the change log (ChangeFeed::origin()).
  explicit PositionWriter(std::string db_path,
                          std::chrono::milliseconds interval = std::chrono::milliseconds(500),
                          std::string origin = {});
  ~PositionWriter();  // writes what is pending, then stops
  PositionWriter(const PositionWriter&) = delete;
  PositionWriter& operator=(const PositionWriter&) = delete;

  // Throws unavailable while positions cannot be saved (a read-only database, a full disk:
  // the last write failed), so that no ping is acknowledged that would be lost.
  void check_writable() const;
  void record(int64_t worker_id, LonLat position, int64_t at);
  void flush();  // writes everything recorded so far before returning
  size_t pending() const;
  uint64_t written() const;
  uint64_t batches() const;

 private:
  void run();
  void write_pending();
  void open_db();  // the connection, and whether it can write at all

  struct Ping {
    LonLat position;
    int64_t at;
  };
  std::string path_, origin_;
  std::chrono::milliseconds interval_;
  mutable std::mutex lock_;
  std::condition_variable wake_, done_;
  std::unordered_map<int64_t, Ping> pending_;
  std::mutex write_lock_;
  std::unique_ptr<Db> db_;  // the writer's own connection, opened on first use
  uint64_t written_ = 0, batches_ = 0;
  bool stop_ = false;
  std::string failure_;  // why the last write failed; empty while writes succeed
  std::thread thread_;
};

}  // namespace gridmap::data
