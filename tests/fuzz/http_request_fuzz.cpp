// The HTTP request reader with the server's limits (16 KB of header; the body limit is the
// server's 32 MB or, from the first byte, 1 KB so that the fuzzer reaches it): pipelined
// requests are read one after another while the connection stays open.
#include <cctype>

#include "fuzz/fuzz.hpp"
#include "server/http/request_reader.hpp"

using namespace gridmap::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridmap::fuzz::Input in(data, size);
  ServerOptions options;
  if (in.byte() & 1) options.max_body_bytes = 1024;
  std::string_view bytes = in.rest();
  for (int n = 0; n < 16 && !bytes.empty(); ++n) {
    ReadResult r = read_request(bytes, options);
    FUZZ_CHECK(r.consumed <= bytes.size(), "consumed more than given");
    if (r.status != ReadStatus::complete) break;
    FUZZ_CHECK(r.consumed > 0, "a request from no bytes");
    const Request& q = r.request;
    FUZZ_CHECK(q.body.size() <= options.max_body_bytes, "a body over the limit was read");
    FUZZ_CHECK(!q.method.empty(), "a request without a method");
    for (auto& [name, value] : q.headers)
      for (char c : name)
        FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)), "header name " + name);
    // One byte less is not a request yet: the server would wait for the rest.
    ReadResult cut = read_request(bytes.substr(0, r.consumed - 1), options);
    FUZZ_CHECK(cut.status == ReadStatus::incomplete,
               "the request less its last byte gives status " +
                   std::to_string(static_cast<int>(cut.status)));
    if (!r.keep_alive) break;
    bytes.remove_prefix(r.consumed);
  }
  return 0;
}
