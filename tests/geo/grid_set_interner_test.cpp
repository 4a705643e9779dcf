#include "geo/detail/grid_set_interner.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

using gridmap::detail::GridSetInterner;

TEST_CASE("the same set of grids gets the same number, another set another one") {
  GridSetInterner sets;
  uint32_t a = sets.intern({3, 1, 4});
  uint32_t b = sets.intern({5, 9});
  CHECK(a != GridSetInterner::kNone);
  CHECK(b != GridSetInterner::kNone);
  CHECK(a != b);
  CHECK(sets.intern({3, 1, 4}) == a);
  CHECK(sets.intern(std::vector<uint32_t>{5, 9}) == b);
  // A sequence: another order is another set (callers keep their order).
  CHECK(sets.intern({1, 3, 4}) != a);
  CHECK(sets.intern({}) == GridSetInterner::kNone);
}

TEST_CASE("an interned set reads back by its number, and membership answers from it") {
  GridSetInterner sets;
  uint32_t a = sets.intern({7, 2});
  REQUIRE(sets.get(a) != nullptr);
  CHECK(*sets.get(a) == std::vector<uint32_t>{7, 2});
  CHECK(sets.contains(a, 7));
  CHECK(sets.contains(a, 2));
  CHECK_FALSE(sets.contains(a, 3));
  // The empty set, a number not handed out yet and one beyond any there can be.
  CHECK(sets.get(GridSetInterner::kNone) == nullptr);
  CHECK_FALSE(sets.contains(GridSetInterner::kNone, 0));
  CHECK(sets.get(a + 1) == nullptr);
  CHECK(sets.get(a + 5000) == nullptr);  // in a chunk not allocated yet
  CHECK(sets.get(uint64_t{1} << 32) == nullptr);
  CHECK_FALSE(sets.contains(uint64_t{1} << 40, 7));
}

TEST_CASE("numbers stay valid across chunks, and earlier sets stay where they were") {
  GridSetInterner sets;
  std::vector<uint32_t> numbers;
  for (uint32_t i = 0; i < 10000; ++i) numbers.push_back(sets.intern({i, i + 1}));
  std::set<uint32_t> distinct(numbers.begin(), numbers.end());
  CHECK(distinct.size() == numbers.size());
  const std::vector<uint32_t>* first = sets.get(numbers[0]);
  for (uint32_t i = 0; i < 10000; i += 37) {
    INFO("set " << i);
    REQUIRE(sets.get(numbers[i]) != nullptr);
    CHECK(*sets.get(numbers[i]) == std::vector<uint32_t>{i, i + 1});
    CHECK(sets.intern({i, i + 1}) == numbers[i]);
  }
  CHECK(sets.get(numbers[0]) == first);  // never moved: readers hold no lock
}

TEST_CASE("threads interning the same sets agree on the numbers while others read") {
  GridSetInterner sets;
  constexpr uint32_t kSets = 2000;
  std::vector<std::vector<uint32_t>> got(4, std::vector<uint32_t>(kSets));
  std::atomic<bool> done{false};
  std::atomic<size_t> bad_reads{0};
  std::thread reader([&] {
    // Whatever a reader finds under a number is one of the sets, whole.
    while (!done.load())
      for (uint64_t n = 1; n <= kSets; ++n)
        if (const std::vector<uint32_t>* g = sets.get(n))
          if (g->size() != 2 || (*g)[1] != (*g)[0] * 3) ++bad_reads;
  });
  std::vector<std::thread> writers;
  for (size_t t = 0; t < got.size(); ++t)
    writers.emplace_back([&, t] {
      for (uint32_t i = 0; i < kSets; ++i) {
        uint32_t k = t % 2 ? kSets - 1 - i : i;  // half of them backwards
        got[t][k] = sets.intern({k, k * 3});
      }
    });
  for (std::thread& w : writers) w.join();
  done = true;
  reader.join();
  CHECK(bad_reads.load() == 0);
  for (size_t t = 1; t < got.size(); ++t) CHECK(got[t] == got[0]);
  std::set<uint32_t> distinct(got[0].begin(), got[0].end());
  CHECK(distinct.size() == kSets);
  for (uint32_t k = 0; k < kSets; ++k)
    REQUIRE(*sets.get(got[0][k]) == std::vector<uint32_t>{k, k * 3});
}
