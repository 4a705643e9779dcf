// core/ids.hpp (header-only; tested here until core/ has a test executable of its own).
#include "core/ids.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

using namespace gridmap;

// Mixing ids up does not compile.
static_assert(!std::is_convertible_v<int64_t, WorkerId>);
static_assert(!std::is_convertible_v<WorkerId, int64_t>);
static_assert(!std::is_constructible_v<PetitionId, WorkerId>);
static_assert(!std::is_constructible_v<WorkerId, PetitionId>);
static_assert(!std::is_convertible_v<std::string, GridCode>);
static_assert(!std::is_convertible_v<GridCode, std::string>);
// Plain values, as cheap as the raw ones.
static_assert(std::is_trivially_copyable_v<WorkerId> && sizeof(WorkerId) == sizeof(int64_t));
static_assert(std::is_trivially_copyable_v<PetitionId> && sizeof(PetitionId) == sizeof(int64_t));

TEST_CASE("ids compare and order by their value") {
  CHECK(WorkerId{7} == WorkerId{7});
  CHECK(WorkerId{7} != WorkerId{8});
  CHECK(WorkerId{-3} < WorkerId{2});
  CHECK(PetitionId{10} > PetitionId{9});
  CHECK(PetitionId{} == PetitionId{0});
  CHECK(GridCode{"150102001001"} == GridCode{"150102001001"});
  CHECK(GridCode{"150102001001"} != GridCode{"150102001002"});
  CHECK(GridCode{"150102001001"} < GridCode{"150102001002"});
  CHECK(GridCode{"1501"} < GridCode{"150102"});  // a prefix first, as strings order

  std::vector<WorkerId> ids{{5}, {-1}, {3}, {5}};
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<WorkerId>{{-1}, {3}, {5}, {5}});
}

TEST_CASE("equal ids hash alike and serve as keys of hashed and ordered maps") {
  CHECK(std::hash<WorkerId>{}(WorkerId{42}) == std::hash<WorkerId>{}(WorkerId{42}));
  CHECK(std::hash<PetitionId>{}(PetitionId{42}) == std::hash<PetitionId>{}(PetitionId{42}));
  CHECK(std::hash<GridCode>{}(GridCode{"150102"}) ==
        std::hash<GridCode>{}(GridCode{std::string("1501") + "02"}));
  // Distinct values spread (a constant hash would still be correct, but useless).
  std::unordered_set<size_t> hashes;
  for (int64_t i = 0; i < 1000; ++i) hashes.insert(std::hash<WorkerId>{}(WorkerId{i}));
  CHECK(hashes.size() == 1000);

  std::unordered_map<WorkerId, int> slots{{WorkerId{1}, 10}, {WorkerId{2}, 20}};
  slots[WorkerId{1}] = 30;
  CHECK(slots.size() == 2);
  CHECK(slots.at(WorkerId{1}) == 30);
  CHECK(slots.count(WorkerId{3}) == 0);

  std::unordered_map<GridCode, int> grids;
  grids[GridCode{"150102001001"}] = 1;
  grids[GridCode{"150102001001"}] += 1;
  grids[GridCode{"150102001002"}] = 5;
  CHECK(grids.size() == 2);
  CHECK(grids.at(GridCode{"150102001001"}) == 2);

  std::map<PetitionId, int> ordered{{PetitionId{9}, 0}, {PetitionId{1}, 0}, {PetitionId{4}, 0}};
  CHECK(ordered.begin()->first == PetitionId{1});
  CHECK(ordered.rbegin()->first == PetitionId{9});
}
