#include "server/conditional.hpp"

#include <string_view>

namespace gridmap::server {

bool accepts_gzip(const Request& req) {
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
    bool refused = params.find("q=0") != std::string_view::npos &&
                   params.find("q=0.") == std::string_view::npos;
    if ((coding == "gzip" || coding == "*") && !refused) return true;
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
