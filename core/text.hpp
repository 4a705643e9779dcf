// Small text helpers shared by every library.
#pragma once

#include <string>
#include <string_view>

namespace gridmap {

// ASCII letters in lower case; every other byte (UTF-8 included) as it is.
std::string ascii_lower(std::string_view s);

}  // namespace gridmap
