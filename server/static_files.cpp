#include "server/static_files.hpp"

#include <fstream>
#include <sstream>

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
  return nullptr;
}
}  // namespace

std::optional<Response> StaticFiles::serve(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  std::string rel;
  if (req.path == "/" || req.path == "/index.html") rel = "index.html";
  else if (req.path.rfind("/web/", 0) == 0) rel = req.path.substr(5);
  else return std::nullopt;
  if (rel.empty() || rel.find("..") != std::string::npos || rel.find("/.") != std::string::npos || rel[0] == '.' ||
      rel.find('\\') != std::string::npos)
    return problem(404, "not_found", "Not found", "no file at " + req.path);
  const char* type = content_type(rel);
  std::ifstream in(root_ + "/" + rel, std::ios::binary);
  if (!type || !in) return problem(404, "not_found", "Not found", "no file at " + req.path);
  std::ostringstream body;
  body << in.rdbuf();
  Response r;
  r.content_type = type;
  r.body = body.str();
  r.headers.emplace_back("Cache-Control", rel == "index.html" ? "no-cache" : "public, max-age=300");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: blob:; worker-src blob:; child-src blob:; "
                         "style-src 'self' 'unsafe-inline'; connect-src 'self'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace gridmap::server
