// The access log: one line per request, as text or JSON. A line holds the time, a level from
// the status, the request id, method, the path (quoted, control bytes escaped), status,
// bytes, duration, route and user id — never a query string, a header or a body, which may
// hold personal data or a token.
#pragma once

#include <chrono>
#include <string>

#include "server/http/server.hpp"

namespace gridmap::server {

enum class LogFormat { text, json };

// "text" or "json"; throws invalid_input otherwise.
LogFormat parse_log_format(const std::string& name);

// The line for one request, with its newline.
std::string access_line(const AccessRecord& a, LogFormat format,
                        std::chrono::system_clock::time_point at);

}  // namespace gridmap::server
