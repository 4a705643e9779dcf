// JSON in and out for the handlers (RapidJSON), with errors a client can act on.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

#include "geo/types.hpp"

namespace gridmap::server {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Arrays and objects nested deeper than this are refused before parsing.
inline constexpr size_t kMaxJsonDepth = 64;
// Parses a request body: one JSON value, nothing but white space after it, nested at most
// kMaxJsonDepth deep; throws invalid_input naming the offset of the first error.
rapidjson::Document parse_json(std::string_view body);

// Members of an object, validated: throw invalid_input naming the member.
std::optional<std::string> opt_string(const rapidjson::Value& obj, const char* name);
std::string need_string(const rapidjson::Value& obj, const char* name);
std::optional<double> opt_number(const rapidjson::Value& obj, const char* name);
std::optional<int64_t> opt_int(const rapidjson::Value& obj, const char* name);
std::optional<bool> opt_bool(const rapidjson::Value& obj, const char* name);

void write_string(JsonWriter& w, std::string_view s);
void write_number(JsonWriter& w, double v, int decimals);  // finite, rounded
void write_lonlat(JsonWriter& w, LonLat p);                 // [lon, lat]

}  // namespace gridmap::server
