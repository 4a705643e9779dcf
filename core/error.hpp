// The one exception family of gridmap. Callers at the edges (CLI, HTTP) map `kind` to an
// exit code or an HTTP status in one place each.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace gridmap {

enum class ErrorKind { invalid_input, not_found, conflict, precondition_failed, precondition_required, forbidden, unauthorized, too_large, unsupported_media_type, unavailable, internal };

std::string_view to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] void throw_invalid(const std::string& message);
[[noreturn]] void throw_internal(const std::string& message);

}  // namespace gridmap
