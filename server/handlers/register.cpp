// The register (一标三实) over HTTP: residents created, edited, moved out or dead, tagged;
// units (实有单位); the import of a register file and its template. Personal data is read
// masked; a reveal says why and is audited, as are imports.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "data/audit.hpp"
#include "data/register.hpp"
#include "data/residents.hpp"
#include "data/stats.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

void opt(JsonWriter& w, const char* key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v)
    write_string(w, *v);
  else
    w.Null();
}

void write_person(JsonWriter& w, const data::Person& p) {
  w.StartObject();
  w.Key("id");
  w.Int64(*p.id);
  w.Key("household_id");
  w.Int64(p.household_id);
  w.Key("name");
  write_string(w, p.name);
  opt(w, "phone", p.phone);
  opt(w, "id_number", p.id_number);
  w.Key("relation");
  write_string(w, data::to_string(p.relation));
  opt(w, "gender", p.gender);
  opt(w, "birth_date", p.birth_date);
  w.Key("status");
  write_string(w, data::to_string(p.status));
  w.Key("status_at");
  if (p.status_at)
    write_string(w, data::format_time(*p.status_at));
  else
    w.Null();
  opt(w, "notes", p.notes);
  w.Key("tags");
  w.StartArray();
  for (const auto& t : p.tags) {
    w.StartObject();
    w.Key("tag");
    write_string(w, data::to_string(t.tag));
    w.Key("label");
    write_string(w, data::chinese_name(t.tag));
    w.Key("set_by");
    write_string(w, t.set_by);
    w.Key("set_at");
    write_string(w, data::format_time(t.set_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

Response person_response(const data::Person& p, int status = 200, bool reveal = false) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_person(w, p);
  Response r = json_response(buf.GetString(), status);
  if (reveal) r.headers.emplace_back("Cache-Control", "no-store");
  if (status == 201)
    r.headers.emplace_back("Location", "/api/v1/residents/" + std::to_string(*p.id));
  return r;
}

void write_unit(JsonWriter& w, const data::UnitRecord& u) {
  w.StartObject();
  w.Key("id");
  w.Int64(*u.id);
  w.Key("name");
  write_string(w, u.name);
  w.Key("kind");
  write_string(w, data::to_string(u.kind));
  opt(w, "credit_code", u.credit_code);
  opt(w, "contact_name", u.contact_name);
  opt(w, "contact_phone", u.contact_phone);
  w.Key("address");
  write_string(w, u.address);
  w.Key("position");
  if (u.position)
    write_lonlat(w, *u.position);
  else
    w.Null();
  opt(w, "grid_code", u.grid_code);
  opt(w, "community_code", u.community_code);
  opt(w, "subdistrict_code", u.subdistrict_code);
  w.EndObject();
}

// The household must be within the caller's patch (404 otherwise, as a missing one).
void require_household(App& app, const Context& ctx, int64_t household) {
  auto grid = data::household_grid(app.read_db(), household);
  if (!grid || !in_patch(ctx, grid))
    throw Error(ErrorKind::not_found, "no household " + std::to_string(household));
}

// The resident, when in the caller's patch (404 otherwise).
data::Person reachable_person(App& app, const Context& ctx, int64_t id) {
  auto p = data::Register(app.read_db()).person(id, false);
  auto grid = p ? data::household_grid(app.read_db(), p->household_id) : std::nullopt;
  if (!p || !grid || !in_patch(ctx, grid))
    throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  return *p;
}

data::PersonEdit edit_of(const rapidjson::Value& d) {
  if (!d.IsObject()) throw_invalid("expected a JSON object");
  data::PersonEdit e;
  e.name = opt_string(d, "name");
  e.phone = opt_string(d, "phone");
  e.id_number = opt_string(d, "id_number");
  e.notes = opt_string(d, "notes");
  e.gender = opt_string(d, "gender");
  e.birth_date = opt_string(d, "birth_date");
  if (auto r = opt_string(d, "relation")) {
    e.relation = data::parse_relation(*r);
    if (!e.relation)
      throw_invalid(
          "relation is head, spouse, child, parent, grandchild, grandparent, sibling or other");
  }
  if (auto s = opt_string(d, "status")) {
    e.status = data::parse_resident_status(*s);
    if (!e.status) throw_invalid("status is present, moved_out or deceased");
  }
  if (auto at = opt_string(d, "status_at")) {
    e.status_at = data::parse_time(*at);
    if (!e.status_at) throw_invalid("status_at is a time like 2026-03-01T08:00:00+08:00");
  }
  return e;
}

void audit(App& app, const Context& ctx, const std::string& action, const std::string& subject,
           const std::string& detail = "") {
  app.write([&](data::Db& db) {
    data::audit(db, App::now(), principal(ctx).name, action, subject, detail);
    return 0;
  });
}

Response create_person(App& app, const Request& req, const Context& ctx) {
  int64_t household = path_id(req, "id", "household");
  require_household(app, ctx, household);
  rapidjson::Document d = parse_json(req.body);
  data::PersonEdit e = edit_of(d);
  if (!e.name) throw_invalid("'name' is required");
  data::Person p;
  p.household_id = household;
  p.name = *e.name;
  p.phone = e.phone;
  p.id_number = e.id_number;
  p.notes = e.notes;
  p.gender = e.gender;
  p.birth_date = e.birth_date;
  p.relation = e.relation.value_or(data::Relation::other);
  int64_t id = app.write([&](data::Db& db) {
    int64_t id = data::Register(db).add_person(p, App::now());
    data::audit(db, App::now(), principal(ctx).name, "create_resident",
                "resident:" + std::to_string(id));
    return id;
  });
  return person_response(*data::Register(app.read_db()).person(id, false), 201);
}

Response get_person(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  data::Person p = reachable_person(app, ctx, id);
  audit(app, ctx, "read_residents", "resident:" + std::to_string(id), "1 record, masked");
  return person_response(p);
}

Response update_person(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  reachable_person(app, ctx, id);
  rapidjson::Document d = parse_json(req.body);
  data::PersonEdit e = edit_of(d);
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::Register(db).edit_person(id, e, App::now());
    std::string what = e.status ? " status " + std::string(data::to_string(*e.status)) : "";
    data::audit(db, App::now(), principal(ctx).name, "update_resident",
                "resident:" + std::to_string(id), what);
    tx.commit();
    return 0;
  });
  return person_response(*data::Register(app.read_db()).person(id, false));
}

data::Tag tag_path(const Request& req) {
  auto t = data::parse_tag(req.path_params.at("tag"));
  if (!t)
    throw_invalid(
        "tag is lonely_elderly, disabled, low_income, special_care, left_behind_child or "
        "key_person");
  return *t;
}

Response set_tag(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  reachable_person(app, ctx, id);
  data::Tag tag = tag_path(req);
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::Register(db).set_tag(id, tag, principal(ctx).name, App::now());
    data::audit(db, App::now(), principal(ctx).name, "tag_resident",
                "resident:" + std::to_string(id), std::string(data::to_string(tag)));
    tx.commit();
    return 0;
  });
  return person_response(*data::Register(app.read_db()).person(id, false));
}

