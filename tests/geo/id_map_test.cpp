#include "geo/detail/id_map.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <random>
#include <unordered_map>
#include <vector>

using gridmap::detail::IdMap;

namespace {

// Inserts, as the worker index does: room first, then the id.
template <int kBits>
void put(IdMap<kBits>& m, int64_t id, int64_t where) {
  m.reserve_one();
  m.insert(id, where);
}

}  // namespace

TEST_CASE("an id map finds what was inserted and nothing else") {
  IdMap<6> m;
  CHECK(m.find(1) == nullptr);  // empty: no table yet
  put(m, 1, 10);
  put(m, -5, 0);
  put(m, INT64_MAX, 7);
  REQUIRE(m.find(1) != nullptr);
  CHECK(*m.find(1) == 10);
  CHECK(*m.find(-5) == 0);
  CHECK(*m.find(INT64_MAX) == 7);
  CHECK(m.find(2) == nullptr);
  CHECK(m.find(0) == nullptr);  // 0 is also what an empty bucket's id holds
  CHECK(m.size() == 3);
  // The place can be changed through find().
  *m.find(1) = 11;
  CHECK(*m.find(1) == 11);
}

TEST_CASE("an id map erases with backward shifts: every other id stays findable") {
  // Many ids in a small table make long probe runs that wrap around the end; each erase
  // must keep the rest of its run reachable.
  IdMap<6> m;
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 500; ++i) ids.push_back(i * 7919 - 1000);
  for (size_t i = 0; i < ids.size(); ++i) put(m, ids[i], static_cast<int64_t>(i));
  for (size_t gone = 0; gone < ids.size(); gone += 3) {
    m.erase(ids[gone]);
    CHECK(m.find(ids[gone]) == nullptr);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO("id " << ids[i]);
    if (i % 3 == 0) {
      CHECK(m.find(ids[i]) == nullptr);
    } else {
      REQUIRE(m.find(ids[i]) != nullptr);
      CHECK(*m.find(ids[i]) == static_cast<int64_t>(i));
    }
  }
  CHECK(m.size() == ids.size() - (ids.size() + 2) / 3);
}

TEST_CASE("an id map agrees with std::unordered_map under random inserts and erases") {
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  IdMap<6> m;
  std::unordered_map<int64_t, int64_t> ref;
  // Ids from a small range, so that the same ids come back after being erased.
  std::uniform_int_distribution<int64_t> pick(-2000, 2000);
  for (int step = 0; step < 200000; ++step) {
    int64_t id = pick(rng);
    auto it = ref.find(id);
    int64_t* got = m.find(id);
    REQUIRE((got != nullptr) == (it != ref.end()));
    if (got) REQUIRE(*got == it->second);
    switch (rng() % 3) {
      case 0:
      case 1:
        if (it == ref.end()) {
          auto where = static_cast<int64_t>(rng() % 1000000);
          put(m, id, where);
          ref.emplace(id, where);
        } else {
          *got = it->second = static_cast<int64_t>(rng() % 1000000);
        }
        break;
      default:
        if (it != ref.end()) {
          m.erase(id);
          ref.erase(it);
        }
    }
    REQUIRE(m.size() == ref.size());
  }
  for (int64_t id = -2000; id <= 2000; ++id) {
    auto it = ref.find(id);
    int64_t* got = m.find(id);
    REQUIRE((got != nullptr) == (it != ref.end()));
    if (got) CHECK(*got == it->second);
  }
}

TEST_CASE("ids one bit apart hash far apart") {
  // The stripe comes from the top bits of the hash and the table position from the bits
  // below: consecutive ids must not crowd one stripe or one probe run.
  using gridmap::detail::mix;
  for (int b = 0; b < 64; ++b) {
    int64_t a = 123456789, c = static_cast<int64_t>(static_cast<uint64_t>(a) ^ (uint64_t{1} << b));
    INFO("bit " << b);
    CHECK(std::popcount(mix(a) ^ mix(c)) > 16);
  }
}
