// Residents' personal data: masked lists, explicit reveal, secure delete — every read and
// reveal written to the audit log. Also the reveal of a petition's reporter contact.
#include "data/residents.hpp"
#include "data/audit.hpp"
#include "data/petitions.hpp"
#include "data/subject_rights.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

void write_resident(JsonWriter& w, const data::Resident& r) {
  w.StartObject();
  w.Key("id");
  w.Int64(*r.id);
  w.Key("household_id");
  w.Int64(r.household_id);
  w.Key("name");
  write_string(w, r.name);
  w.Key("phone");
  if (r.phone)
    write_string(w, *r.phone);
  else
    w.Null();
  w.Key("id_number");
  if (r.id_number)
    write_string(w, *r.id_number);
  else
    w.Null();
  w.Key("notes");
  if (r.notes)
    write_string(w, *r.notes);
  else
    w.Null();
  w.EndObject();
}

// The household must exist and be within the caller's patch (404 otherwise).
void check_household(App& app, const Context& ctx, int64_t household) {
  auto grid = data::household_grid(app.read_db(), household);
  if (!grid || !in_patch(ctx, grid))
    throw Error(ErrorKind::not_found, "no household " + std::to_string(household));
}

Response list(App& app, const Request& req, const Context& ctx) {
  int64_t household = path_id(req, "id", "household");
  check_household(app, ctx, household);
  auto rows = data::residents_of(app.read_db(), household, false);
  app.write([&](data::Db& db) {
    data::audit(db, App::now(), principal(ctx).name, "read_residents",
                "household:" + std::to_string(household),
                std::to_string(rows.size()) + " records, masked");
    return 0;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& r : rows) write_resident(w, r);
  w.EndArray();
  return json_response(buf.GetString());
}

Response reveal(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  auto r = data::resident(app.read_db(), id, true);
  // Outside the caller's patch a resident answers exactly as a missing one.
  auto grid = r ? data::household_grid(app.read_db(), r->household_id) : std::nullopt;
  if (!r || !grid || !in_patch(ctx, grid))
    throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  std::string reason = reason_param(req);
  app.write([&](data::Db& db) {
    data::audit(db, App::now(), principal(ctx).name, "reveal_resident",
                "resident:" + std::to_string(id), reason);
    return 0;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_resident(w, *r);
  Response res = json_response(buf.GetString());
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

Response remove(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  bool gone = app.write([&](data::Db& db) {
    bool ok = data::delete_resident(db, id);
    if (ok) {
      data::Transaction tx(db);
      data::audit(db, App::now(), principal(ctx).name, "delete_resident",
                  "resident:" + std::to_string(id));
      tx.commit();
    }
    return ok;
  });
  if (!gone) throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  Response res;
  res.status = 204;
  return res;
}

Response reveal_contact(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "petition");
  auto p = data::PetitionRepo(app.read_db()).get(PetitionId{id});
  if (!p) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id));
  std::string reason = reason_param(req);
  app.write([&](data::Db& db) {
    data::audit(db, App::now(), principal(ctx).name, "reveal_reporter_contact",
                "petition:" + std::to_string(id), reason);
    return 0;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("reporter_contact");
  if (p->reporter_contact)
    write_string(w, *p->reporter_contact);
  else
    w.Null();
  w.EndObject();
  Response res = json_response(buf.GetString());
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

// PIPL 查阅: everything held about one person (admin; audited), as JSON.
Response export_person(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  data::PersonalDataExport e = app.write([&](data::Db& db) {
    data::PersonalDataExport out = data::export_resident(db, id);
    data::audit(db, App::now(), principal(ctx).name, "export_personal_data",
                "resident:" + std::to_string(id),
                "cases " + std::to_string(out.cases) + ", visits " + std::to_string(out.visits));
    return out;
  });
  Response res = json_response(e.json);
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

// PIPL 删除: the person erased everywhere (admin; the reason goes to the audit log).
Response erase_person(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "resident");
  std::string reason = reason_param(req);
  data::Erasure e = app.write([&](data::Db& db) {
    return data::erase_resident(db, id, principal(ctx).name, reason, App::now());
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("resident_id");
  w.Int64(e.resident_id);
  w.Key("cases");
  w.Int64(e.cases);
  w.Key("visits");
  w.Int64(e.visits);
  w.Key("followups");
  w.Int64(e.followups);
  w.Key("tags");
  w.Int64(e.tags);
  w.Key("wal_truncated");
  w.Bool(e.wal_truncated);
  w.EndObject();
  return json_response(buf.GetString());
}

}  // namespace

void register_residents(Router& r) {
  r.add("GET", "/api/v1/residents/{id}/export", "residents.export", export_person);
  r.add("POST", "/api/v1/residents/{id}/erase", "residents.erase", erase_person);
  r.add("GET", "/api/v1/households/{id}/residents", "residents.list", list);
  r.add("POST", "/api/v1/residents/{id}/reveal", "residents.reveal", reveal);
  r.add("DELETE", "/api/v1/residents/{id}", "residents.delete", remove);
  r.add("POST", "/api/v1/petitions/{id}/reveal", "petitions.reveal", reveal_contact);
}

}  // namespace gridmap::server
