// Small text helpers shared by every library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gridmap {

// ASCII letters in lower case; every other byte (UTF-8 included) as it is.
std::string ascii_lower(std::string_view s);

// The parts of `s` between `sep`s, empty ones included ("a,,b" -> a, "", b; "" -> one "").
std::vector<std::string_view> split(std::string_view s, char sep);

}  // namespace gridmap
