#include "server/api_doc.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/text.hpp"
#include "core/version.hpp"
#include "server/access.hpp"
#include "server/json.hpp"
#include "server/router.hpp"

namespace gridmap::server {

// server/openapi/components.json, embedded at build time (server/CMakeLists.txt).
extern const char* const kOpenApiComponents;

const RouteDoc* doc_for(std::string_view route) noexcept {
  static const std::map<std::string_view, const RouteDoc*> by_name = [] {
    std::map<std::string_view, const RouteDoc*> m;
    for (const RouteDoc& d : route_docs()) m.emplace(d.route, &d);
    return m;
  }();
  auto it = by_name.find(route);
  return it == by_name.end() ? nullptr : it->second;
}

void check_query(const RouteDoc& doc, const Request& req) {
  for (const auto& param : req.query) {
    const std::string& name = param.first;
    bool known = std::any_of(doc.query.begin(), doc.query.end(),
                             [&](const ParamDoc& p) { return p.name == name; });
    if (known || doc.layer_filters) continue;  // a layer checks its own filters
    std::string list;
    for (const ParamDoc& p : doc.query) list += (list.empty() ? "" : ", ") + std::string(p.name);
    throw_invalid("unknown parameter '" + name + "' (" + std::string(doc.route) +
                  (list.empty() ? " takes no query parameters)" : " takes " + list + ")"));
  }
}

namespace {

void key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void ref(JsonWriter& w, std::string_view schema) {
  w.StartObject();
  key(w, "$ref");
  // (Appended, not "literal" + string: GCC 12 at -O3 warns falsely of overlapping copies.)
  std::string target = "#/components/schemas/";
  target.append(schema);
  write_string(w, target);
  w.EndObject();
}

// The names of a pattern's path parameters, in order ("/a/{id}/b/{day}" -> id, day).
std::vector<std::string> path_params(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t at = pattern.find('{'); at != std::string::npos; at = pattern.find('{', at + 1))
    out.push_back(pattern.substr(at + 1, pattern.find('}', at) - at - 1));
  return out;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No content";
    default:
      return "Success";
  }
}

