// Timestamps are stored as seconds since the Unix epoch (UTC) and shown as ISO 8601.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gridmap::data {

int64_t now_seconds();                           // the wall clock, as stored
std::string format_time(int64_t epoch_seconds);  // "2025-03-01T08:00:00Z"
// Accepts "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS]" with an optional "Z" or "±HH:MM" zone, and
// plain epoch seconds. A time without a zone is China Standard Time (UTC+8), which is what
// users of the platform type. Returns nullopt when the text is not a time.
std::optional<int64_t> parse_time(std::string_view text);
int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept;

}  // namespace gridmap::data
