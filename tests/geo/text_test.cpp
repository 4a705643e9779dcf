// core/text: the small helpers every library shares.
#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

using namespace gridmap;
using Parts = std::vector<std::string_view>;

TEST_CASE("split keeps every part between separators, empty ones too") {
  CHECK(split("a,b,c", ',') == Parts{"a", "b", "c"});
  CHECK(split("a,,b", ',') == Parts{"a", "", "b"});
  CHECK(split(",a,", ',') == Parts{"", "a", ""});
  CHECK(split("", ',') == Parts{""});
  CHECK(split("no separator", ',') == Parts{"no separator"});
}

TEST_CASE("ascii_lower lowers ASCII letters only") {
  CHECK(ascii_lower("EPSG:4490 GeoJSON") == "epsg:4490 geojson");
  CHECK(ascii_lower("网格ÄB") == "网格Äb");
}
