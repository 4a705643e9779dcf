// HTTP conventions every client expects: JSON compressed when asked (with Vary and an
// entity tag per coding), WWW-Authenticate on 401, HEAD in Allow, no Content-Length on a
// 304, the build's version in /healthz and /metrics.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <string>

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

TEST_CASE(
    "JSON answers are gzip-compressed when the client takes it, with Vary and their own ETag") {
  test::RoleServer s;
  const std::string item = "/api/v1/communities/150102001001";  // a community's boundary
  auto plain = s.get(item);
  REQUIRE(plain.status == 200);
  REQUIRE(plain.body.size() >= 1024);  // worth compressing
  CHECK(header(plain, "content-encoding").empty());
  CHECK(header(plain, "vary") == "Accept-Encoding");
  auto packed = s.get(item, "admin", {{"Accept-Encoding", "gzip, deflate, br"}});
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

TEST_CASE("a 401 says how to authenticate, a 405 lists HEAD beside GET") {
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

TEST_CASE("/healthz and /metrics name the build") {
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

TEST_CASE("CORS is off unless an origin is named, then that origin gets its answers and others none") {
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
      s.db, std::vector<std::string>{"--cors-origin",
                                     "https://Portal.example.gov.cn/,https://other.example"});
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
