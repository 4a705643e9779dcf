// One server per database file: a SpatiaLite file is served by one process, whose in-memory
// indexes and caches would go stale under another's writes. The lock is an advisory flock
// on "FILE.serve.lock", held for the life of the object and released by the kernel when the
// process dies, so a killed server never leaves a stale lock. On PostgreSQL the lock is a
// session advisory lock on a connection of its own, gone with the process likewise; there the
// servers follow each other's writes (change_log.hpp) and share it, while what must run alone
// (a bulk import that drops indexes) takes it exclusively.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace gridmap::data {

class Db;

class ServeLock {
 public:
  enum class Mode { exclusive, shared_on_postgresql };
  // Throws unavailable when another process holds the lock of `db_path` (exclusively, or at
  // all for an exclusive one).
  explicit ServeLock(const std::string& db_path, Mode mode = Mode::exclusive);
  ~ServeLock();
  ServeLock(const ServeLock&) = delete;
  ServeLock& operator=(const ServeLock&) = delete;

 private:
  int fd_ = -1;
  std::unique_ptr<Db> pg_;
};

// Work one server of several on a database does at a time (the webhooks' deliveries). On
// PostgreSQL a session advisory lock on a connection of its own: taken when free, kept until
// the process or its connection ends, when another server takes it. On SQLite (one server per
// file) always this one.
inline constexpr int64_t kWebhookDelivererLock = 7255010014;
class SoleWorker {
 public:
  SoleWorker(std::string db_path, int64_t key);
  ~SoleWorker();
  SoleWorker(const SoleWorker&) = delete;
  SoleWorker& operator=(const SoleWorker&) = delete;
  bool mine();  // whether this process holds it now (taking it when free); throws when unreachable

 private:
  std::string path_;
  int64_t key_;
  std::unique_ptr<Db> pg_;
};

}  // namespace gridmap::data
