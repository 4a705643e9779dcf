#include "data/serve_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "data/db.hpp"
#include "data/pg_engine.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

ServeLock::ServeLock(const std::string& db_path, Mode mode) {
  if (pg::is_url(db_path)) {
    pg_ = std::make_unique<Db>(Db::open(db_path, false));
    bool shared = mode == Mode::shared_on_postgresql;
    Statement st(*pg_, shared ? "SELECT pg_try_advisory_lock_shared(7255010013)"
                              : "SELECT pg_try_advisory_lock(7255010013)");
    if (!st.step() || st.int64(0) != 1)
      throw Error(ErrorKind::unavailable,
                  shared
                      ? "a bulk import is running on " + pg::redacted(db_path) + "; serve it after"
                      : "a gridmap server is serving " + pg::redacted(db_path) +
                            "; stop the servers first (or use the HTTP API)");
    return;
  }
  std::string path = db_path + ".serve.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw Error(ErrorKind::unavailable, "cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {};
    ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw Error(ErrorKind::unavailable,
                  "another gridmap server is serving " + db_path +
                      (n > 0 ? " (pid " + std::string(pid, static_cast<size_t>(n)) + ")" : "") +
                      "; one server per database file");
    throw Error(ErrorKind::unavailable, "cannot lock " + path + ": " + std::strerror(err));
  }
  // Who holds it, for the message a second server prints.
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // The pid is only informative; the lock holds without it.
  }
}

ServeLock::~ServeLock() {
  if (fd_ >= 0) ::close(fd_);
  pg_.reset();
}

SoleWorker::SoleWorker(std::string db_path, int64_t key) : path_(std::move(db_path)), key_(key) {}

SoleWorker::~SoleWorker() = default;

bool SoleWorker::mine() {
  if (!pg::is_url(path_)) return true;
  if (!pg_) pg_ = std::make_unique<Db>(Db::open(path_, false));
  // Taken again while held only counts up; a connection made again (the old one lost) has
  // lost it and takes it afresh when free.
  Statement st(*pg_, "SELECT pg_try_advisory_lock(?1)");
  st.bind(1, key_);
  return st.step() && st.int64(0) == 1;
}

}  // namespace gridmap::data
