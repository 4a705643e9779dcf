#include "server/router.hpp"

namespace gridmap::server {

void Router::add(std::string method, std::string pattern, std::string name, RouteFn fn) {
  routes_.push_back({std::move(method), std::move(pattern), std::move(name), std::move(fn)});
}

bool Router::match(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params) {
  size_t p = 0, s = 0;
  while (p < pattern.size() && s <= path.size()) {
    if (pattern[p] == '{') {
      size_t close = pattern.find('}', p);
      std::string name = pattern.substr(p + 1, close - p - 1);
      // A parameter runs to the next literal character of the pattern (or the end).
      char stop = close + 1 < pattern.size() ? pattern[close + 1] : '\0';
      size_t end = stop ? path.find(stop, s) : path.size();
      if (stop == '.') end = path.rfind('.');
      if (end == std::string::npos || end <= s || end < s) return false;
      std::string value = path.substr(s, end - s);
      if (value.find('/') != std::string::npos) return false;
      params[name] = value;
      s = end;
      p = close + 1;
    } else {
      if (s >= path.size() || pattern[p] != path[s]) return false;
      ++p, ++s;
    }
  }
  return p == pattern.size() && s == path.size();
}

const Route* Router::find(Request& req, Response& refusal) const {
  std::string allowed;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r.pattern, req.path, params)) continue;
    bool same = r.method == req.method || (r.method == "GET" && req.method == "HEAD");
    if (!same) {
      if (!allowed.empty()) allowed += ", ";
      allowed += r.method;
      if (r.method == "GET") allowed += ", HEAD";  // every GET answers HEAD too
      continue;
    }
    req.path_params = std::move(params);
    return &r;
  }
  if (!allowed.empty()) {
    refusal = problem(405, "method_not_allowed", "Method not allowed", req.method + " is not allowed here (use " + allowed + ")");
    refusal.headers.emplace_back("Allow", allowed);
  } else {
    refusal = problem(404, "not_found", "Not found", "no resource at " + req.path);
  }
  return nullptr;
}

}  // namespace gridmap::server
