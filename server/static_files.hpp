// The web map's files, served from a directory (the build copies web/ and MapLibre there),
// kept in memory with their gzip and an ETag once read: a phone on a slow link fetches
// MapLibre once, compressed, and then revalidates with a 304.
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "server/http/message.hpp"

namespace gridmap::server {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  // "/" is index.html, "/web/..." a file under the root; nullopt when the path is not ours.
  // Paths are checked: no "..", no hidden files, only known file types.
  std::optional<Response> serve(const Request& req) const;
  const std::string& root() const { return root_; }

 private:
  struct File {
    std::string raw, gzip, etag;
    const char* type = nullptr;
    std::time_t mtime = 0;
    off_t size = 0;
  };
  // The file as on disk now: the cached copy while its size and mtime are unchanged.
  std::shared_ptr<const File> load(const std::string& rel) const;

  std::string root_;
  mutable std::shared_mutex lock_;
  mutable std::map<std::string, std::shared_ptr<const File>> files_;
};

}  // namespace gridmap::server
