// multipart/form-data bodies (attachment uploads from the web form): the parser on any
// bytes, with the boundary taken from the input's first line; every part it returns lies
// within the body, and a form written from the parts it found parses to the same parts.
#include <string>

#include "core/error.hpp"
#include "fuzz/fuzz.hpp"
#include "server/http/multipart.hpp"

using namespace gridmap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t eol = input.find('\n');
  std::string header = eol == std::string::npos ? input : input.substr(0, eol);
  std::string body = eol == std::string::npos ? std::string() : input.substr(eol + 1);
  auto boundary = server::multipart_boundary(header);
  if (!boundary) boundary = "b";
  std::vector<server::FormPart> parts;
  try {
    parts = server::parse_multipart(body, *boundary);
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
    return 0;
  }
  std::string again;
  for (const auto& p : parts) {
    FUZZ_CHECK(
        p.body.data() >= body.data() && p.body.data() + p.body.size() <= body.data() + body.size(),
        "a part outside the body");
    FUZZ_CHECK(!p.name.empty(), "a part without a name");
    // Rewritten only when its name and body cannot be mistaken for the form's own syntax.
    if (p.name.find_first_of("\"\\\r\n") != std::string::npos ||
        p.body.find("--" + *boundary) != std::string_view::npos)
      return 0;
    again += "--" + *boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name +
             "\"\r\n\r\n" + std::string(p.body) + "\r\n";
  }
  if (parts.empty()) return 0;
  again += "--" + *boundary + "--\r\n";
  auto back = server::parse_multipart(again, *boundary);
  FUZZ_CHECK(back.size() == parts.size(), "a rewritten form has another number of parts");
  for (size_t i = 0; i < parts.size(); ++i)
    FUZZ_CHECK(back[i].name == parts[i].name && back[i].body == parts[i].body,
               "part " + parts[i].name + " changed");
  return 0;
}
