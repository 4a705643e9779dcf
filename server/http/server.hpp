// The HTTP/1.1 server: asynchronous Boost.Beast with keep-alive on a thread pool. This
// header is plain: Beast and Asio stay inside server/http/*.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/http/message.hpp"

namespace gridmap::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  int threads = 2;
  size_t max_header_bytes = 16 * 1024;       // larger: 431
  size_t max_body_bytes = 32 * 1024 * 1024;  // larger: 413, refused before reading
  std::chrono::milliseconds request_timeout{15000};  // whole request, slow drips included
  std::chrono::milliseconds idle_timeout{60000};     // between requests on a connection
  int max_connections = 4096;
  // Connections one client address may hold at once (0: no limit); more are closed at
  // accept. Behind a reverse proxy every client has the proxy's address: raise it there.
  int max_connections_per_address = 256;
  // Proxies in front (serve --trusted-proxy): their connections carry many clients' requests
  // and are not held to max_connections_per_address.
  std::vector<std::string> uncapped_addresses;
  std::chrono::milliseconds shutdown_grace{10000};  // in-flight requests get this long
};

// One line per request for the access log: never a query string (it may hold personal data
// or a token).
struct AccessRecord {
  const std::string& method;
  const std::string& path;
  int status;
  size_t bytes;
  double duration_ms;
  const std::string& request_id;  // also sent as X-Request-Id
  const std::string& user;        // who asked, "" when no one signed in
  const std::string& route;       // the route's name, "-" outside the routing table
};

using Handler = std::function<Response(Request&)>;
using AccessLog = std::function<void(const AccessRecord&)>;

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler, AccessLog log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws unavailable when the address is taken); port() is then known.
  void bind();
  uint16_t port() const;
  // Serves until stop() or SIGTERM/SIGINT: stops accepting, lets in-flight requests
  // finish (bounded by shutdown_grace), closes idle connections, returns.
  void run();
  void stop();  // thread-safe
  int connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmap::server
