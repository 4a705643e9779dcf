#include "server/static_files.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string_view>

#include "server/conditional.hpp"
#include "tiles/cache.hpp"
#include "tiles/gzip.hpp"

namespace gridmap::server {
namespace {
const char* content_type(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".webmanifest")) return "application/manifest+json";
  return nullptr;
}
}  // namespace

std::shared_ptr<const StaticFiles::File> StaticFiles::load(const std::string& rel) const {
  std::string path = root_ + "/" + rel;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  {
    std::shared_lock l(lock_);
    auto it = files_.find(rel);
    if (it != files_.end() && it->second->mtime == st.st_mtime && it->second->size == st.st_size)
      return it->second;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream body;
  body << in.rdbuf();
  auto f = std::make_shared<File>();
  f->raw = body.str();
  f->gzip = tiles::gzip(f->raw, 6);  // once per file, not per request
  f->type = content_type(rel);
  f->mtime = st.st_mtime;
  f->size = st.st_size;
  f->etag = tiles::tile_etag(f->raw);  // a hash of the content, like the tiles'
  std::unique_lock l(lock_);
  files_[rel] = f;
  return f;
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  std::string rel;
  if (req.path == "/" || req.path == "/index.html")
    rel = "index.html";
  else if (req.path.rfind("/web/", 0) == 0)
    rel = req.path.substr(5);
  else
    return std::nullopt;
  if (rel.empty() || rel.find("..") != std::string::npos || rel.find("/.") != std::string::npos ||
      rel[0] == '.' || rel.find('\\') != std::string::npos || !content_type(rel))
    return problem(404, "not_found", "Not found", "no file at " + req.path);
  auto file = load(rel);
  if (!file) return problem(404, "not_found", "Not found", "no file at " + req.path);
  Response r;
  r.content_type = file->type;
  r.headers.emplace_back("ETag", file->etag);
  // The page and the service worker are checked for a new version on every load; the
  // worker, served from /web/, controls the whole origin (the app, its API and tiles).
  bool always_check = rel == "index.html" || rel == "sw.js";
  r.headers.emplace_back("Cache-Control", always_check ? "no-cache" : "public, max-age=300");
  if (rel == "sw.js") r.headers.emplace_back("Service-Worker-Allowed", "/");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; "
      "style-src 'self' 'unsafe-inline'; connect-src 'self'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (etag_matches(req, file->etag)) {
    r.status = 304;
  } else if (accepts_gzip(req) && file->gzip.size() < file->raw.size()) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = file->gzip;
  } else {
    r.body = file->raw;
  }
  return r;
}

}  // namespace gridmap::server
