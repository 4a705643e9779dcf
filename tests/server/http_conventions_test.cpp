// HTTP conventions every client expects: JSON compressed when asked (with Vary and an
// entity tag per coding), WWW-Authenticate on 401, HEAD in Allow, no Content-Length on a
// 304, the build's version in /healthz and /metrics, absolute problem types with an instance,
// request ids in X-Request-Id and the access log, application/geo+json for GeoJSON.
#include <brotli/decode.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "server/access_log.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

std::string header(const test::HttpResult& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("JSON answers are gzip-compressed when the client takes it, with Vary and their own ETag",
          "[engines]") {
  test::RoleServer s;
  const std::string item = "/api/v1/communities/150102001001";  // a community's boundary
  auto plain = s.get(item);
  REQUIRE(plain.status == 200);
  REQUIRE(plain.body.size() >= 1024);  // worth compressing
  CHECK(header(plain, "content-encoding").empty());
  CHECK(header(plain, "vary") == "Accept-Encoding");
  auto packed = s.get(item, "admin", {{"Accept-Encoding", "gzip, deflate"}});
  REQUIRE(packed.status == 200);
  CHECK(header(packed, "content-encoding") == "gzip");
  CHECK(header(packed, "vary") == "Accept-Encoding");
  CHECK(packed.body.size() < plain.body.size());
  CHECK(gunzip(packed.body) == plain.body);
  // One entity tag per coding, and either one brings a 304 from its own coding.
  std::string tag = header(plain, "etag"), gz_tag = header(packed, "etag");
  REQUIRE(!tag.empty());
  CHECK(gz_tag == tag.substr(0, tag.size() - 1) + "-gzip\"");
  auto again = s.get(item, "admin", {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz_tag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.headers.count("content-length") == 0);
  auto again_plain = s.get(item, "admin", {{"If-None-Match", tag}});
  CHECK(again_plain.status == 304);
  // A refused coding (q=0) and small answers stay as they are.
  auto refused = s.get(item, "admin", {{"Accept-Encoding", "gzip;q=0"}});
  CHECK(header(refused, "content-encoding").empty());
  CHECK(refused.body == plain.body);
  auto small = s.get("/healthz", "admin", {{"Accept-Encoding", "gzip"}});
  REQUIRE(small.status == 200);
  CHECK(header(small, "content-encoding").empty());
  // A large list, as the dispatcher's page asks for it.
  auto list = s.get("/api/v1/petitions?limit=500", "dispatcher", {{"Accept-Encoding", "gzip"}});
  REQUIRE(list.status == 200);
  CHECK(header(list, "content-encoding") == "gzip");
  auto list_plain = s.get("/api/v1/petitions?limit=500", "dispatcher");
  CHECK(gunzip(list.body) == list_plain.body);
  CHECK(list.body.size() * 4 < list_plain.body.size());
}

TEST_CASE("a 401 says how to authenticate, a 405 lists HEAD beside GET", "[engines]") {
  test::RoleServer s;
  auto anonymous = test::http(s.server->port(), "GET", "/api/v1/petitions");
  CHECK(anonymous.status == 401);
  CHECK(header(anonymous, "www-authenticate") == "Bearer realm=\"gridmap\"");
  auto wrong = test::http(s.server->port(), "GET", "/api/v1/petitions", "",
                          {{"Authorization", "Bearer not-a-token"}});
  CHECK(wrong.status == 401);
  CHECK(header(wrong, "www-authenticate").find("Bearer") == 0);
  auto put = s.send("PUT", "/healthz", "");
  CHECK(put.status == 405);
  CHECK(header(put, "allow") == "GET, HEAD");
}

TEST_CASE("/healthz and /metrics name the build", "[engines]") {
  test::RoleServer s;
  auto health = s.get("/healthz");
  REQUIRE(health.status == 200);
  auto h = test::json(health);
  CHECK(std::string(h["status"].GetString()) == "ok");
  CHECK(std::string(h["version"].GetString()).find('.') != std::string::npos);
  std::string commit = h["commit"].GetString();
  CHECK(!commit.empty());
  auto metrics = s.get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("gridmap_build_info{version=\"" + std::string(h["version"].GetString()) +
                          "\",commit=\"" + commit + "\"} 1") != std::string::npos);
}

TEST_CASE(
    "CORS is off unless an origin is named, then that origin gets its answers and others none",
    "[engines]") {
  test::RoleServer s;
  const std::string portal = "https://portal.example.gov.cn";
  auto auth = [&](std::map<std::string, std::string> h) {
    h["Authorization"] = "Bearer " + s.tokens.at("dispatcher");
    return h;
  };
  auto preflight_headers = std::map<std::string, std::string>{
      {"Origin", portal},
      {"Access-Control-Request-Method", "PATCH"},
      {"Access-Control-Request-Headers", "authorization, if-match"}};
  // Off by default: no header a browser would honour, and preflights are refused.
  auto plain =
      test::http(s.server->port(), "GET", "/api/v1/petitions", "", auth({{"Origin", portal}}));
  CHECK(plain.status == 200);
  CHECK(plain.headers.count("access-control-allow-origin") == 0);
  auto refused =
      test::http(s.server->port(), "OPTIONS", "/api/v1/petitions/1", "", preflight_headers);
  test::check_problem(refused, 403, "cross_origin");

  s.server.reset();
  s.server = std::make_unique<test::ServerProcess>(
      s.db,
      s.serve_with({"--cors-origin", "https://Portal.example.gov.cn/,https://other.example"}));
  auto pre = test::http(s.server->port(), "OPTIONS", "/api/v1/petitions/1", "", preflight_headers);
  CHECK(pre.status == 204);
  CHECK(header(pre, "access-control-allow-origin") == portal);
  CHECK(header(pre, "access-control-allow-credentials") == "true");
  CHECK(header(pre, "access-control-allow-methods").find("PATCH") != std::string::npos);
  CHECK(header(pre, "access-control-allow-headers").find("If-Match") != std::string::npos);
  auto get = test::http(s.server->port(), "GET", "/api/v1/petitions", "",
                        auth({{"Origin", portal}, {"Accept-Encoding", "gzip"}}));
  CHECK(get.status == 200);
  CHECK(header(get, "access-control-allow-origin") == portal);
  CHECK(header(get, "access-control-expose-headers").find("ETag") != std::string::npos);
  CHECK(header(get, "vary").find("Origin") != std::string::npos);
  CHECK(header(get, "vary").find("Accept-Encoding") != std::string::npos);
  auto evil = test::http(s.server->port(), "GET", "/api/v1/petitions", "",
                         auth({{"Origin", "https://evil.example"}}));
  CHECK(evil.headers.count("access-control-allow-origin") == 0);
  auto evil_pre =
      test::http(s.server->port(), "OPTIONS", "/api/v1/petitions/1", "",
                 {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "DELETE"}});
  test::check_problem(evil_pre, 403, "cross_origin");
  // Glyphs are public: any page may draw labels with them.
  auto glyphs = test::http(s.server->port(), "GET", "/fonts/Noto%20Sans%20Regular/0-255.pbf", "",
                           {{"Origin", "https://evil.example"}});
  CHECK(header(glyphs, "access-control-allow-origin") == "*");
}

