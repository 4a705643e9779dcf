// A plain HTTP/1.1 client for the few requests the server makes itself (webhook
// deliveries). Blocking: call it on a thread of its own, never on a request thread. Plain
// header: Beast stays inside client.cpp.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace gridmap::server {

struct ClientRequest {
  std::string host, port, target;  // "10.0.0.5", "8080", "/hooks/gridmap"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{5000};  // connect, send and answer together
};

struct ClientResult {
  int status = 0;     // 0: no answer (see error)
  std::string error;  // why there was no answer ("connection refused", "timed out")
};

// POSTs the request on a fresh connection and reads the answer's status (its body, up to
// 64 KiB, is dropped).
ClientResult http_post(const ClientRequest& request);

}  // namespace gridmap::server
