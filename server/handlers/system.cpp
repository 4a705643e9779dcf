// GET /healthz, GET /metrics
#include "core/version.hpp"
#include "server/app.hpp"

namespace gridmap::server {

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
}

}  // namespace gridmap::server
