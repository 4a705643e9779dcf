// A grid worker's field records: visits (入户走访) with their form, the work log as
// entries, and the visit form's fields. A worker records and reads their own; a dispatcher
// reads everyone's; a community's or subdistrict's office reads those of the workers of its
// area (any other worker answers as a missing one).
#include <algorithm>
#include <cstdlib>
#include <map>

#include "data/field_work.hpp"
#include "data/households.hpp"
#include "data/petition_service.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

void write_opt_time(JsonWriter& w, const std::optional<int64_t>& t) {
  if (t)
    write_string(w, data::format_time(*t));
  else
    w.Null();
}

// The answers typed as the form says (a number, a flag, a list of choices, text).
void write_answers(JsonWriter& w, const std::vector<data::FormAnswer>& answers,
                   const std::vector<data::FormField>& form) {
  w.StartObject();
  for (const data::FormAnswer& a : answers) {
    auto f = std::find_if(form.begin(), form.end(),
                          [&](const data::FormField& x) { return x.key == a.field; });
    data::FieldType type = f == form.end() ? data::FieldType::text : f->type;
    w.Key(a.field.c_str(), static_cast<rapidjson::SizeType>(a.field.size()));
    const std::string v = a.values.empty() ? std::string() : a.values.front();
    if (type == data::FieldType::choices) {
      w.StartArray();
      for (const auto& x : a.values) write_string(w, x);
      w.EndArray();
    } else if (type == data::FieldType::integer) {
      w.Int64(std::atoll(v.c_str()));
    } else if (type == data::FieldType::flag) {
      w.Bool(v == "true");
    } else {
      write_string(w, v);
    }
  }
  w.EndObject();
}

void write_visit(JsonWriter& w, const data::Visit& v, const std::vector<data::FormField>& form) {
  w.StartObject();
  w.Key("id");
  w.Int64(v.id);
  w.Key("worker_id");
  w.Int64(v.worker_id);
  w.Key("household_id");
  w.Int64(v.household_id);
  w.Key("grid_code");
  if (v.grid_code)
    write_string(w, *v.grid_code);
  else
    w.Null();
  w.Key("at");
  write_string(w, data::format_time(v.at));
  w.Key("recorded_at");
  write_opt_time(w, v.recorded_at);
  w.Key("position");
  if (v.position)
    write_lonlat(w, *v.position);
  else
    w.Null();
  w.Key("distance_m");
  if (v.distance_m)
    write_number(w, *v.distance_m, 1);
  else
    w.Null();
  w.Key("off_site_reason");
  if (v.off_site_reason)
    write_string(w, *v.off_site_reason);
  else
    w.Null();
  w.Key("duration_min");
  if (v.duration_min)
    w.Int64(*v.duration_min);
  else
    w.Null();
  w.Key("form");
  write_answers(w, v.answers, form);
  w.Key("note");
  write_string(w, v.note);
  w.Key("petition_id");
  if (v.petition_id)
    w.Int64(*v.petition_id);
  else
    w.Null();
  w.EndObject();
}

// Visits as JSON, each with the form of its household's subdistrict (read once per subdistrict).
std::string visits_json(App& app, const std::vector<data::Visit>& visits, bool one) {
  data::FieldWork fw(app.read_db());
  std::map<std::string, std::vector<data::FormField>> forms;
  auto form_for = [&](const data::Visit& v) -> const std::vector<data::FormField>& {
    std::optional<std::string> sub;
    if (auto h = data::HouseholdRepo(app.read_db()).get(v.household_id)) sub = h->subdistrict_code;
    auto it = forms.find(sub.value_or(""));
    if (it == forms.end()) it = forms.emplace(sub.value_or(""), fw.form_of(sub)).first;
    return it->second;
  };
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (!one) w.StartArray();
  for (const auto& v : visits) write_visit(w, v, form_for(v));
  if (!one) w.EndArray();
  return buf.GetString();
}

