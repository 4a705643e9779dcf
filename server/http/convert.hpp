// The one conversion of a parsed Beast message into the plain Request, shared by the
// session (server.cpp) and the byte reader (request_reader.cpp). Includes Beast: only for
// files under server/http/.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http/message.hpp"

namespace gridmap::server {

// Method, percent-decoded path, decoded query, lower-case headers and the body (moved out);
// `remote` is left to the caller.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& msg);

}  // namespace gridmap::server