TEST_CASE("problems have absolute, documented types and an instance", "[engines]") {
  test::RoleServer s;
  std::string base = "http://127.0.0.1:" + std::to_string(s.server->port());
  auto missing = s.get("/api/v1/petitions/999999999");
  test::check_problem(missing, 404, "not_found");
  auto p = test::json(missing);
  CHECK(std::string(p["type"].GetString()) == base + "/problems/not_found");
  REQUIRE(p.HasMember("instance"));
  CHECK(std::string(p["instance"].GetString()) == "/api/v1/petitions/999999999");
  // The instance is the path only: a query string (which may hold personal data) stays out.
  auto bad = s.get("/api/v1/petitions?limit=zero&phone=13800138000");
  test::check_problem(bad, 400, "invalid_input");
  CHECK(std::string(test::json(bad)["instance"].GetString()) == "/api/v1/petitions");
  // The type dereferences to its documentation, without credentials; so does the list.
  auto doc = test::http(s.server->port(), "GET", "/problems/not_found");
  REQUIRE(doc.status == 200);
  auto d = test::json(doc);
  CHECK(std::string(d["type"].GetString()) == base + "/problems/not_found");
  CHECK(d["status"].GetInt() == 404);
  CHECK(std::string(d["description"].GetString()).size() > 20);
  auto all = test::json(test::http(s.server->port(), "GET", "/problems"));
  REQUIRE(all["problem_types"].IsArray());
  bool found_conflict = false;
  for (auto& t : all["problem_types"].GetArray())
    found_conflict |= std::string(t["name"].GetString()) == "conflict";
  CHECK(found_conflict);
  test::check_problem(test::http(s.server->port(), "GET", "/problems/no_such_thing"), 404,
                      "not_found");
}

