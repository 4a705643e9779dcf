// One server per database file: a SpatiaLite file is served by one process, whose in-memory
// indexes and caches would go stale under another's writes. The lock is an advisory flock
// on "FILE.serve.lock", held for the life of the object and released by the kernel when the
// process dies, so a killed server never leaves a stale lock. On PostgreSQL the lock is a
// session advisory lock on a connection of its own, gone with the process likewise: until the
// servers follow each other's writes (the change feed), one server per database there too.
#pragma once

#include <memory>

#include <string>

namespace gridmap::data {

class Db;

class ServeLock {
 public:
  // Throws unavailable when another process holds the lock of `db_path`.
  explicit ServeLock(const std::string& db_path);
  ~ServeLock();
  ServeLock(const ServeLock&) = delete;
  ServeLock& operator=(const ServeLock&) = delete;

 private:
  int fd_ = -1;
  std::unique_ptr<Db> pg_;
};

}  // namespace gridmap::data
