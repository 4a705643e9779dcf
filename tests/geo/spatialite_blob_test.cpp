// The SpatiaLite BLOB header, read as the bulk loader and the tile path read it.
#include "geo/spatialite_blob.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

using namespace gridmap;

namespace {

// A point BLOB as SpatiaLite writes it, in either byte order.
std::string point_blob(double x, double y, bool little, int32_t srid = 4326) {
  std::string b(60, '\0');
  auto put = [&](size_t at, const void* v, size_t n) {
    unsigned char bytes[8];
    std::memcpy(bytes, v, n);
    if (little != (std::endian::native == std::endian::little)) std::reverse(bytes, bytes + n);
    std::memcpy(b.data() + at, bytes, n);
  };
  b[0] = 0;
  b[1] = little ? 1 : 0;
  put(2, &srid, 4);
  double box[4] = {x, y, x, y};
  for (int i = 0; i < 4; ++i) put(6 + 8 * static_cast<size_t>(i), &box[i], 8);
  b[38] = 0x7C;
  uint32_t cls = 1;
  put(39, &cls, 4);
  put(43, &x, 8);
  put(51, &y, 8);
  b[59] = static_cast<char>(0xFE);
  return b;
}

}  // namespace

TEST_CASE("a SpatiaLite BLOB's header gives its box, SRID and class in either byte order") {
  for (bool little : {true, false}) {
    auto h = read_blob_header(point_blob(111.7, 40.8, little));
    REQUIRE(h);
    CHECK(h->little == little);
    CHECK(h->srid == 4326);
    CHECK(h->geometry_class == 1);
    CHECK(h->box.min_lon == 111.7);
    CHECK(h->box.max_lat == 40.8);
  }
}

TEST_CASE("bytes that are not a SpatiaLite BLOB have no header") {
  std::string good = point_blob(1, 2, true);
  CHECK_FALSE(read_blob_header(""));
  CHECK_FALSE(read_blob_header(good.substr(0, 40)));
  std::string no_start = good, no_marker = good, no_end = good, bad_order = good;
  no_start[0] = 1;
  no_marker[38] = 0;
  no_end.back() = 0;
  bad_order[1] = 7;
  for (const std::string& b : {no_start, no_marker, no_end, bad_order})
    CHECK_FALSE(read_blob_header(b));
  CHECK_FALSE(read_blob_header(point_blob(std::nan(""), 2, true)));
}
