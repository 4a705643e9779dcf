#include "server/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>

#include "geo/error.hpp"

namespace gridmap::server {

namespace {
// The deepest nesting of arrays and objects in `body` (brackets inside strings skipped),
// stopping as soon as it passes `limit`: a body of 200,000 '[' must never reach a parser.
size_t nesting_depth(std::string_view body, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}
}  // namespace

rapidjson::Document parse_json(std::string_view body) {
  if (nesting_depth(body, kMaxJsonDepth) > kMaxJsonDepth)
    throw_invalid("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  rapidjson::Document d;
  // Iterative: no recursion whatever the input. Without kParseStopWhenDoneFlag anything but
  // white space after the value is an error ("the document root must not be followed by
  // other values").
  d.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (d.HasParseError())
    throw_invalid(std::string("malformed JSON at byte ") + std::to_string(d.GetErrorOffset()) + ": " +
                  rapidjson::GetParseError_En(d.GetParseError()));
  return d;
}

namespace {
const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) throw_invalid("expected a JSON object");
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}
}  // namespace

std::optional<std::string> opt_string(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->IsString()) throw_invalid(std::string("'") + name + "' must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

std::string need_string(const rapidjson::Value& obj, const char* name) {
  auto v = opt_string(obj, name);
  if (!v || v->empty()) throw_invalid(std::string("'") + name + "' is required");
  return *v;
}

std::optional<double> opt_number(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->IsNumber() || !std::isfinite(v->GetDouble())) throw_invalid(std::string("'") + name + "' must be a finite number");
  return v->GetDouble();
}

std::optional<int64_t> opt_int(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->IsInt64()) throw_invalid(std::string("'") + name + "' must be an integer");
  return v->GetInt64();
}

std::optional<bool> opt_bool(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->IsBool()) throw_invalid(std::string("'") + name + "' must be true or false");
  return v->GetBool();
}

void write_string(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void write_number(JsonWriter& w, double v, int decimals) {
  if (!std::isfinite(v)) return (void)w.Null();  // JSON has no infinity or NaN
  double scale = std::pow(10.0, decimals);
  if (!std::isfinite(v * scale)) return (void)w.Double(v);  // too large to have decimals
  double r = std::round(v * scale) / scale;
  if (r == std::floor(r) && std::fabs(r) < 9e15) w.Int64(static_cast<int64_t>(r));
  else w.Double(r);
}

void write_lonlat(JsonWriter& w, LonLat p) {
  w.StartArray();
  write_number(w, p.lon, 9);
  write_number(w, p.lat, 9);
  w.EndArray();
}

}  // namespace gridmap::server
