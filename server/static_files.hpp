// The web map's files, served from a directory (the build copies web/ and MapLibre there).
#pragma once

#include <optional>
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
  std::string root_;
};

}  // namespace gridmap::server
