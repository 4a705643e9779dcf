// The category catalogue (事项目录) over HTTP: everyone signed in reads it (a worker picks a
// category when reporting); an admin adds, changes and removes entries. Changes are audited.
#include "data/catalogue.hpp"
#include "data/audit.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

void write_entry(JsonWriter& w, const data::CatalogueEntry& e) {
  w.StartObject();
  w.Key("code");
  write_string(w, e.code);
  w.Key("name");
  write_string(w, e.name);
  w.Key("name_en");
  write_string(w, e.name_en);
  w.Key("parent");
  if (e.parent)
    write_string(w, *e.parent);
  else
    w.Null();
  w.Key("level");
  write_string(w, data::to_string(e.level));
  w.Key("deadline");
  write_string(w, data::deadline_text(e));
  w.Key("on_site_close");
  w.Bool(e.on_site_close);
  w.Key("photos_to_close");
  w.Bool(e.photos_to_close);
  w.EndObject();
}

Response list(App& app, const Request&, const Context&) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("categories");
  w.StartArray();
  for (const data::CatalogueEntry& e : data::Catalogue(app.read_db()).list()) write_entry(w, e);
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

Response item(App& app, const Request& req, const Context&) {
  const std::string& code = req.path_params.at("code");
  std::optional<data::CatalogueEntry> e = data::Catalogue(app.read_db()).get(code);
  if (!e) throw Error(ErrorKind::not_found, "no category '" + code + "'");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_entry(w, *e);
  return json_response(buf.GetString());
}

// PUT /api/v1/catalogue/{code}: the whole entry (name and deadline required).
Response put(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject())
    throw_invalid("expected a JSON object: {\"name\": ..., \"deadline\": \"72h\" or \"5d\", ...}");
  data::CatalogueEntry e;
  e.code = req.path_params.at("code");
  if (auto code = opt_string(d, "code"); code && *code != e.code)
    throw_invalid("the body's code '" + *code + "' is not the code in the path");
  e.name = need_string(d, "name");
  e.name_en = opt_string(d, "name_en").value_or("");
  if (d.HasMember("parent") && !d["parent"].IsNull()) e.parent = need_string(d, "parent");
  if (auto level = opt_string(d, "level")) {
    auto l = data::parse_level(*level);
    if (!l)
      throw_invalid("level '" + *level + "' is not grid, community, subdistrict or department");
    e.level = *l;
  }
  data::parse_deadline(need_string(d, "deadline"), e);
  e.on_site_close = opt_bool(d, "on_site_close").value_or(true);
  e.photos_to_close = opt_bool(d, "photos_to_close").value_or(false);
  bool fresh = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    bool added = data::Catalogue(db).put(e);
    data::audit(db, App::now(), principal(ctx).name, added ? "catalogue_add" : "catalogue_change",
                "category:" + e.code, data::deadline_text(e));
    tx.commit();
    return added;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_entry(w, e);
  Response r = json_response(buf.GetString(), fresh ? 201 : 200);
  if (fresh) r.headers.emplace_back("Location", "/api/v1/catalogue/" + e.code);
  return r;
}

Response remove(App& app, const Request& req, const Context& ctx) {
  const std::string& code = req.path_params.at("code");
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::Catalogue(db).remove(code);
    data::audit(db, App::now(), principal(ctx).name, "catalogue_remove", "category:" + code);
    tx.commit();
    return 0;
  });
  Response r;
  r.status = 204;
  return r;
}

}  // namespace

void register_catalogue(Router& r) {
  r.add("GET", "/api/v1/catalogue", "catalogue.list", list);
  r.add("GET", "/api/v1/catalogue/{code}", "catalogue.item", item);
  r.add("PUT", "/api/v1/catalogue/{code}", "catalogue.put", put);
  r.add("DELETE", "/api/v1/catalogue/{code}", "catalogue.delete", remove);
}

}  // namespace gridmap::server