Response clear_tag(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  reachable_person(app, ctx, id);
  data::Tag tag = tag_path(req);
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    if (data::Register(db).clear_tag(id, tag))
      data::audit(db, App::now(), principal(ctx).name, "untag_resident",
                  "resident:" + std::to_string(id), std::string(data::to_string(tag)));
    tx.commit();
    return 0;
  });
  return no_content();
}

// People who need attention, masked: a worker's patch, everyone for an admin.
Response tagged(App& app, const Request& req, const Context& ctx) {
  std::optional<data::Tag> tag;
  if (auto t = req.param("tag")) {
    tag = data::parse_tag(*t);
    if (!tag) throw_invalid("unknown tag '" + *t + "'");
  }
  const std::vector<std::string>* grids = ctx.own_only() ? &principal(ctx).grids : nullptr;
  auto people = data::Register(app.read_db()).tagged(tag, grids, limit_param(req));
  audit(app, ctx, "read_residents", "tagged:" + std::string(tag ? data::to_string(*tag) : "any"),
        std::to_string(people.size()) + " records, masked");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& p : people) write_person(w, p);
  w.EndArray();
  return json_response(buf.GetString());
}

// Units.
data::UnitRecord unit_of(App& app, const Request& req) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object");
  data::UnitRecord u;
  u.name = need_string(d, "name");
  if (auto k = opt_string(d, "kind")) {
    auto kind = data::parse_unit_kind(*k);
    if (!kind) throw_invalid("kind is shop, company, organisation, school or other");
    u.kind = *kind;
  }
  u.credit_code = opt_string(d, "credit_code");
  u.contact_name = opt_string(d, "contact_name");
  u.contact_phone = opt_string(d, "contact_phone");
  u.address = opt_string(d, "address").value_or("");
  auto lon = opt_number(d, "lon"), lat = opt_number(d, "lat");
  if (lon.has_value() != lat.has_value()) throw_invalid("give both 'lon' and 'lat', or neither");
  if (lon) u.position = to_wgs84(req, {*lon, *lat});
  (void)app;
  return u;
}

