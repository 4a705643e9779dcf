// Plain request and response structs: everything above server/http/ sees only these.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gridmap::server {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query string
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-case names
  std::string body;
  std::string remote;                             // peer address
  std::map<std::string, std::string> path_params;  // filled by the router

  std::optional<std::string> param(const std::string& name) const;
  std::optional<std::string> header(const std::string& lower_name) const;
};

// The body of a response written as it is produced (server-sent events). The server sends
// the header, then, on the connection's own event loop about every 100 ms, asks the source
// for what is ready and writes it as a chunk, until the source ends, the client goes away or
// the server stops. A stream does not count as a request in flight (no request timeout, no
// wait at shutdown); a client that stops reading is cut off after request_timeout.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // What to send now (empty: nothing yet), or nullopt to end the stream. Called on an event
  // loop: it must not block (take what others queued, never read a database here).
  virtual std::optional<std::string> poll() = 0;
  // The server is stopping: the last bytes to send before the stream ends ("" for none).
  virtual std::string farewell() { return {}; }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A slow, CPU-bound answer (a password hash): when set, the server calls it on a thread
  // outside its event loops and sends what it returns, so other connections are not held
  // up; the fields above are then ignored.
  std::function<Response()> deferred;
  // When set, `body` is sent first and the source then streams the rest (chunked).
  std::shared_ptr<StreamSource> stream;
  // For the access log, set by the application: the request's id (the server sends it as
  // X-Request-Id), who asked (a user id, "" for no one) and the route's name.
  std::string request_id;
  std::string user;
  std::string route;
};

// A fresh request id: 16 hex digits from a random 64-bit number.
std::string new_request_id();

// application/problem+json (RFC 9457) with a stable, absolute `type` (problem_type_uri), a
// title and a detail a user can act on. The application adds `instance`.
Response problem(int status, const std::string& type, const std::string& title, const std::string& detail);
// "<base>/problems/<name>": the server documents each type at that address. The base is the
// server's public URL, set once at start-up (set_problem_base) before any request is served.
std::string problem_type_uri(std::string_view name);
void set_problem_base(std::string base);

std::string percent_decode(std::string_view s, bool plus_is_space);
// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) and those of `also_kept` as
// %XX: a query value in a link.
std::string percent_encode(std::string_view s, std::string_view also_kept = {});
std::multimap<std::string, std::string> parse_query(std::string_view q);

}  // namespace gridmap::server