TEST_CASE("every answer has a request id, in X-Request-Id and in the access log line",
          "[engines]") {
  test::RoleServer s;
  auto first = s.get("/api/v1/grids?limit=1");
  std::string id = header(first, "x-request-id");
  CHECK(id.size() == 16);
  CHECK(header(s.get("/api/v1/grids?limit=1"), "x-request-id") != id);
  // A proxy's id is kept; a malformed one is replaced.
  CHECK(header(s.get("/healthz", "admin", {{"X-Request-Id", "edge-42.a_b"}}), "x-request-id") ==
        "edge-42.a_b");
  std::string forged =
      header(s.get("/healthz", "admin", {{"X-Request-Id", "a b\"c"}}), "x-request-id");
  CHECK(forged.size() == 16);
  CHECK(forged.find('"') == std::string::npos);
  // Even a refusal by the transport (a malformed request line) has one.
  auto raw = test::raw_exchange(s.server->port(), "GARBAGE\r\n\r\n");
  CHECK(raw.find("X-Request-Id: ") != std::string::npos);
  // The access log, as text: the id, the quoted path, the route and who asked; never the
  // query string.
  auto marked = s.get("/api/v1/grids?limit=1&secret_phone=13800138000", "dispatcher",
                      {{"X-Request-Id", "trace-text-1"}});
  CHECK(marked.status == 400);
  std::string log = s.server->log();
  size_t at = log.find(" trace-text-1 ");
  REQUIRE(at != std::string::npos);
  std::string line =
      log.substr(log.rfind('\n', at) + 1, log.find('\n', at) - log.rfind('\n', at) - 1);
  CHECK(line.find(" warn trace-text-1 GET \"/api/v1/grids\" 400 ") != std::string::npos);
  CHECK(line.find(" grids.list user=") != std::string::npos);
  CHECK(line.find("user=-") == std::string::npos);
  CHECK(log.find("13800138000") == std::string::npos);
  CHECK(line.substr(0, 2) == "20");  // an RFC 3339 time first
  // As JSON, one object per line.
  s.server.reset();
  test::ServerProcess json_server(s.db, s.serve_with({"--log-format", "json"}));
  auto j = test::http(
      json_server.port(), "GET", "/api/v1/grids?limit=1", "",
      {{"Authorization", "Bearer " + s.tokens["planner"]}, {"X-Request-Id", "trace-json-1"}});
  CHECK(j.status == 200);
  std::string jlog = json_server.log();
  size_t jat = jlog.find("trace-json-1");
  REQUIRE(jat != std::string::npos);
  size_t start = jlog.rfind('\n', jat);
  start = start == std::string::npos ? 0 : start + 1;
  rapidjson::Document entry;
  entry.Parse(jlog.substr(start, jlog.find('\n', jat) - start).c_str());
  REQUIRE(entry.IsObject());
  CHECK(std::string(entry["level"].GetString()) == "info");
  CHECK(std::string(entry["method"].GetString()) == "GET");
  CHECK(std::string(entry["path"].GetString()) == "/api/v1/grids");
  CHECK(entry["status"].GetInt() == 200);
  CHECK(entry["bytes"].GetUint64() > 0);
  CHECK(entry["duration_ms"].GetDouble() >= 0);
  CHECK(std::string(entry["route"].GetString()) == "grids.list");
  CHECK(entry["user"].IsString());
  CHECK(std::string(entry["ts"].GetString()).back() == 'Z');
}