void operation(JsonWriter& w, const Route& r, const RouteDoc& d, const AccessRule& rule) {
  bool open311 = r.pattern.rfind("/open311/", 0) == 0;
  w.StartObject();
  key(w, "operationId");
  std::string id = r.name;
  if (r.method != "GET") id.append(".").append(ascii_lower(r.method));
  write_string(w, id);
  key(w, "summary");
  write_string(w, d.summary);
  key(w, "tags");
  w.StartArray();
  write_string(w, d.tag.empty() ? std::string_view(r.name).substr(0, r.name.find('.')) : d.tag);
  w.EndArray();
  key(w, "parameters");
  w.StartArray();
  for (const std::string& p : path_params(r.pattern)) {
    w.StartObject();
    key(w, "name");
    write_string(w, p);
    key(w, "in");
    w.String("path");
    key(w, "required");
    w.Bool(true);
    key(w, "schema");
    w.StartObject();
    key(w, "type");
    w.String("string");
    w.EndObject();
    w.EndObject();
  }
  for (const ParamDoc& p : d.query) {
    w.StartObject();
    key(w, "name");
    write_string(w, p.name);
    key(w, "in");
    w.String("query");
    key(w, "description");
    write_string(w, p.description);
    key(w, "schema");
    w.StartObject();
    key(w, "type");
    write_string(w, p.type);
    w.EndObject();
    w.EndObject();
  }
  if (d.layer_filters) {  // any filterable property of the layer: name=value
    w.StartObject();
    key(w, "name");
    w.String("filters");
    key(w, "in");
    w.String("query");
    key(w, "description");
    w.String(
        "Property filters: a property of the layer's features = a value (the answer to "
        "an unknown property is 400, naming the ones that can be filtered).");
    key(w, "style");
    w.String("form");
    key(w, "explode");
    w.Bool(true);
    key(w, "schema");
    w.StartObject();
    key(w, "type");
    w.String("object");
    key(w, "additionalProperties");
    w.StartObject();
    key(w, "type");
    w.String("string");
    w.EndObject();
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  if (!d.request.empty()) {
    key(w, "requestBody");
    w.StartObject();
    key(w, "required");
    w.Bool(true);
    key(w, "content");
    w.StartObject();
    if (d.request == "binary") {
      for (const char* type : {"multipart/form-data", "application/octet-stream"}) {
        key(w, type);
        w.StartObject();
        key(w, "schema");
        w.StartObject();
        if (std::string_view(type) == "multipart/form-data") {
          key(w, "type");
          w.String("object");
        } else {
          key(w, "contentMediaType");
          w.String("application/octet-stream");
        }
        w.EndObject();
        w.EndObject();
      }
    } else {
      // Open311 clients send form fields; everyone may send JSON.
      for (const char* type : {"application/json", "application/x-www-form-urlencoded"}) {
        if (!open311 && type != std::string_view("application/json")) continue;
        key(w, type);
        w.StartObject();
        key(w, "schema");
        ref(w, d.request);
        w.EndObject();
      }
    }
    w.EndObject();
    w.EndObject();
  }
  key(w, "responses");
  w.StartObject();
  key(w, std::to_string(d.status));
  w.StartObject();
  key(w, "description");
  w.String(reason(d.status));
  if (d.status != 204) {
    key(w, "content");
    w.StartObject();
    key(w, d.media);
    w.StartObject();
    if (!d.response.empty()) {
      key(w, "schema");
      ref(w, d.response);
    }
    w.EndObject();
    for (std::string_view other : d.other_media) {
      key(w, other);
      w.StartObject();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  // Every refusal is a problem (RFC 9457); its type says which (GET /problems lists them).
  // Open311's routes answer its own error list instead, as its clients expect.
  key(w, "default");
  w.StartObject();
  key(w, "description");
  w.String(open311 ? "Open311 errors: [{code, description}]"
                   : "A problem: 4xx for the request, 5xx for the server");
  key(w, "content");
  w.StartObject();
  key(w, open311 ? "application/json" : "application/problem+json");
  w.StartObject();
  key(w, "schema");
  ref(w, open311 ? "Open311Errors" : "Problem");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  key(w, "security");
  w.StartArray();
  if (rule.is_public) {  // optional credentials: an empty requirement
    w.StartObject();
    w.EndObject();
  }
  for (const char* scheme : {"bearer", "session"}) {
    w.StartObject();
    key(w, scheme);
    w.StartArray();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string openapi_json(const Router& router, const std::string& base) {
  rapidjson::Document components;
  components.Parse(kOpenApiComponents);
  if (components.HasParseError() || !components.IsObject())
    throw_internal("server/openapi/components.json does not parse");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  key(w, "openapi");
  w.String("3.1.0");
  key(w, "info");
  w.StartObject();
  key(w, "title");
  w.String("gridmap");
  key(w, "version");
  w.String(version());
  key(w, "description");
  w.String(
      "Urban grid management (网格化社会管理): grids, households, workers, petitions, "
      "tiles and statistics. Every answer that is not a success is a problem "
      "(application/problem+json, RFC 9457). Unknown query parameters are refused with 400.");
  w.EndObject();
  key(w, "servers");
  w.StartArray();
  w.StartObject();
  key(w, "url");
  write_string(w, base.empty() ? "/" : base);
  w.EndObject();
  w.EndArray();
  // One path item per pattern, its operations in the router's order.
  std::vector<std::string> patterns;
  for (const Route& r : router.routes())
    if (std::find(patterns.begin(), patterns.end(), r.pattern) == patterns.end())
      patterns.push_back(r.pattern);
  key(w, "paths");
  w.StartObject();
  for (const std::string& pattern : patterns) {
    key(w, pattern);
    w.StartObject();
    for (const Route& r : router.routes()) {
      if (r.pattern != pattern) continue;
      const RouteDoc* d = doc_for(r.name);
      const AccessRule* rule = rule_for(r.name);
      if (!d || !rule) throw_internal("route " + r.name + " has no documentation or access rule");
      key(w, ascii_lower(r.method));
      operation(w, r, *d, *rule);
    }
    w.EndObject();
  }
  w.EndObject();
  key(w, "components");
  w.StartObject();
  key(w, "schemas");
  if (components.HasMember("schemas"))
    components["schemas"].Accept(w);
  else {
    w.StartObject();
    w.EndObject();
  }
  key(w, "securitySchemes");
  w.StartObject();
  key(w, "bearer");
  w.StartObject();
  key(w, "type");
  w.String("http");
  key(w, "scheme");
  w.String("bearer");
  key(w, "description");
  w.String("An API token (gridmap user token NAME, or POST /api/v1/session)");
  w.EndObject();
  key(w, "session");
  w.StartObject();
  key(w, "type");
  w.String("apiKey");
  key(w, "in");
  w.String("cookie");
  key(w, "name");
  w.String("gridmap_session");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace gridmap::server
