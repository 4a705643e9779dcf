// JSON text helpers for answers written by hand (problem+json, GeoJSON): no parser, no
// dependencies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gridmap {

void append_json_string(std::string& out, std::string_view s);  // quoted and escaped
// ["a","b"]: a list bound to SQL, read there with json_each (either engine).
std::string json_string_array(const std::vector<std::string>& values);

}  // namespace gridmap
