// One HTTP/1.1 request read from bytes already received, with the server's limits and the
// same conversion to a plain Request as a server session: for tests and fuzzing, without a
// socket. Plain header: Beast stays inside request_reader.cpp.
#pragma once

#include <cstddef>
#include <string_view>

#include "server/http/message.hpp"
#include "server/http/server.hpp"

namespace gridmap::server {

enum class ReadStatus {
  complete,          // `request` is filled in
  incomplete,        // the bytes end inside the request: a session would wait for more
  header_too_large,  // over max_header_bytes: a session answers 431 and closes
  body_too_large,    // over max_body_bytes (declared or received): 413 and close
  malformed,         // not valid HTTP/1.1 (bad framing, two Content-Length headers, ...):
                     // a session answers 400 and closes
};

struct ReadResult {
  ReadStatus status = ReadStatus::incomplete;
  Request request;          // when complete (remote left empty)
  size_t consumed = 0;      // bytes the request took: a pipelined next one starts there
  bool keep_alive = false;  // when complete: whether the connection stays open after it
};

// Parses the first request in `bytes` with options.max_header_bytes and max_body_bytes.
ReadResult read_request(std::string_view bytes, const ServerOptions& options);

}  // namespace gridmap::server
