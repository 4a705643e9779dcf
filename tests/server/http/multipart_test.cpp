#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "server/http/multipart.hpp"

using namespace gridmap;
using server::multipart_boundary;
using server::parse_multipart;

TEST_CASE("multipart: the boundary comes from the Content-Type, quoted or not") {
  CHECK(multipart_boundary("multipart/form-data; boundary=abc") == "abc");
  CHECK(multipart_boundary("Multipart/Form-Data;boundary=\"a b;c\"") == "a b;c");
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=x1") == "x1");
  CHECK(!multipart_boundary("multipart/form-data"));
  CHECK(!multipart_boundary("multipart/form-data; boundary="));
  CHECK(!multipart_boundary("image/png; boundary=abc"));
  CHECK(!multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
}

TEST_CASE("multipart: a browser's form gives its parts, file names and types") {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\nafter\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"现场 1.jpg\"\r\n"
      "Content-Type: image/JPEG\r\n\r\n\xff\xd8\r\n--X not the end\xff\xd9\r\n--XyZ--\r\n";
  auto parts = parse_multipart(body, "XyZ");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "stage");
  CHECK(parts[0].body == "after");
  CHECK(!parts[0].filename);
  CHECK(parts[1].name == "file");
  CHECK(parts[1].filename == "现场 1.jpg");
  CHECK(parts[1].content_type == "image/jpeg");
  CHECK(parts[1].body == "\xff\xd8\r\n--X not the end\xff\xd9");
}

TEST_CASE("multipart: malformed forms are refused with a reason") {
  auto refused = [](const std::string& body) {
    try {
      parse_multipart(body, "b");
    } catch (const Error& e) {
      return e.kind() == ErrorKind::invalid_input;
    }
    return false;
  };
  CHECK(refused(""));
  CHECK(refused("no boundary here"));
  CHECK(refused("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nnever closed"));
  CHECK(refused("--b\r\n\r\nbody without headers\r\n--b--"));
  CHECK(refused("--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--b--"));
  CHECK(refused("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"));
  CHECK(refused("--bgarbage"));
  std::string many;
  for (int i = 0; i < 17; ++i)
    many += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n";
  CHECK(refused(many + "--b--"));
  // An empty form (only the closing delimiter) has no parts.
  CHECK(parse_multipart("--b--\r\n", "b").empty());
}