void require_unit(App& app, const Context& ctx, int64_t id) {
  auto grid = data::Register(app.read_db()).unit_grid(id);
  if (!grid || !in_patch(ctx, grid))
    throw Error(ErrorKind::not_found, "no unit " + std::to_string(id));
}

Response unit_response(App& app, int64_t id, int status, bool reveal = false) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_unit(w, *data::Register(app.read_db()).unit(id, reveal));
  Response r = json_response(buf.GetString(), status);
  if (status == 201) r.headers.emplace_back("Location", "/api/v1/units/" + std::to_string(id));
  if (reveal) r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response list_units(App& app, const Request& req, const Context& ctx) {
  const std::vector<std::string>* grids = ctx.own_only() ? &principal(ctx).grids : nullptr;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& u : data::Register(app.read_db()).units(grids, limit_param(req), false))
    write_unit(w, u);
  w.EndArray();
  return json_response(buf.GetString());
}

Response get_unit(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "unit");
  require_unit(app, ctx, id);
  return unit_response(app, id, 200);
}

Response reveal_unit(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "unit");
  require_unit(app, ctx, id);
  std::string reason = reason_param(req);
  audit(app, ctx, "reveal_unit_contact", "unit:" + std::to_string(id), reason);
  return unit_response(app, id, 200, true);
}

Response put_unit(App& app, const Request& req, const Context& ctx, bool create) {
  data::UnitRecord u = unit_of(app, req);
  if (!create) {
    u.id = path_id(req, "id", "unit");
    require_unit(app, ctx, *u.id);
  }
  auto st = app.locator();
  // A worker places units in their own grids only.
  if (ctx.own_only()) {
    const data::GridLineage* g = u.position ? st->locator.locate(*u.position) : nullptr;
    if (!g || !in_patch(ctx, g->grid_code.value))
      throw Error(ErrorKind::forbidden,
                  "a worker records units in their own grids: give a position there");
  }
  int64_t id = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    int64_t id = data::Register(db).put_unit(u, &st->locator);
    data::audit(db, App::now(), principal(ctx).name, create ? "create_unit" : "update_unit",
                "unit:" + std::to_string(id));
    tx.commit();
    return id;
  });
  return unit_response(app, id, create ? 201 : 200);
}

Response delete_unit(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "unit");
  bool gone = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    bool ok = data::Register(db).delete_unit(id);
    if (ok)
      data::audit(db, App::now(), principal(ctx).name, "delete_unit", "unit:" + std::to_string(id));
    tx.commit();
    return ok;
  });
  if (!gone) throw Error(ErrorKind::not_found, "no unit " + std::to_string(id));
  return no_content();
}

