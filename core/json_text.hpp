// JSON text helpers for answers written by hand (problem+json, GeoJSON): no parser, no
// dependencies.
#pragma once

#include <string>
#include <string_view>

namespace gridmap {

void append_json_string(std::string& out, std::string_view s);  // quoted and escaped

}  // namespace gridmap
