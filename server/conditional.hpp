// Conditional and compressed answers shared by every route that serves stored bytes
// (tiles, the web map's files): Accept-Encoding and If-None-Match.
#pragma once

#include <string>
#include <string_view>

#include "server/http/message.hpp"

namespace gridmap::server {

// The client takes gzip (listed, or `*`, and not refused with q=0).
bool accepts_gzip(const Request& req);
// Whether Accept-Encoding takes this coding ("br", "gzip"; "*" stands for gzip only).
bool accepts_coding(const Request& req, std::string_view coding);
// If-None-Match names `etag` (weak or strong), or is `*`.
bool etag_matches(const Request& req, const std::string& etag);

}  // namespace gridmap::server
