#include "server/cors.hpp"

#include <algorithm>
#include <cctype>

namespace gridmap::server {
namespace {

constexpr const char* kMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";
constexpr const char* kHeaders =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, Last-Event-ID";
constexpr const char* kExposed =
    "ETag, Location, Content-Disposition, Retry-After, WWW-Authenticate";

}  // namespace

std::string normal_origin(std::string origin) {
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

std::optional<std::string> allowed_origin(const std::vector<std::string>& allowed,
                                          const Request& req) {
  if (allowed.empty()) return std::nullopt;
  auto origin = req.header("origin");
  if (!origin) return std::nullopt;
  std::string o = normal_origin(*origin);
  if (std::find(allowed.begin(), allowed.end(), o) == allowed.end()) return std::nullopt;
  return *origin;  // echoed as the browser sent it
}

std::optional<Response> preflight(const std::vector<std::string>& allowed, const Request& req) {
  if (req.method != "OPTIONS" || !req.header("origin") ||
      !req.header("access-control-request-method"))
    return std::nullopt;
  auto origin = allowed_origin(allowed, req);
  if (!origin)
    return problem(403, "cross_origin", "Cross-origin request refused",
                   "pages of " + *req.header("origin") +
                       " may not call this server (an operator allows an origin with serve "
                       "--cors-origin)");
  Response r;
  r.status = 204;
  r.headers.emplace_back("Access-Control-Allow-Origin", *origin);
  r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  r.headers.emplace_back("Access-Control-Allow-Methods", kMethods);
  r.headers.emplace_back("Access-Control-Allow-Headers", kHeaders);
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  r.headers.emplace_back("Vary", "Origin");
  return r;
}

void add_cors_headers(const std::vector<std::string>& allowed, const Request& req,
                      bool public_to_all, Response& res) {
  if (auto origin = allowed_origin(allowed, req)) {
    res.headers.emplace_back("Access-Control-Allow-Origin", *origin);
    res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    res.headers.emplace_back("Access-Control-Expose-Headers", kExposed);
    res.headers.emplace_back("Vary", "Origin");
  } else if (public_to_all) {
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else if (!allowed.empty()) {
    res.headers.emplace_back("Vary", "Origin");  // another origin would get another answer
  }
}

}  // namespace gridmap::server
