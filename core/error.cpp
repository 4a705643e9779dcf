#include "core/error.hpp"

namespace gridmap {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::precondition_failed: return "precondition_failed";
    case ErrorKind::precondition_required: return "precondition_required";
    case ErrorKind::unauthorized: return "unauthorized";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::unsupported_media_type: return "unsupported_media_type";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

void throw_invalid(const std::string& message) { throw Error(ErrorKind::invalid_input, message); }
void throw_internal(const std::string& message) { throw Error(ErrorKind::internal, message); }

}  // namespace gridmap
