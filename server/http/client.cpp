#include "server/http/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gridmap::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

ClientResult http_post(const ClientRequest& r) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  ClientResult out;
  beast::error_code ec;
  auto endpoints = resolver.resolve(r.host, r.port, ec);
  if (ec) return {0, "cannot resolve " + r.host + ": " + ec.message()};
  http::request<http::string_body> req{http::verb::post, r.target, 11};
  req.set(http::field::host, r.host + (r.port == "80" ? "" : ":" + r.port));
  req.set(http::field::user_agent, "gridmap");
  req.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) req.set(k, v);
  req.keep_alive(false);
  req.body() = r.body;
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  beast::flat_buffer buffer;
  auto fail = [&out](const char* what, const beast::error_code& e) {
    out.error = std::string(what) + ": " + (e == beast::error::timeout ? "timed out" : e.message());
  };
  stream.expires_after(r.timeout);  // one deadline for the whole exchange
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) return fail("connect", e);
    http::async_write(stream, req, [&](beast::error_code e2, size_t) {
      if (e2) return fail("send", e2);
      http::async_read(stream, buffer, parser, [&](beast::error_code e3, size_t) {
        if (e3 && !parser.is_header_done()) return fail("answer", e3);
        out.status = static_cast<int>(parser.get().result_int());
      });
    });
  });
  ioc.run();
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace gridmap::server