// A form answer from JSON: a number, a flag, a text or a list of texts.
data::FormAnswer answer_of(const std::string& key, const rapidjson::Value& v) {
  data::FormAnswer a{key, {}};
  auto bad = [&] {
    throw_invalid("form field '" + key + "' takes a number, true/false, a text or a list of texts");
  };
  if (v.IsInt64())
    a.values.push_back(std::to_string(v.GetInt64()));
  else if (v.IsBool())
    a.values.push_back(v.GetBool() ? "true" : "false");
  else if (v.IsString())
    a.values.emplace_back(v.GetString(), v.GetStringLength());
  else if (v.IsArray()) {
    if (v.Size() > 100) bad();
    for (const auto& x : v.GetArray()) {
      if (!x.IsString()) bad();
      a.values.emplace_back(x.GetString(), x.GetStringLength());
    }
  } else
    bad();
  return a;
}

std::optional<int64_t> time_member(const rapidjson::Value& d, const char* name) {
  auto s = opt_string(d, name);
  if (!s) return std::nullopt;
  auto t = data::parse_time(*s);
  if (!t)
    throw_invalid(std::string("'") + name + "' must be a time like 2026-03-01T08:00:00+08:00");
  return t;
}

Response add_visit(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_self(ctx, worker);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object");
  data::NewVisit v;
  v.worker = worker;
  auto household = opt_int(d, "household_id");
  if (!household) throw_invalid("'household_id' is required");
  v.household = *household;
  v.at = time_member(d, "at");
  auto lon = opt_number(d, "lon"), lat = opt_number(d, "lat");
  if (lon.has_value() != lat.has_value()) throw_invalid("give both 'lon' and 'lat', or neither");
  if (lon) v.position = to_wgs84(req, {*lon, *lat});
  v.duration_min = opt_int(d, "duration_min");
  v.note = opt_string(d, "note").value_or("");
  v.off_site_reason = opt_string(d, "off_site_reason");
  if (d.HasMember("form")) {
    const auto& f = d["form"];
    if (!f.IsObject()) throw_invalid("'form' is an object of the visit form's answers");
    for (auto it = f.MemberBegin(); it != f.MemberEnd(); ++it)
      v.answers.push_back(
          answer_of(std::string(it->name.GetString(), it->name.GetStringLength()), it->value));
  }
  const Principal& p = principal(ctx);
  if (ctx.own_only()) v.patch = &p.grids;
  // A need the visit found may become a case in the same step, at the household.
  std::optional<data::NewPetition> raise;
  if (d.HasMember("petition")) {
    const auto& pv = d["petition"];
    if (!pv.IsObject()) throw_invalid("'petition' is an object: category, description, kind");
    data::NewPetition n;
    n.category = need_string(pv, "category");
    n.description = opt_string(pv, "description").value_or("");
    if (auto kind = opt_string(pv, "kind")) {
      auto k = data::parse_kind(*kind);
      if (!k) throw_invalid("kind must be 'appeal' or 'incident', not '" + *kind + "'");
      n.kind = *k;
    }
    n.actor = p.name;
    raise = n;
  }
  auto st = app.locator();
  int64_t now = App::now();
  int64_t id = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::FieldWork fw(db);
    int64_t visit = fw.add_visit(v, now);
    if (raise) {
      auto h = data::HouseholdRepo(db).get(v.household);
      raise->position = h->position;
      auto c = data::PetitionService(db, &app.changes()).create(*raise, st->locator, now);
      fw.link_petition(visit, c.petition.id->value);
    }
    tx.commit();
    return visit;
  });
  Response r =
      json_response(visits_json(app, {*data::FieldWork(app.read_db()).visit(id)}, true), 201);
  r.headers.emplace_back("Location", "/api/v1/visits/" + std::to_string(id));
  return r;
}

