#include "server/http/request_reader.hpp"

#include <catch2/catch.hpp>

using namespace gridmap::server;

namespace {

ServerOptions limits(size_t header, size_t body) {
  ServerOptions o;
  o.max_header_bytes = header;
  o.max_body_bytes = body;
  return o;
}

}  // namespace

TEST_CASE("a request is read with its path decoded, its query parsed and header names in lower case") {
  std::string bytes =
      "POST /api/v1/grids/%E7%BD%91%E6%A0%BC?bbox=1%2C2&q=a+b&q=c HTTP/1.1\r\n"
      "Host: x\r\nX-Thing: Value\r\nContent-Length: 4\r\n\r\nbody";
  ReadResult r = read_request(bytes, ServerOptions{});
  REQUIRE(r.status == ReadStatus::complete);
  CHECK(r.consumed == bytes.size());
  CHECK(r.keep_alive);
  CHECK(r.request.method == "POST");
  CHECK(r.request.path == "/api/v1/grids/网格");
  CHECK(r.request.param("bbox") == "1,2");
  CHECK(r.request.query.count("q") == 2);
  CHECK(r.request.query.find("q")->second == "a b");
  CHECK(r.request.header("x-thing") == "Value");
  CHECK(r.request.body == "body");
}

TEST_CASE("pipelined requests are read one after another, chunked bodies joined") {
  std::string first = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string second =
      "PUT /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  std::string bytes = first + second;
  ReadResult a = read_request(bytes, ServerOptions{});
  REQUIRE(a.status == ReadStatus::complete);
  CHECK(a.consumed == first.size());
  CHECK(a.request.path == "/healthz");
  ReadResult b = read_request(std::string_view(bytes).substr(a.consumed), ServerOptions{});
  REQUIRE(b.status == ReadStatus::complete);
  CHECK(b.request.body == "abcde");
  CHECK_FALSE(b.keep_alive);
}

TEST_CASE("a header over the limit is refused, a body over the limit too, declared or sent") {
  std::string big_header = "GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  CHECK(read_request(big_header, limits(100, 1000)).status == ReadStatus::header_too_large);
  // Still too large when the header has not ended yet.
  CHECK(read_request(big_header.substr(0, 150), limits(100, 1000)).status ==
        ReadStatus::header_too_large);
  CHECK(read_request(big_header, limits(1000, 1000)).status == ReadStatus::complete);

  std::string declared = "POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n";
  CHECK(read_request(declared, limits(1000, 1000)).status == ReadStatus::body_too_large);
  std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "64\r\n" + std::string(100, 'b') + "\r\n";
  CHECK(read_request(chunked, limits(1000, 1000)).status == ReadStatus::body_too_large);
}

TEST_CASE("a cut request is incomplete, while garbage and two Content-Length headers are malformed") {
  std::string full = "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
  for (size_t n : {size_t{0}, size_t{5}, size_t{30}, full.size() - 1})
    CHECK(read_request(full.substr(0, n), ServerOptions{}).status == ReadStatus::incomplete);
  CHECK(read_request("\x01\x02 nonsense\r\n\r\n", ServerOptions{}).status ==
        ReadStatus::malformed);
  CHECK(read_request("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", ServerOptions{}).status ==
        ReadStatus::malformed);
  CHECK(read_request("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab",
                     ServerOptions{})
            .status == ReadStatus::malformed);
}
