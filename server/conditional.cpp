#include "server/conditional.hpp"

#include <string_view>

namespace gridmap::server {

bool accepts_gzip(const Request& req) { return accepts_coding(req, "gzip"); }

bool accepts_coding(const Request& req, std::string_view wanted) {
  auto h = req.header("accept-encoding");
  if (!h) return false;
  std::string_view v = *h;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi),
                     params = semi == std::string_view::npos ? "" : item.substr(semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    // q=0 (or 0.0, 0.00, 0.000) refuses the coding.
    bool refused = false;
    if (size_t q = params.find("q="); q != std::string_view::npos) {
      std::string_view value = params.substr(q + 2);
      value = value.substr(0, value.find_first_of(" ;,"));
      refused = !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
    }
    if ((coding == wanted || (coding == "*" && wanted == "gzip")) && !refused) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

bool etag_matches(const Request& req, const std::string& etag) {
  auto h = req.header("if-none-match");
  if (!h) return false;
  std::string_view v = *h;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view tag = v.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace gridmap::server