Response list_visits(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_worker_in_reach(app, ctx, worker);
  return json_response(visits_json(app, data::FieldWork(app.read_db()).visits_of(worker), false));
}

Response visit_item(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "visit");
  auto v = data::FieldWork(app.read_db()).visit(id);
  try {
    if (v) require_worker_in_reach(app, ctx, v->worker_id);
  } catch (const Error&) {
    v.reset();
  }
  if (!v) throw Error(ErrorKind::not_found, "no visit " + std::to_string(id));
  return json_response(visits_json(app, {*v}, true));
}

Response household_visits(App& app, const Request& req, const Context& ctx) {
  int64_t household = path_id(req, "id", "household");
  if (!record_visible(app, data::Layer::households, ctx, std::to_string(household)))
    throw Error(ErrorKind::not_found, "no household " + std::to_string(household));
  return json_response(
      visits_json(app, data::FieldWork(app.read_db()).visits_to(household), false));
}

// The visit form's fields.
void write_form(JsonWriter& w, const std::optional<std::string>& scope,
                const std::vector<data::FormField>& fields) {
  w.StartObject();
  w.Key("subdistrict");
  if (scope)
    write_string(w, *scope);
  else
    w.Null();
  w.Key("fields");
  w.StartArray();
  for (const auto& f : fields) {
    w.StartObject();
    w.Key("key");
    write_string(w, f.key);
    w.Key("label");
    write_string(w, f.label);
    w.Key("type");
    write_string(w, data::to_string(f.type));
    w.Key("options");
    w.StartArray();
    for (const auto& o : f.options) write_string(w, o);
    w.EndArray();
    w.Key("required");
    w.Bool(f.required);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

Response get_form(App& app, const Request& req, const Context&) {
  auto sub = req.param("subdistrict");
  if (sub && sub->empty()) sub.reset();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_form(w, sub, data::FieldWork(app.read_db()).form_of(sub));
  return json_response(buf.GetString());
}

Response put_form(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject() || !d.HasMember("fields") || !d["fields"].IsArray())
    throw_invalid("expected {\"subdistrict\": CODE or null, \"fields\": [...]}");
  std::optional<std::string> sub;
  if (d.HasMember("subdistrict") && !d["subdistrict"].IsNull()) sub = need_string(d, "subdistrict");
  // A subdistrict's office sets its own form only.
  if (ctx.own_only() && (!sub || principal(ctx).area_code != sub))
    throw Error(ErrorKind::forbidden,
                "a subdistrict's office sets its own subdistrict's form only");
  std::vector<data::FormField> fields;
  for (const auto& f : d["fields"].GetArray()) {
    if (!f.IsObject())
      throw_invalid("each field is an object: key, label, type, options, required");
    data::FormField ff;
    ff.key = need_string(f, "key");
    ff.label = need_string(f, "label");
    std::string type = need_string(f, "type");
    auto t = data::parse_field_type(type);
    if (!t)
      throw_invalid("field type '" + type + "' is not one of integer, text, flag, choice, choices");
    ff.type = *t;
    ff.required = opt_bool(f, "required").value_or(false);
    if (f.HasMember("options")) {
      if (!f["options"].IsArray()) throw_invalid("'options' is a list of texts");
      for (const auto& o : f["options"].GetArray()) {
        if (!o.IsString()) throw_invalid("'options' is a list of texts");
        ff.options.emplace_back(o.GetString(), o.GetStringLength());
      }
    }
    fields.push_back(std::move(ff));
  }
  app.write([&](data::Db& db) {
    data::FieldWork(db).put_form(sub, fields);
    return 0;
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_form(w, sub, data::FieldWork(app.read_db()).form_of(sub));
  return json_response(buf.GetString());
}

// Work-log entries.
void write_entry(JsonWriter& w, const data::LogEntry& e) {
  w.StartObject();
  w.Key("id");
  w.Int64(e.id);
  w.Key("worker_id");
  w.Int64(e.worker_id);
  w.Key("day");
  write_string(w, e.day);
  w.Key("at");
  write_string(w, data::format_time(e.at));
  w.Key("text");
  write_string(w, e.text);
  w.Key("version");
  w.Int64(e.version);
  w.Key("created_at");
  write_string(w, data::format_time(e.created_at));
  w.Key("created_by");
  write_string(w, e.created_by);
  w.Key("edited_at");
  write_opt_time(w, e.edited_at);
  w.Key("edited_by");
  if (e.edited_by)
    write_string(w, *e.edited_by);
  else
    w.Null();
  w.Key("locked");
  w.Bool(e.locked);
  w.EndObject();
}

Response entry_response(const data::LogEntry& e, int status) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_entry(w, e);
  Response r = json_response(buf.GetString(), status);
  r.headers.emplace_back("ETag", "\"v" + std::to_string(e.version) + "\"");
  if (status == 201) r.headers.emplace_back("Location", "/api/v1/worklog/" + std::to_string(e.id));
  return r;
}

Response add_log(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_self(ctx, worker);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject())
    throw_invalid("expected a JSON object: {\"text\": ..., \"at\": optional time}");
  std::string text = need_string(d, "text");
  auto at = time_member(d, "at");
  auto e = app.write([&](data::Db& db) {
    return data::FieldWork(db).add_log(worker, at, text, principal(ctx).name, App::now());
  });
  return entry_response(e, 201);
}

// The entry, when the caller may read it (404 otherwise).
data::LogEntry readable_entry(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "work-log entry");
  auto e = data::FieldWork(app.read_db()).log_entry(id, App::now());
  try {
    if (e) require_worker_in_reach(app, ctx, e->worker_id);
  } catch (const Error&) {
    e.reset();
  }
  if (!e) throw Error(ErrorKind::not_found, "no work-log entry " + std::to_string(id));
  return *e;
}

