// What each route takes and answers, beside the routing table: the query parameters a route
// accepts (any other is refused with 400 before its handler runs), a summary, and the
// schemas of its body and answer. The OpenAPI document (/api/v1/openapi.json) is generated
// from the router and this table; server/openapi/components.json holds the schemas.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gridmap::server {

class Router;
struct Request;

struct ParamDoc {
  std::string_view name;
  std::string_view type;  // JSON Schema type: "string", "integer", "number", "boolean"
  std::string_view description;
};

struct RouteDoc {
  std::string_view route;       // the route's name in the routing table
  std::string_view summary;     // one line, for the OpenAPI operation
  std::vector<ParamDoc> query;  // every query parameter the route accepts
  // Schema (a name in components.json) of the request body: "" for none, "binary" for a
  // file or a form upload.
  std::string_view request;
  // Schema of the success answer ("" for none or a non-JSON answer), its status and its
  // media type.
  std::string_view response;
  int status = 200;
  std::string_view media = "application/json";
  bool layer_filters = false;  // also a layer's property filters (name=value), checked by the layer
  std::string_view tag =
      {};  // OpenAPI tag grouping the operation ("" for the route name's first part)
  // Other media types of the success answer (format=csv, an .xml path, ...).
  std::vector<std::string_view> other_media = {};
};

const std::vector<RouteDoc>& route_docs();
const RouteDoc* doc_for(std::string_view route) noexcept;

// Refuses (invalid_input) a query parameter the route does not take, naming those it does.
// Layer property filters are left to the layer when the route takes them.
void check_query(const RouteDoc& doc, const Request& req);

// The OpenAPI 3.1 document of every route of `router`, with absolute server URL `base`
// ("" for a relative one).
std::string openapi_json(const Router& router, const std::string& base);

}  // namespace gridmap::server
