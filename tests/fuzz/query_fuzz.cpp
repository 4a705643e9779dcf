// Paths and query strings: percent_decode and parse_query on any bytes, and the round trip
// of encoded names and values (the input's NUL bytes separate them).
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz.hpp"
#include "server/http/message.hpp"

using namespace gridmap::server;

namespace {

std::string encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  for (bool plus : {false, true}) {
    std::string decoded = percent_decode(raw, plus);
    FUZZ_CHECK(decoded.size() <= raw.size(), "decoding made the text longer");
    FUZZ_CHECK(percent_decode(encode(raw), plus) == raw, "encoded text decodes to itself");
  }
  auto parsed = parse_query(raw);
  for (auto& [k, v] : parsed) FUZZ_CHECK(k.size() + v.size() <= raw.size(), "a longer parameter");

  // Names and values split at NUL, encoded, joined, parsed back: the same pairs in order.
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); ++i)
    if (i == raw.size() || raw[i] == '\0') {
      parts.emplace_back(raw.substr(start, i - start));
      start = i + 1;
    }
  std::string query;
  std::multimap<std::string, std::string> expected;
  for (size_t i = 0; i + 1 < parts.size(); i += 2) {
    if (!query.empty()) query += '&';
    query += encode(parts[i]) + "=" + encode(parts[i + 1]);
    expected.emplace(parts[i], parts[i + 1]);
  }
  FUZZ_CHECK(parse_query(query) == expected, "query " + query);
  return 0;
}