TEST_CASE("an access log line cannot be split or forged by the path") {
  std::string path = "/x\" 200 0 0.00ms web user=1\n2026-01-01T00:00:00.000Z info forged";
  std::string method = "GET", id = "abc", user = "", route = "-";
  server::AccessRecord a{method, path, 404, 10, 1.5, id, user, route};
  auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796630400123));
  std::string text = server::access_line(a, server::LogFormat::text, at);
  CHECK(text.find('\n') == text.size() - 1);
  CHECK(text.rfind("2026-12-07T08:00:00.123Z warn abc GET \"/x\\\" 200", 0) == 0);
  CHECK(text.find("user=-") != std::string::npos);
  std::string json = server::access_line(a, server::LogFormat::json, at);
  CHECK(json.find('\n') == json.size() - 1);
  rapidjson::Document d;
  d.Parse(json.c_str());
  REQUIRE(d.IsObject());
  CHECK(std::string(d["path"].GetString()) == path);
  CHECK(d["user"].IsNull());
  CHECK_THROWS(server::parse_log_format("xml"));
}

TEST_CASE("GeoJSON answers are application/geo+json", "[engines]") {
  test::RoleServer s;
  CHECK(header(s.get("/api/v1/grids?limit=2"), "content-type") == "application/geo+json");
  CHECK(header(s.get("/api/v1/grids/" + std::string(test::RoleServer::kFirstGrid)),
               "content-type") == "application/geo+json");
  CHECK(header(s.get("/api/v1/petitions?limit=2", "dispatcher"), "content-type") ==
        "application/geo+json");
  CHECK(header(s.get("/api/v1/stats?level=grid", "planner"), "content-type") == "application/json");
}

namespace {

// The text exposition format as Prometheus reads it: every sample's family has HELP and TYPE
// lines first, a counter's name ends in _total, values are numbers.
std::map<std::string, double> check_exposition(const std::string& text) {
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      std::string type = line.substr(line.rfind(' ') + 1);
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      CHECK(types.count(name) == 0);  // one family, one TYPE line
      types[name] = type;
      if (type == "counter") CHECK(name.size() > 6);
      if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
      continue;
    }
    REQUIRE(line[0] != '#');
    std::string name = line.substr(0, line.find_first_of("{ "));
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!types.count(family) && family.size() > strlen(suffix) &&
          family.substr(family.size() - strlen(suffix)) == suffix)
        family = family.substr(0, family.size() - strlen(suffix));
    CHECK(types.count(family) == 1);
    CHECK(helped.count(family) == 1);
    std::string value = line.substr(line.rfind(' ') + 1);
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    CHECK(*end == '\0');
    samples[line.substr(0, line.rfind(' '))] = v;
  }
  return samples;
}

}  // namespace

