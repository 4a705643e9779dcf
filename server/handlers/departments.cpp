// /api/v1/departments: the departments (职能部门) cases are dispatched and escalated to, and
// the routing of categories to them. Everyone who dispatches reads them; an admin changes
// them. Changes are audited.
#include "data/departments.hpp"
#include "data/audit.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

void write_department(JsonWriter& w, const data::Department& d) {
  w.StartObject();
  w.Key("code");
  write_string(w, d.code);
  w.Key("name");
  write_string(w, d.name);
  w.Key("routes");
  w.StartArray();
  for (const data::Route& r : d.routes) {
    w.StartObject();
    w.Key("category");
    write_string(w, r.category);
    w.Key("subdistrict_code");
    if (r.subdistrict_code.empty())
      w.Null();
    else
      write_string(w, r.subdistrict_code);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

Response list(App& app, const Request&, const Context&) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const data::Department& d : data::DepartmentRepo(app.read_db()).list())
    write_department(w, d);
  w.EndArray();
  return json_response(buf.GetString());
}

Response item(App& app, const Request& req, const Context&) {
  auto d = data::DepartmentRepo(app.read_db()).get(req.path_params.at("code"));
  if (!d) throw Error(ErrorKind::not_found, "no department '" + req.path_params.at("code") + "'");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_department(w, *d);
  return json_response(buf.GetString());
}

// PUT /api/v1/departments/{code}: {"name", "routes": [{"category", "subdistrict_code"}]}, the
// whole department (its routes replaced).
Response put(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document doc = parse_json(req.body);
  if (!doc.IsObject())
    throw_invalid(
        "expected a JSON object: {\"name\": ..., \"routes\": [{\"category\": ..., "
        "\"subdistrict_code\": ...}]}");
  data::Department d;
  d.code = req.path_params.at("code");
  if (auto code = opt_string(doc, "code"); code && *code != d.code)
    throw_invalid("the body's code '" + *code + "' is not the code in the path");
  d.name = need_string(doc, "name");
  if (doc.HasMember("routes")) {
    if (!doc["routes"].IsArray())
      throw_invalid("'routes' must be an array of {category, subdistrict_code}");
    if (doc["routes"].Size() > 10000) throw_invalid("at most 10,000 routes per department");
    for (const auto& r : doc["routes"].GetArray()) {
      if (!r.IsObject()) throw_invalid("each route is an object {category, subdistrict_code}");
      data::Route route;
      route.category = need_string(r, "category");
      if (r.HasMember("subdistrict_code") && !r["subdistrict_code"].IsNull())
        route.subdistrict_code = need_string(r, "subdistrict_code");
      d.routes.push_back(route);
    }
  }
  auto [saved, fresh] = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::DepartmentRepo repo(db);
    bool added = !repo.get(d.code);
    data::Department out = repo.put(d);
    data::audit(db, App::now(), principal(ctx).name, added ? "department_add" : "department_change",
                "department:" + d.code, std::to_string(out.routes.size()) + " routes");
    tx.commit();
    return std::make_pair(out, added);
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_department(w, saved);
  Response r = json_response(buf.GetString(), fresh ? 201 : 200);
  if (fresh) r.headers.emplace_back("Location", "/api/v1/departments/" + d.code);
  return r;
}

Response remove(App& app, const Request& req, const Context& ctx) {
  const std::string& code = req.path_params.at("code");
  bool gone = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    bool removed = data::DepartmentRepo(db).remove(code);
    if (removed)
      data::audit(db, App::now(), principal(ctx).name, "department_remove", "department:" + code);
    tx.commit();
    return removed;
  });
  if (!gone) throw Error(ErrorKind::not_found, "no department '" + code + "'");
  Response r;
  r.status = 204;
  return r;
}

}  // namespace

void register_departments(Router& r) {
  r.add("GET", "/api/v1/departments", "departments.list", list);
  r.add("GET", "/api/v1/departments/{code}", "departments.item", item);
  r.add("PUT", "/api/v1/departments/{code}", "departments.put", put);
  r.add("DELETE", "/api/v1/departments/{code}", "departments.delete", remove);
}

}  // namespace gridmap::server
