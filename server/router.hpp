// The one routing table: method + path pattern ("/api/v1/petitions/{id}") -> handler.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http/message.hpp"

namespace gridmap::server {

class App;
struct Context;

// A handler: the request, parsed by the transport, and its context, made by the application.
using RouteFn = std::function<Response(App&, const Request&, const Context&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::string name;  // for metrics and logs, e.g. "petitions.item"
  RouteFn fn;
};

class Router {
 public:
  void add(std::string method, std::string pattern, std::string name, RouteFn fn);
  // The matching route with path parameters filled in; nullptr with a 404/405 problem.
  const Route* find(Request& req, Response& refusal) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool match(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

}  // namespace gridmap::server
