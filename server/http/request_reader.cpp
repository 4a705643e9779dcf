#include "server/http/request_reader.hpp"

#include "server/http/convert.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>

namespace gridmap::server {

namespace beast = boost::beast;
namespace http = beast::http;

Request to_request(http::request<http::string_body>& msg) {
  Request r;
  r.method = std::string(msg.method_string());
  std::string_view target(msg.target().data(), msg.target().size());
  size_t q = target.find('?');
  r.path = percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) r.query = parse_query(target.substr(q + 1));
  for (auto& f : msg) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = std::move(msg.body());
  return r;
}

namespace {

ReadStatus status_of(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return ReadStatus::header_too_large;
  if (ec == http::error::body_limit) return ReadStatus::body_too_large;
  if (ec == http::error::need_more) return ReadStatus::incomplete;
  return ReadStatus::malformed;
}

}  // namespace

ReadResult read_request(std::string_view bytes, const ServerOptions& options) {
  // Configured as Session::read_header configures its parser; eager, so that the header and
  // the body are parsed from one buffer as async_read_header then async_read would.
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);

  ReadResult out;
  beast::error_code ec;
  while (!parser.is_done()) {
    size_t n = parser.put(boost::asio::buffer(bytes.data() + out.consumed,
                                              bytes.size() - out.consumed),
                          ec);
    out.consumed += n;
    if (ec) {
      out.status = status_of(ec);
      return out;
    }
    if (n == 0) return out;  // incomplete
    // The session refuses two Content-Length headers and a declared length over the limit
    // as soon as it has the header.
    if (parser.is_header_done()) {
      if (parser.get().count(http::field::content_length) > 1) {
        out.status = ReadStatus::malformed;
        return out;
      }
      auto length = parser.content_length();
      if (length && *length > options.max_body_bytes) {
        out.status = ReadStatus::body_too_large;
        return out;
      }
    }
  }
  auto& msg = parser.get();
  out.keep_alive = msg.keep_alive();
  out.request = to_request(msg);
  out.status = ReadStatus::complete;
  return out;
}

}  // namespace gridmap::server
