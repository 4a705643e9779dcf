#include "server/access_log.hpp"

#include <cstdio>
#include <ctime>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace gridmap::server {

LogFormat parse_log_format(const std::string& name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  throw_invalid("--log-format must be text or json, not '" + name + "'");
}

namespace {

// RFC 3339 UTC with milliseconds: 2026-12-07T08:01:02.123Z.
std::string timestamp(std::chrono::system_clock::time_point at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

const char* level(int status) {
  if (status >= 500) return "error";
  if (status >= 400) return "warn";
  return "info";
}

}  // namespace

std::string access_line(const AccessRecord& a, LogFormat format,
                        std::chrono::system_clock::time_point at) {
  std::string out;
  char number[64];
  if (format == LogFormat::json) {
    out = "{\"ts\":\"" + timestamp(at) + "\",\"level\":\"" + level(a.status) + "\",\"request_id\":";
    append_json_string(out, a.request_id);
    out += ",\"method\":";
    append_json_string(out, a.method);
    out += ",\"path\":";
    append_json_string(out, a.path);
    std::snprintf(number, sizeof number, ",\"status\":%d,\"bytes\":%zu,\"duration_ms\":%.3f",
                  a.status, a.bytes, a.duration_ms);
    out += number;
    out += ",\"route\":";
    append_json_string(out, a.route);
    out += ",\"user\":";
    if (a.user.empty())
      out += "null";
    else
      append_json_string(out, a.user);
    out += "}\n";
    return out;
  }
  // Text: the path as a JSON string literal, so a quote, a space or a newline in it cannot
  // split or forge a line.
  out = timestamp(at) + " " + level(a.status) + " " + a.request_id + " " + a.method + " ";
  append_json_string(out, a.path);
  std::snprintf(number, sizeof number, " %d %zu %.2fms ", a.status, a.bytes, a.duration_ms);
  out += number;
  out += a.route + " user=" + (a.user.empty() ? "-" : a.user) + "\n";
  return out;
}

}  // namespace gridmap::server