Response get_log(App& app, const Request& req, const Context& ctx) {
  return entry_response(readable_entry(app, req, ctx), 200);
}

Response edit_log(App& app, const Request& req, const Context& ctx) {
  data::LogEntry cur = readable_entry(app, req, ctx);
  require_self(ctx, cur.worker_id);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object: {\"text\": ...}");
  std::string text = need_string(d, "text");
  auto expected = if_match_version(req);
  if (!expected)
    throw Error(ErrorKind::precondition_required,
                "send the entry's version in If-Match (its ETag), so that two edits cannot cross");
  auto e = app.write([&](data::Db& db) {
    return data::FieldWork(db).edit_log(cur.id, text, expected, principal(ctx).name, App::now());
  });
  return entry_response(e, 200);
}

Response log_versions(App& app, const Request& req, const Context& ctx) {
  data::LogEntry e = readable_entry(app, req, ctx);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& v : data::FieldWork(app.read_db()).log_versions(e.id)) {
    w.StartObject();
    w.Key("version");
    w.Int64(v.version);
    w.Key("text");
    write_string(w, v.text);
    w.Key("written_at");
    write_string(w, data::format_time(v.written_at));
    w.Key("written_by");
    write_string(w, v.written_by);
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

Response list_logs(App& app, const Request& req, const Context& ctx) {
  data::LogQuery q;
  if (auto w = req.param("worker")) {
    try {
      q.worker = std::stoll(*w);
    } catch (const std::exception&) {
      throw_invalid("'worker' is a worker id");
    }
  }
  q.from_day = req.param("from");
  q.to_day = req.param("to");
  q.limit = limit_param(req, q.limit);
  const Principal& p = principal(ctx);
  if (ctx.own_only()) {
    if (p.worker_id) {
      if (q.worker && *q.worker != *p.worker_id)
        throw Error(ErrorKind::forbidden, "a worker reads their own log");
      q.worker = *p.worker_id;
    } else {
      q.grids = &p.grids;  // the workers of the supervisor's area
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& e : data::FieldWork(app.read_db()).logs(q, App::now())) write_entry(w, e);
  w.EndArray();
  return json_response(buf.GetString());
}

// The day routes of the earlier API: PUT adds the day's text as an entry, or edits the
// day's last entry (its old text kept as a version); GET gives the day's entries and their
// texts joined.
std::string day_param(const Request& req) {
  const std::string& day = req.path_params.at("day");
  if (day.size() != 10 || !data::parse_time(day)) throw_invalid("the day must be YYYY-MM-DD");
  return day;
}

Response put_day_log(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_self(ctx, worker);
  std::string day = day_param(req);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object: {\"text\": ...}");
  std::string text = need_string(d, "text");
  int64_t now = App::now();
  auto e = app.write([&](data::Db& db) {
    data::FieldWork fw(db);
    auto day_entries = fw.logs({worker, day, day, nullptr, 5000}, now);
    if (!day_entries.empty())
      return fw.edit_log(day_entries.back().id, text, std::nullopt, principal(ctx).name, now);
    // The day's evening (18:00 China time), or now when that is still to come.
    int64_t at = std::min(now, *data::parse_time(day) + 18 * 3600);
    return fw.add_log(worker, at, text, principal(ctx).name, now);
  });
  return entry_response(e, 200);
}

Response get_day_log(App& app, const Request& req, const Context& ctx) {
  int64_t worker = path_id(req, "id", "worker");
  require_worker_in_reach(app, ctx, worker);
  std::string day = day_param(req);
  auto entries = data::FieldWork(app.read_db()).logs({worker, day, day, nullptr, 5000}, App::now());
  std::string text;
  for (const auto& e : entries) text += (text.empty() ? "" : "\n") + e.text;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("day");
  write_string(w, day);
  w.Key("text");
  write_string(w, text);  // a day without a log yet is an empty log
  w.Key("entries");
  w.StartArray();
  for (const auto& e : entries) write_entry(w, e);
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

}  // namespace

void require_worker_in_reach(App& app, const Context& ctx, int64_t worker) {
  if (!ctx.own_only()) return;
  const Principal& p = principal(ctx);
  if (p.worker_id) {
    require_self(ctx, worker);
    return;
  }
  auto grids = data::FieldWork(app.read_db()).grids_of(worker);
  bool shared = std::any_of(grids.begin(), grids.end(), [&](const std::string& g) {
    return std::find(p.grids.begin(), p.grids.end(), g) != p.grids.end();
  });
  if (!shared) throw Error(ErrorKind::not_found, "no worker " + std::to_string(worker));
}

void register_field_work(Router& r) {
  r.add("POST", "/api/v1/workers/{id}/visits", "visits.create", add_visit);
  r.add("GET", "/api/v1/workers/{id}/visits", "visits.list", list_visits);
  r.add("GET", "/api/v1/visits/{id}", "visits.item", visit_item);
  r.add("GET", "/api/v1/households/{id}/visits", "households.visits", household_visits);
  r.add("GET", "/api/v1/visit-form", "visitform.get", get_form);
  r.add("PUT", "/api/v1/visit-form", "visitform.put", put_form);
  r.add("POST", "/api/v1/workers/{id}/worklog", "worklog.create", add_log);
  r.add("GET", "/api/v1/worklog", "worklog.list", list_logs);
  r.add("GET", "/api/v1/worklog/{id}", "worklog.item", get_log);
  r.add("PATCH", "/api/v1/worklog/{id}", "worklog.edit", edit_log);
  r.add("GET", "/api/v1/worklog/{id}/versions", "worklog.versions", log_versions);
  r.add("PUT", "/api/v1/workers/{id}/worklog/{day}", "worklog.put", put_day_log);
  r.add("GET", "/api/v1/workers/{id}/worklog/{day}", "worklog.get", get_day_log);
}

}  // namespace gridmap::server
