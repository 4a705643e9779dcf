#include "data/position_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "data/change_log.hpp"
#include "data/db.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

void append_position(std::string& out, int64_t id, LonLat p) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld %.9f %.9f\n", static_cast<long long>(id), p.lon, p.lat);
  out += buf;
}

std::vector<std::pair<int64_t, LonLat>> parse_positions(std::string_view text) {
  std::vector<std::pair<int64_t, LonLat>> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string line(text.substr(0, end));
    long long id = 0;
    LonLat p;
    if (std::sscanf(line.c_str(), "%lld %lf %lf", &id, &p.lon, &p.lat) == 3)
      out.emplace_back(id, p);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

PositionWriter::PositionWriter(std::string db_path, std::chrono::milliseconds interval,
                               std::string origin)
    : path_(std::move(db_path)), origin_(std::move(origin)), interval_(interval) {
  try {
    std::lock_guard w(write_lock_);
    open_db();
  } catch (const std::exception& e) {
    failure_ = e.what();
  }
  thread_ = std::thread([this] { run(); });
}

void PositionWriter::open_db() {
  if (db_) return;
  auto db = std::make_unique<Db>(Db::open(path_, false));
  db->exec("PRAGMA cache_size = -131072");  // the workers table and its index stay in memory
  if (db->read_only())
    throw Error(ErrorKind::unavailable, "the database " + path_ + " is read-only");
  db_ = std::move(db);
}

void PositionWriter::check_writable() const {
  std::lock_guard l(lock_);
  if (!failure_.empty())
    throw Error(ErrorKind::unavailable, "worker positions cannot be saved now: " + failure_);
}

PositionWriter::~PositionWriter() {
  {
    std::lock_guard l(lock_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  try {
    write_pending();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridmap: could not save worker positions on shutdown: %s\n", e.what());
  }
}

void PositionWriter::record(int64_t worker_id, LonLat position, int64_t at) {
  std::lock_guard l(lock_);
  auto [it, inserted] = pending_.try_emplace(worker_id, Ping{position, at});
  if (!inserted && at >= it->second.at) it->second = {position, at};
}

size_t PositionWriter::pending() const {
  std::lock_guard l(lock_);
  return pending_.size();
}

uint64_t PositionWriter::written() const {
  std::lock_guard l(lock_);
  return written_;
}

uint64_t PositionWriter::batches() const {
  std::lock_guard l(lock_);
  return batches_;
}

void PositionWriter::flush() {
  write_pending();
}

void PositionWriter::write_pending() {
  std::lock_guard w(write_lock_);  // one writer at a time, in order
  std::unordered_map<int64_t, Ping> batch;
  {
    std::lock_guard l(lock_);
    batch.swap(pending_);
  }
  try {
    open_db();
    if (batch.empty()) {
      std::lock_guard l(lock_);
      failure_.clear();  // writable again (a remount, a permission fixed)
      return;
    }
    // In id order the updates walk the table's pages once instead of jumping around.
    std::vector<std::pair<int64_t, Ping>> rows(batch.begin(), batch.end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.first < b.first; });
    Transaction tx(*db_);
    Statement st(*db_,
                 "UPDATE workers SET geom = MakePoint(?1, ?2, 4326), position_at = ?3 "
                 "WHERE id = ?4 AND (position_at IS NULL OR position_at <= ?3)");
    // The patrol track (data/patrols.hpp): only for a worker who opted in and is on duty.
    Statement track(
        *db_,
        "INSERT INTO patrol_points(worker_id, at, lon, lat) "
        "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM workers "
        "WHERE id = ?1 AND patrol = 1 AND on_duty = 1) "
        "ON CONFLICT(worker_id, at) DO UPDATE SET lon = excluded.lon, lat = excluded.lat");
    std::string moved;  // the positions stored, for the other servers (change_log.hpp)
    for (const auto& [id, ping] : rows) {
      st.bind(1, ping.position.lon).bind(2, ping.position.lat).bind(3, ping.at).bind(4, id).run();
      if (db_->postgresql() && db_->changes() > 0) append_position(moved, id, ping.position);
      track.bind(1, id).bind(2, ping.at).bind(3, ping.position.lon).bind(4, ping.position.lat);
      track.run();
    }
    if (!moved.empty()) log_change(*db_, origin_, kPositionsChange, "", moved);
    tx.commit();
  } catch (const std::exception& e) {
    db_.reset();
    // Put the batch back (newer pings win) so nothing is lost; the next round retries.
    std::lock_guard l(lock_);
    failure_ = e.what();
    for (auto& [id, ping] : batch) {
      auto [it, inserted] = pending_.try_emplace(id, ping);
      if (!inserted && ping.at > it->second.at) it->second = ping;
    }
    throw;
  }
  std::lock_guard l(lock_);
  failure_.clear();
  written_ += batch.size();
  ++batches_;
}

void PositionWriter::run() {
  std::unique_lock l(lock_);
  while (!stop_) {
    wake_.wait_for(l, interval_, [this] { return stop_; });
    if (stop_) break;
    l.unlock();
    try {
      write_pending();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gridmap: saving worker positions failed, will retry: %s\n", e.what());
    }
    l.lock();
  }
}

}  // namespace gridmap::data
