// Ids as their own types, so that a worker's id cannot be passed where a petition's is
// expected, nor a grid code where any other string is. Plain values: cheap to copy, ordered,
// hashable (std::hash), no conversion from or to the raw value but through `.value`.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace gridmap {

struct WorkerId {
  int64_t value = 0;
  friend auto operator<=>(const WorkerId&, const WorkerId&) = default;
};

struct PetitionId {
  int64_t value = 0;
  friend auto operator<=>(const PetitionId&, const PetitionId&) = default;
};

// A grid's code in the national scheme (as stored: data/ checks the format).
struct GridCode {
  std::string value;
  friend auto operator<=>(const GridCode&, const GridCode&) = default;
};

}  // namespace gridmap

template <>
struct std::hash<gridmap::WorkerId> {
  size_t operator()(gridmap::WorkerId id) const noexcept { return std::hash<int64_t>{}(id.value); }
};
template <>
struct std::hash<gridmap::PetitionId> {
  size_t operator()(gridmap::PetitionId id) const noexcept {
    return std::hash<int64_t>{}(id.value);
  }
};
template <>
struct std::hash<gridmap::GridCode> {
  size_t operator()(const gridmap::GridCode& code) const noexcept {
    return std::hash<std::string>{}(code.value);
  }
};