TEST_CASE(
    "/metrics: counters end in _total, values at full precision, the process and the database "
    "measured",
    "[engines]") {
  test::RoleServer s;
  s.get("/tiles/grids/12/3319/1538.mvt");
  s.get("/tiles/grids/12/3319/1538.mvt");
  auto m = s.get("/metrics");
  REQUIRE(m.status == 200);
  auto samples = check_exposition(m.body);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds", "gridmap_db_bytes", "gridmap_db_wal_bytes",
                           "gridmap_db_busy_waits_total", "gridmap_tile_cache_hits_total",
                           "gridmap_tile_cache_misses_total", "gridmap_tile_cache_bytes",
                           "gridmap_heat_cache_bytes"}) {
    INFO(name);
    CHECK(samples.count(name) == 1);
  }
  CHECK(samples["process_resident_memory_bytes"] > 1e6);
  CHECK(samples["process_open_fds"] >= 3);
  CHECK(samples["gridmap_db_bytes"] > 1e5);
  CHECK(samples["gridmap_tile_cache_hits_total"] >= 1);
  CHECK(samples["process_start_time_seconds"] > 1.7e9);
  // Full precision: a latency sum is not rounded to microseconds.
  bool precise = false;
  for (auto& [k, v] : samples)
    if (k.rfind("gridmap_request_seconds_sum", 0) == 0 && v > 0 &&
        std::abs(v * 1e6 - std::round(v * 1e6)) > 1e-9)
      precise = true;
  CHECK(precise);
}

TEST_CASE("a local Prometheus may scrape without a token only when the server allows it",
          "[engines]") {
  test::RoleServer s;
  CHECK(test::http(s.server->port(), "GET", "/metrics").status == 401);
  s.server.reset();
  test::ServerProcess open(s.db, s.serve_with({"--metrics-from-loopback"}));
  auto m = test::http(open.port(), "GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.body.find("gridmap_requests_total") != std::string::npos);
  CHECK(test::http(open.port(), "GET", "/api/v1/petitions").status == 401);  // only /metrics
  // A token, when sent, is still checked (a bad one is refused, not ignored).
  CHECK(test::http(open.port(), "GET", "/metrics", "", {{"Authorization", "Bearer nope"}}).status ==
        401);
}

TEST_CASE("Brotli when the client takes it (preferred to gzip), with its own entity tag",
          "[engines]") {
  test::RoleServer s;
  const std::string item = "/api/v1/communities/150102001001";
  auto plain = s.get(item);
  REQUIRE(plain.status == 200);
  auto br = s.get(item, "admin", {{"Accept-Encoding", "gzip, deflate, br"}});
  REQUIRE(br.status == 200);
  CHECK(header(br, "content-encoding") == "br");
  CHECK(header(br, "vary") == "Accept-Encoding");
  std::string unpacked(plain.body.size() + 16, '\0');
  size_t size = unpacked.size();
  REQUIRE(BrotliDecoderDecompress(br.body.size(), reinterpret_cast<const uint8_t*>(br.body.data()),
                                  &size, reinterpret_cast<uint8_t*>(unpacked.data())) ==
          BROTLI_DECODER_RESULT_SUCCESS);
  unpacked.resize(size);
  CHECK(unpacked == plain.body);
  auto gz = s.get(item, "admin", {{"Accept-Encoding", "gzip"}});
  CHECK(br.body.size() < gz.body.size());
  std::string tag = header(plain, "etag"), br_tag = header(br, "etag");
  CHECK(br_tag == tag.substr(0, tag.size() - 1) + "-br\"");
  CHECK(s.get(item, "admin", {{"Accept-Encoding", "br"}, {"If-None-Match", br_tag}}).status == 304);
  // Refused (q=0, or 0.0), br gives way to gzip; nothing to gzip's refusal either.
  CHECK(header(s.get(item, "admin", {{"Accept-Encoding", "br;q=0, gzip"}}), "content-encoding") ==
        "gzip");
  CHECK(
      header(s.get(item, "admin", {{"Accept-Encoding", "br;q=0.0, gzip;q=0"}}), "content-encoding")
          .empty());
  CHECK(header(s.get(item, "admin", {{"Accept-Encoding", "gzip;q=0.5"}}), "content-encoding") ==
        "gzip");
}
