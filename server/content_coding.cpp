#include "server/content_coding.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "server/conditional.hpp"
#include "tiles/gzip.hpp"

namespace gridmap::server {
namespace {

constexpr std::string_view kSuffix = "-gzip";
constexpr size_t kSmallest = 1024;  // below it gzip's header and the CPU cost more than they save

bool compressible(const std::string& type) {
  std::string_view t(type);
  t = t.substr(0, t.find(';'));
  return t == "application/json" || t == "application/geo+json" ||
         t == "application/problem+json" || t == "text/csv";
}

bool has_header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return true;
  return false;
}

// Each entity tag of a list ("a", W/"b") with the coding's suffix taken off.
std::string strip(std::string_view list) {
  std::string out;
  out.reserve(list.size());
  size_t i = 0;
  while (i < list.size()) {
    size_t open = list.find('"', i);
    if (open == std::string_view::npos) break;
    size_t close = list.find('"', open + 1);
    if (close == std::string_view::npos) break;
    out.append(list.substr(i, open + 1 - i));
    std::string_view tag = list.substr(open + 1, close - open - 1);
    if (tag.size() > kSuffix.size() && tag.substr(tag.size() - kSuffix.size()) == kSuffix)
      tag.remove_suffix(kSuffix.size());
    out.append(tag);
    out.push_back('"');
    i = close + 1;
  }
  out.append(list.substr(std::min(i, list.size())));
  return out;
}

void encode(bool gzip_ok, Response& res) {
  if (res.stream || !compressible(res.content_type) || has_header(res, "Content-Encoding")) return;
  res.headers.emplace_back("Vary", "Accept-Encoding");
  if (!gzip_ok || res.body.size() < kSmallest) return;
  std::string packed = tiles::gzip(res.body, 6);
  if (packed.size() >= res.body.size()) return;
  res.body = std::move(packed);
  res.headers.emplace_back("Content-Encoding", "gzip");
  for (auto& [k, v] : res.headers)
    if ((k == "ETag" || k == "etag") && v.size() >= 2 && v.back() == '"')
      v.insert(v.size() - 1, kSuffix);
}

}  // namespace

void identity_validators(Request& req) {
  for (const char* name : {"if-none-match", "if-match"})
    if (auto it = req.headers.find(name); it != req.headers.end()) it->second = strip(it->second);
}

void encode_for(const Request& req, Response& res) {
  bool gzip_ok = accepts_gzip(req);
  if (res.deferred) {
    res.deferred = [job = std::move(res.deferred), gzip_ok]() {
      Response r = job();
      encode(gzip_ok, r);
      return r;
    };
    return;
  }
  encode(gzip_ok, res);
}

}  // namespace gridmap::server