// The import: CSV (UTF-8 or GBK) or a workbook (.xlsx/.ods by its content); all rows or none
// unless skip_invalid=true; 422 with every row's reason when nothing was imported.
Response import(App& app, const Request& req, const Context& ctx) {
  if (req.body.empty())
    throw_invalid("send the register file as the body (CSV, or an .xlsx/.ods workbook)");
  data::RegisterImportOptions o;
  o.encoding = req.param("encoding");
  auto skip = req.param("skip_invalid").value_or("false");
  if (skip != "true" && skip != "false") throw_invalid("skip_invalid is true or false");
  o.skip_invalid = skip == "true";
  o.actor = principal(ctx).name;
  o.now = App::now();
  std::unique_ptr<std::istream> in;
  bool zip = req.body.rfind("PK\x03\x04", 0) == 0;  // .xlsx and .ods are zip files
  if (zip) {
    // GDAL reads a workbook from a file: a private one (0600, a unique name), removed at once.
    std::string path =
        (std::filesystem::temp_directory_path() / "gridmap-register-XXXXXX").string();
    int fd = ::mkstemp(path.data());
    if (fd < 0)
      throw Error(ErrorKind::unavailable, "cannot make a temporary file for the workbook");
    struct Remove {
      std::string p;
      ~Remove() { std::remove(p.c_str()); }
    } remove{path};
    size_t done = 0;
    while (done < req.body.size()) {
      ssize_t n = ::write(fd, req.body.data() + done, req.body.size() - done);
      if (n <= 0) {
        ::close(fd);
        throw Error(ErrorKind::unavailable, "cannot write the workbook to a temporary file");
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    in = std::make_unique<std::istringstream>(data::sheet_csv(data::read_sheet(path)));
  } else {
    in = std::make_unique<std::istringstream>(req.body);
  }
  auto st = app.locator();
  data::RegisterImportReport r = app.write([&](data::Db& db) {
    auto r = data::import_register(db, st->locator, *in, o);
    if (r.committed) {
      data::audit(db, App::now(), o.actor, "import_register", "register",
                  std::to_string(r.rows) + " rows, " + std::to_string(r.rejected) + " rejected");
      // The tiles, heat and counts of households read them again, once.
      if (r.households_created > 0)
        app.changes().publish(db, {data::Layer::households, data::kManyRecords, {}, {}});
    }
    return r;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  if (!r.committed) {
    w.Key("type");
    write_string(w, problem_type_uri("invalid_input"));
    w.Key("title");
    write_string(w, "Invalid input");
    w.Key("status");
    w.Int(422);
    w.Key("detail");
    write_string(
        w, std::to_string(r.rejected) + " of " + std::to_string(r.rows) +
               " rows cannot be used; nothing was imported (fix them or send skip_invalid=true)");
  }
  w.Key("committed");
  w.Bool(r.committed);
  for (auto [k, v] : {std::pair{"rows", r.rows},
                      {"households_created", r.households_created},
                      {"households_matched", r.households_matched},
                      {"residents_created", r.residents_created},
                      {"residents_updated", r.residents_updated},
                      {"rejected", r.rejected},
                      {"unparsed_addresses", r.unparsed_addresses}}) {
    w.Key(k);
    w.Int64(v);
  }
  w.Key("issues");
  w.StartArray();
  for (const auto& i : r.issues) {
    w.StartObject();
    w.Key("row");
    w.Int64(i.row);
    w.Key("rejected");
    w.Bool(i.rejected);
    w.Key("message");
    write_string(w, i.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  Response res = json_response(buf.GetString(), r.committed ? 200 : 422);
  if (!r.committed) res.content_type = "application/problem+json";
  return res;
}

// The whole register, unmasked, for an admin: every export audited with its size.
Response export_file(App& app, const Request& req, const Context& ctx) {
  std::string format = req.param("format").value_or("xlsx");
  if (format != "xlsx" && format != "csv") throw_invalid("format is xlsx or csv");
  data::Sheet sheet = data::register_sheet(app.read_db());
  audit(app, ctx, "export_register", "register",
        std::to_string(sheet.rows.size()) + " rows, " + format);
  Response r;
  r.status = 200;
  r.body = format == "xlsx" ? data::sheet_xlsx(sheet) : data::sheet_csv(sheet);
  r.content_type = format == "xlsx"
                       ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                       : "text/csv; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"register." + format + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response template_file(App&, const Request& req, const Context&) {
  std::string format = req.param("format").value_or("xlsx");
  if (format != "xlsx" && format != "csv") throw_invalid("format is xlsx or csv");
  data::Sheet sheet;
  sheet.name = "实有人口";
  sheet.headers = data::register_headers();
  std::vector<data::SheetCell> row;
  for (const auto& v : data::register_example_row()) row.emplace_back(v);
  sheet.rows.push_back(std::move(row));
  bool xlsx = format == "xlsx";
  Response r;
  r.status = 200;
  r.body = xlsx ? data::sheet_xlsx(sheet) : data::sheet_csv(sheet);
  r.content_type = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        : "text/csv; charset=utf-8";
  r.headers.emplace_back(
      "Content-Disposition",
      std::string("attachment; filename=\"register-template.") + (xlsx ? "xlsx" : "csv") + "\"");
  return r;
}

}  // namespace

void register_register(Router& r) {
  r.add("POST", "/api/v1/households/{id}/residents", "residents.create", create_person);
  r.add("GET", "/api/v1/residents/{id}", "residents.item", get_person);
  r.add("PATCH", "/api/v1/residents/{id}", "residents.update", update_person);
  r.add("PUT", "/api/v1/residents/{id}/tags/{tag}", "residents.tag", set_tag);
  r.add("DELETE", "/api/v1/residents/{id}/tags/{tag}", "residents.untag", clear_tag);
  r.add("GET", "/api/v1/residents", "residents.tagged", tagged);
  r.add("GET", "/api/v1/units", "units.list", list_units);
  r.add("POST", "/api/v1/units", "units.create",
        [](App& a, const Request& q, const Context& c) { return put_unit(a, q, c, true); });
  r.add("GET", "/api/v1/units/{id}", "units.item", get_unit);
  r.add("PUT", "/api/v1/units/{id}", "units.update",
        [](App& a, const Request& q, const Context& c) { return put_unit(a, q, c, false); });
  r.add("DELETE", "/api/v1/units/{id}", "units.delete", delete_unit);
  r.add("POST", "/api/v1/units/{id}/reveal", "units.reveal", reveal_unit);
  r.add("POST", "/api/v1/register/import", "register.import", import);
  r.add("GET", "/api/v1/register/template", "register.template", template_file);
  r.add("GET", "/api/v1/register/export", "register.export", export_file);
}

}  // namespace gridmap::server
