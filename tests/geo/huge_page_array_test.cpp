#include "geo/detail/huge_page_array.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using gridmap::detail::HugePageArray;

namespace {

struct alignas(64) Line {
  uint64_t words[8];
};

bool aligned(const void* p, size_t a) {
  return reinterpret_cast<uintptr_t>(p) % a == 0;
}

}  // namespace

TEST_CASE("a huge-page array holds n value-initialised elements that keep what is written") {
  HugePageArray<Line> small(10);
  CHECK(small.size() == 10);
  CHECK(aligned(small.data(), alignof(Line)));
  for (size_t i = 0; i < small.size(); ++i)
    for (uint64_t w : small[i].words) REQUIRE(w == 0);

  // 4 MiB: large enough for huge pages.
  HugePageArray<Line> big(size_t{1} << 16);
  CHECK(big.size() == size_t{1} << 16);
  for (size_t i = 0; i < big.size(); ++i) REQUIRE(big[i].words[7] == 0);
  for (size_t i = 0; i < big.size(); ++i) big[i].words[i % 8] = i;
  for (size_t i = 0; i < big.size(); ++i) REQUIRE(big[i].words[i % 8] == i);
  const HugePageArray<Line>& view = big;
  CHECK(view[12345].words[12345 % 8] == 12345);
}

TEST_CASE("a huge-page array of 2 MiB or more starts on a 2 MiB boundary") {
  // A huge page maps a 2 MiB-aligned range: an array that starts elsewhere spans one more.
  constexpr size_t huge = size_t{2} << 20;
  HugePageArray<Line> exact(huge / sizeof(Line));
  CHECK(aligned(exact.data(), huge));
  HugePageArray<Line> odd(huge / sizeof(Line) + 3);  // not a whole number of huge pages
  CHECK(aligned(odd.data(), huge));
  CHECK(odd.size() == huge / sizeof(Line) + 3);
  // Below 2 MiB the element's own alignment is enough.
  HugePageArray<uint32_t> words(1000);
  CHECK(aligned(words.data(), alignof(uint32_t)));
  CHECK(words[999] == 0);
}
