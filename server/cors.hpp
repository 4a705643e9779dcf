// Cross-origin requests (CORS): off unless `serve --cors-origin` names the web origins a
// browser page may call the API from (another office's portal, a separate web app). Those
// get their own origin back with credentials; any other origin gets no CORS header (the
// browser keeps the answer from the page), except the public glyphs, which anyone may use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/http/message.hpp"

namespace gridmap::server {

// "https://portal.example.gov.cn" as compared: lower case, no trailing slash.
std::string normal_origin(std::string origin);
// The request's Origin when it is one of `allowed`.
std::optional<std::string> allowed_origin(const std::vector<std::string>& allowed,
                                          const Request& req);
// The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method): 204
// with what may be sent for an allowed origin, 403 otherwise; nullopt for any other request.
std::optional<Response> preflight(const std::vector<std::string>& allowed, const Request& req);
// The CORS headers of an answer: for an allowed origin, that origin with credentials; for
// `public_to_all` answers (glyphs), `*` to any origin.
void add_cors_headers(const std::vector<std::string>& allowed, const Request& req,
                      bool public_to_all, Response& res);

}  // namespace gridmap::server
