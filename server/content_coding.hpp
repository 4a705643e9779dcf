// JSON answers compressed for clients that take gzip (RFC 9110 §8.4): bodies of 1 KB and
// more, `Vary: Accept-Encoding` on every answer whose coding depends on the request, and an
// entity tag per coding ("v3" identity, "v3-gzip" compressed) so that a cache never mixes
// the two. The validators a client sends back are mapped to the identity tags the routes
// compare before a route sees them.
#pragma once

#include "server/http/message.hpp"

namespace gridmap::server {

// If-None-Match and If-Match with "-gzip" taken off every entity tag.
void identity_validators(Request& req);
// Compresses `res` in place when it is JSON, GeoJSON, a problem or CSV of 1 KB or more and
// the client takes gzip; a deferred answer is compressed when it is made.
void encode_for(const Request& req, Response& res);

}  // namespace gridmap::server
