// GET /healthz, GET /metrics, GET /problems/{name}, GET /api/v1/openapi.json
#include <array>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "core/version.hpp"
#include "server/api_doc.hpp"
#include "server/app.hpp"

namespace gridmap::server {

namespace {

struct ProblemType {
  const char* name;
  int status;
  const char* title;
  const char* meaning;
};

// Every problem `type` the server answers with (problem_type_uri(name)).
constexpr std::array<ProblemType, 19> kProblemTypes{{
    {"bad_request", 400, "Bad request",
     "The request is not valid HTTP/1.1 or its target cannot be parsed."},
    {"invalid_input", 400, "Invalid input",
     "A parameter, a path segment or the body is malformed, out of range, unknown or given twice; "
     "the detail names it. A register import with rejected rows answers 422 with this type and "
     "the rows."},
    {"unauthorized", 401, "Unauthorized",
     "No credentials, or a token that is unknown, expired or revoked: send 'Authorization: Bearer "
     "<token>' or sign in."},
    {"forbidden", 403, "Forbidden",
     "The caller's role may not use this route, or the record is outside their patch."},
    {"cross_origin", 403, "Cross-origin request refused",
     "A signed-in write came from another site's page (its Origin is not this server nor a "
     "--cors-origin)."},
    {"not_found", 404, "Not found", "No resource at this path, or none the caller may see."},
    {"method_not_allowed", 405, "Method not allowed",
     "The path exists; the Allow header lists its methods."},
    {"conflict", 409, "Conflict",
     "The request contradicts the stored state: a duplicate code, a transition the case's state "
     "does not allow, a record still referenced."},
    {"idempotency_key_in_use", 409, "Idempotency key in use",
     "A request with this Idempotency-Key is still being processed: retry it a little later."},
    {"precondition_failed", 412, "Precondition failed",
     "If-Match names a version that is no longer current: read the record again and reapply the "
     "change."},
    {"too_large", 413, "Too large",
     "A file, a batch or a list exceeds the server's limit; the detail names it."},
    {"body_too_large", 413, "Body too large", "The request body exceeds serve --max-body-mb."},
    {"unsupported_media_type", 415, "Unsupported media type",
     "The body's Content-Type is not one this route reads."},
    {"idempotency_key_reused", 422, "Idempotency key reused",
     "This Idempotency-Key named another request (method, path, query or body) in the last 24 "
     "hours: give each request its own key."},
    {"precondition_required", 428, "Precondition required",
     "A change to a versioned record needs If-Match with the version (ETag) that was read."},
    {"too_many_attempts", 429, "Too many attempts",
     "Too many failed sign-ins: wait for the time in Retry-After."},
    {"header_too_large", 431, "Header too large",
     "The request's header block exceeds the server's limit."},
    {"internal", 500, "Internal error",
     "The server failed; the request id in the logs finds the cause."},
    {"unavailable", 503, "Service unavailable",
     "The server is starting, stopping or overloaded, or the database is busy: retry later."},
}};

void write_problem_type(std::string& out, const ProblemType& t) {
  out += "{\"type\":";
  append_json_string(out, problem_type_uri(t.name));
  out += ",\"name\":";
  append_json_string(out, t.name);
  out += ",\"status\":" + std::to_string(t.status) + ",\"title\":";
  append_json_string(out, t.title);
  out += ",\"description\":";
  append_json_string(out, t.meaning);
  out += "}";
}

Response problem_types(App&, const Request&, const Context&) {
  std::string out = "{\"problem_types\":[";
  for (size_t i = 0; i < kProblemTypes.size(); ++i) {
    if (i) out += ",";
    write_problem_type(out, kProblemTypes[i]);
  }
  return json_response(out + "]}");
}

Response problem_type(App&, const Request& req, const Context&) {
  const std::string& name = req.path_params.at("name");
  for (const ProblemType& t : kProblemTypes)
    if (name == t.name) {
      std::string out;
      write_problem_type(out, t);
      return json_response(out);
    }
  throw Error(ErrorKind::not_found, "no problem type '" + name + "' (GET /problems lists them)");
}

}  // namespace

void register_system(Router& r) {
  r.add("GET", "/healthz", "healthz", [](App&, const Request&, const Context&) {
    return json_response(std::string("{\"status\":\"ok\",\"version\":\"") + version() +
                         "\",\"commit\":\"" + commit() + "\"}");
  });
  r.add("GET", "/metrics", "metrics", [](App& app, const Request&, const Context&) {
    Response res;
    res.content_type = "text/plain; version=0.0.4";
    res.body = app.metrics().render();
    return res;
  });
  r.add("GET", "/api/v1/openapi.json", "openapi", [](App& app, const Request&, const Context&) {
    return json_response(openapi_json(app.router(), app.options().public_url));
  });
  r.add("GET", "/problems", "problems.list", problem_types);
  r.add("GET", "/problems/{name}", "problems.item", problem_type);
}

}  // namespace gridmap::server
