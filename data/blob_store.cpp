#include "data/blob_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace gridmap::data {
namespace fs = std::filesystem;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

namespace {

bool is_key(std::string_view key) {
  if (key.size() != 64) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Without the path: the message may reach a client.
[[noreturn]] void fail(const std::string& what, const fs::path&) {
  throw Error(ErrorKind::unavailable, what + " an attachment's file: " + std::strerror(errno));
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

DirBlobStore::DirBlobStore(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_ / "tmp", ec);
  if (ec)
    throw Error(ErrorKind::unavailable,
                "cannot create " + (dir_ / "tmp").string() + ": " + ec.message());
  // A temp file is what a write left when the process died before its rename: never referenced.
  for (const auto& e : fs::directory_iterator(dir_ / "tmp", ec)) fs::remove(e.path(), ec);
}

fs::path DirBlobStore::path_of(const std::string& key) const {
  if (!is_key(key)) throw Error(ErrorKind::invalid_input, "not a content key: '" + key + "'");
  return dir_ / key.substr(0, 2) / key.substr(2, 2) / key;
}

void DirBlobStore::put(const std::string& key, std::string_view bytes) {
  fs::path target = path_of(key);
  if (fs::exists(target)) return;
  static std::atomic<uint64_t> serial{0};
  fs::path tmp =
      dir_ / "tmp" / (key + "." + std::to_string(::getpid()) + "." + std::to_string(serial++));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) fail("cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      fail("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail("cannot sync", tmp);
  }
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec || ::rename(tmp.c_str(), target.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::unavailable, "cannot store an attachment's file");
  }
  sync_dir(target.parent_path());
}

std::optional<std::string> DirBlobStore::get(const std::string& key) const {
  std::ifstream in(path_of(key), std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool DirBlobStore::contains(const std::string& key) const {
  return fs::exists(path_of(key));
}

void DirBlobStore::remove(const std::string& key) {
  std::error_code ec;
  fs::remove(path_of(key), ec);
}

std::vector<std::string> DirBlobStore::keys(std::chrono::seconds min_age) const {
  std::vector<std::string> out;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (auto it = fs::recursive_directory_iterator(dir_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().parent_path() == dir_ / "tmp") continue;
    std::string name = it->path().filename().string();
    if (!it->is_regular_file() || !is_key(name)) continue;
    std::error_code tec;
    auto written = fs::last_write_time(it->path(), tec);
    if (min_age.count() > 0 && (tec || now - written < min_age)) continue;
    out.push_back(std::move(name));
  }
  return out;
}

fs::path files_dir_for(const std::string& db_path) {
  return fs::path(db_path + ".files");
}

}  // namespace gridmap::data
