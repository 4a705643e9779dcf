// multipart/form-data bodies (RFC 7578), as a browser's file form sends them: the parts,
// each a view into the body. Nothing is copied; malformed input is refused with a reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::server {

struct FormPart {
  std::string name;                     // Content-Disposition name=
  std::optional<std::string> filename;  // filename=, for a file
  std::string content_type;             // the part's Content-Type, lower case; "" when absent
  std::string_view body;
};

// The boundary of a "multipart/form-data; boundary=..." header value, nullopt when it is
// not one (or the boundary is missing or longer than RFC 2046's 70 characters).
std::optional<std::string> multipart_boundary(std::string_view content_type);
// Throws gridmap::Error(invalid_input) for a body that is not a well-formed form with this
// boundary; at most `max_parts` parts.
std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary,
                                      size_t max_parts = 16);

}  // namespace gridmap::server
