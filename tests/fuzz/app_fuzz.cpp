// The whole application behind the HTTP reader, on the tatabu demo: a request (method,
// role, target with its query string, body) made from the fuzzer's bytes goes through
// App::handle: routing, access control, every query parameter reader (coordinates, CRS,
// times, bbox, tile and glyph coordinates, filters) and the read-only JSON bodies (batch
// locate and nearest: points_body). No request may get a 500, and every JSON answer must be
// JSON. Requests that write are left out: the demo must stay the same from run to run.
#include <rapidjson/document.h>

#include "fuzz/app_fixture.hpp"
#include "fuzz/fuzz.hpp"
#include "server/http/message.hpp"

using namespace gridmap;
using namespace gridmap::server;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::app_fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::AppFixture& f = fuzz::app_fixture();
  fuzz::Input in(data, size);
  Request req;
  uint8_t how = in.byte();
  static const char* roles[] = {"admin", "planner", "worker", ""};
  std::string role = roles[how & 3];
  // POST only to the batch queries, which read.
  static const char* posts[] = {"/api/v1/locate", "/api/v1/workers/nearest"};
  std::string rest(in.rest());
  size_t eol = rest.find('\n');
  std::string target = rest.substr(0, eol);
  req.body = eol == std::string::npos ? "" : rest.substr(eol + 1);
  if (how & 4) {
    req.method = "POST";
    target = posts[(how >> 3) & 1] + target;
  } else {
    req.method = how & 8 ? "HEAD" : "GET";
  }
  size_t q = target.find('?');
  req.path = percent_decode(std::string_view(target).substr(0, q), false);
  if (q != std::string::npos) req.query = parse_query(std::string_view(target).substr(q + 1));
  if (!role.empty()) req.headers["authorization"] = "Bearer " + f.tokens[role];
  req.remote = "127.0.0.1";

  Response res = f.app->handle(req);
  std::string what = req.method + " " + target + " as " + (role.empty() ? "nobody" : role);
  FUZZ_CHECK(res.status != 500, what + ": " + res.body);
  FUZZ_CHECK(res.status >= 200 && res.status < 600, what);
  bool json = res.content_type == "application/json" || res.content_type == "application/geo+json" ||
              res.content_type == "application/problem+json";
  if (json && req.method != "HEAD" && res.status != 304) {
    rapidjson::Document d;
    d.Parse(res.body.data(), res.body.size());
    FUZZ_CHECK(!d.HasParseError(), what + " answered with malformed JSON: " + res.body.substr(0, 300));
  }
  return 0;
}
