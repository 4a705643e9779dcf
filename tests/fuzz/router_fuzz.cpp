// The routing table of the application: any path finds at most the route whose pattern,
// with the path parameters put back, is that path; a path made from a route's pattern with
// plain parameter values finds that route or one listed before it.
#include "fuzz/app_fixture.hpp"
#include "fuzz/fuzz.hpp"

using namespace gridmap;
using namespace gridmap::server;

namespace {

// The pattern with its {parameters} replaced by their values.
std::string fill(const std::string& pattern, const std::map<std::string, std::string>& params) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    size_t close = pattern.find('}', i);
    auto it = params.find(pattern.substr(i + 1, close - i - 1));
    out += it == params.end() ? "<missing>" : it->second;
    i = close;
  }
  return out;
}

// Finds the route of `path` for `method` and checks what it found; the route's index, or
// -1 when none.
int check_find(const Router& router, const std::string& method, const std::string& path) {
  Request req;
  req.method = method;
  req.path = path;
  Response refusal;
  const Route* r = router.find(req, refusal);
  if (!r) {
    FUZZ_CHECK(refusal.status == 404 || refusal.status == 405,
               "refused with " + std::to_string(refusal.status));
    return -1;
  }
  FUZZ_CHECK(fill(r->pattern, req.path_params) == path,
             "'" + path + "' matched " + r->pattern + " as '" + fill(r->pattern, req.path_params) + "'");
  return static_cast<int>(r - router.routes().data());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::app_fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Router& router = fuzz::app_fixture().app->router();
  const auto& routes = router.routes();
  fuzz::Input in(data, size);
  static const char* methods[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"};
  std::string method = methods[in.in_range(0, 5)];

  // A route's pattern with plain, non-empty values.
  size_t k = static_cast<size_t>(in.in_range(0, static_cast<int64_t>(routes.size()) - 1));
  const Route& route = routes[k];
  std::map<std::string, std::string> params;
  std::string pattern = route.pattern;
  for (size_t i = pattern.find('{'); i != std::string::npos; i = pattern.find('{', i + 1)) {
    std::string value = in.text(12);
    std::string plain;
    for (char c : value)
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') plain += c;
    if (plain.empty()) plain = "x";
    params[pattern.substr(i + 1, pattern.find('}', i) - i - 1)] = plain;
  }
  std::string path = fill(pattern, params);
  int found = check_find(router, route.method, path);
  FUZZ_CHECK(found >= 0 && found <= static_cast<int>(k),
             "'" + path + "', made from " + route.pattern + ", found route " + std::to_string(found));

  // Any path.
  check_find(router, method, std::string(in.rest()));
  return 0;
}
