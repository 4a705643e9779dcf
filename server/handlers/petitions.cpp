// Petitions: create at a point, transitions through the lifecycle, history, follow-ups and
// duplicates.
#include "data/features.hpp"
#include "data/petition_service.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/feature_json.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

PetitionId petition_path(const Request& req) {
  return PetitionId{path_id(req, "id", "petition")};
}

std::optional<WorkerId> worker_of(const Context& ctx) {
  if (auto w = principal(ctx).worker_id) return WorkerId{*w};
  return std::nullopt;
}

std::string actor(const Context& ctx) {
  return principal(ctx).name;
}

void require_visible(App& app, const Context& ctx, PetitionId id) {
  if (!record_visible(app, data::Layer::petitions, ctx, std::to_string(id.value)))
    throw Error(ErrorKind::not_found, "no petition " + std::to_string(id.value));
}

Response with_feature(App& app, PetitionId id, int status) {
  auto f = data::get_feature(app.read_db(), data::Layer::petitions, std::to_string(id.value),
                             App::now());
  Response r = geojson_response(feature_json(*f), status);
  r.headers.emplace_back("ETag", "\"v" + std::to_string(f->version) + "\"");
  return r;
}

Response create(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object or GeoJSON Feature");
  const rapidjson::Value& props =
      d.HasMember("properties") && d["properties"].IsObject() ? d["properties"] : d;
  data::NewPetition n;
  LonLat raw;
  if (d.HasMember("geometry") && d["geometry"].IsObject()) {
    const auto& c = d["geometry"]["coordinates"];
    if (!c.IsArray() || c.Size() != 2 || !c[0].IsNumber() || !c[1].IsNumber())
      throw_invalid("geometry must be a Point [lon, lat]");
    raw = {c[0].GetDouble(), c[1].GetDouble()};
  } else {
    auto lon = opt_number(d, "lon"), lat = opt_number(d, "lat");
    if (!lon || !lat)
      throw_invalid("give the place as 'lon' and 'lat' or a GeoJSON Point geometry");
    raw = {*lon, *lat};
  }
  n.position = to_wgs84(req, raw);
  if (auto kind = opt_string(props, "kind")) {
    auto k = data::parse_kind(*kind);
    if (!k) throw_invalid("kind must be 'appeal' or 'incident', not '" + *kind + "'");
    n.kind = *k;
  }
  n.category = need_string(props, "category");
  n.description = opt_string(props, "description").value_or("");
  n.reporter_contact = opt_string(props, "reporter_contact");
  n.actor = actor(ctx);
  auto st = app.locator();
  data::CreatedPetition c = app.write([&](data::Db& db) {
    return data::PetitionService(db, &app.changes()).create(n, st->locator, App::now());
  });
  auto f = data::get_feature(app.read_db(), data::Layer::petitions,
                             std::to_string(c.petition.id->value), App::now());
  // The feature plus the possible duplicates the dispatcher should look at.
  // Only those the caller may read: a worker's list must not reveal other grids' cases.
  // Anyone may report anywhere, so judge by the scope of reading a petition, not of this route.
  Context reading = ctx;
  reading.scope = scope_of(*rule_for("petitions.item"), principal(ctx).role);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_feature_members(w, *f);
  w.Key("possible_duplicates");
  w.StartArray();
  for (PetitionId other : c.possible_duplicates)
    if (record_visible(app, data::Layer::petitions, reading, std::to_string(other.value)))
      w.Int64(other.value);
  w.EndArray();
  w.EndObject();
  Response r = json_response(buf.GetString(), 201);
  r.headers.emplace_back("ETag", "\"v" + std::to_string(f->version) + "\"");
  r.headers.emplace_back("Location", "/api/v1/petitions/" + std::to_string(c.petition.id->value));
  return r;
}

Response transition(App& app, const Request& req, const Context& ctx) {
  PetitionId id = petition_path(req);
  require_visible(app, ctx, id);
  rapidjson::Document d = parse_json(req.body);
  data::Change c;
  if (auto action = opt_string(d, "action")) {
    auto a = data::parse_action(*action);
    if (!a || a == data::Action::report)
      throw_invalid(
          "unknown action '" + *action +
          "' (use transition, escalate, reassign, supervise, request_extension, approve_extension, "
          "refuse_extension, merge or unmerge)");
    c.action = *a;
  }
  if (auto to = opt_string(d, "to")) {
    c.to = data::parse_status(*to);
    if (!c.to) throw_invalid("unknown status '" + *to + "' (use " + data::status_names() + ")");
  }
  if (c.action == data::Action::transition && !c.to)
    throw_invalid("'to' is required (the target status)");
  if (auto w = opt_int(d, "worker_id")) c.worker_id = WorkerId{*w};
  if (auto until = opt_string(d, "until")) {
    c.until = data::parse_time(*until);
    if (!c.until) throw_invalid("'until' is not a time: " + *until);
  }
  c.note = opt_string(d, "note").value_or("");
  if (c.note.size() > 10000) throw_invalid("note is longer than 10,000 bytes");
  c.actor = actor(ctx);
  c.role = principal(ctx).role;
  c.actor_worker = worker_of(ctx);
  c.actor_area = principal(ctx).area_code;
  c.actor_department = principal(ctx).department_id;
  c.department = opt_string(d, "department");
  if (auto m = opt_int(d, "master_id")) {
    // The master must be a case the caller can read: merging cannot probe for others.
    c.master = PetitionId{*m};
    if (!record_visible(app, data::Layer::petitions, ctx, std::to_string(*m)))
      throw_invalid("no petition " + std::to_string(*m) + " to merge into");
  }
  c.expected_version = if_match_version(req);
  c.any_version = req.header("if-match") == "*";
  app.write([&](data::Db& db) {
    return data::PetitionService(db, &app.changes()).change(id, c, App::now());
  });
  return with_feature(app, id, 200);
}

// POST /api/v1/petitions/{id}/follow-ups (回访): {"reached", "satisfaction", "note", "reopen"}.
Response add_follow_up(App& app, const Request& req, const Context& ctx) {
  PetitionId id = petition_path(req);
  require_visible(app, ctx, id);
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject())
    throw_invalid("expected a JSON object: {\"reached\", \"satisfaction\", \"note\", \"reopen\"}");
  data::FollowUp f;
  f.reached = opt_bool(d, "reached").value_or(true);
  if (auto s = opt_string(d, "satisfaction")) {
    f.satisfaction = data::parse_satisfaction(*s);
    if (!f.satisfaction)
      throw_invalid("satisfaction '" + *s +
                    "' is not satisfied, basically_satisfied or unsatisfied");
  }
  f.note = opt_string(d, "note").value_or("");
  f.reopen = opt_bool(d, "reopen").value_or(false);
  f.actor = actor(ctx);
  f.role = principal(ctx).role;
  f.expected_version = if_match_version(req);
  app.write([&](data::Db& db) {
    return data::PetitionService(db, &app.changes()).follow_up(id, f, App::now());
  });
  return with_feature(app, id, 201);
}

// GET /api/v1/petitions/{id}/duplicates: the possible duplicates kept on the case, those
// the caller may read, nearest first, with whether each is merged (and into which case).
Response duplicates(App& app, const Request& req, const Context& ctx) {
  PetitionId id = petition_path(req);
  require_visible(app, ctx, id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const data::DuplicateLink& d : data::PetitionService(app.read_db()).duplicates_of(id)) {
    if (!record_visible(app, data::Layer::petitions, ctx, std::to_string(d.other.value))) continue;
    w.StartObject();
    w.Key("id");
    w.Int64(d.other.value);
    w.Key("distance_m");
    write_number(w, d.distance_m, 1);
    w.Key("status");
    write_string(w, data::to_string(d.other_status));
    w.Key("merged_into");
    if (d.merged_into)
      w.Int64(d.merged_into->value);
    else
      w.Null();
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

Response follow_ups(App& app, const Request& req, const Context& ctx) {
  PetitionId id = petition_path(req);
  require_visible(app, ctx, id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const data::FollowUpRecord& r : data::PetitionService(app.read_db()).follow_ups(id)) {
    w.StartObject();
    w.Key("at");
    write_string(w, data::format_time(r.at));
    w.Key("actor");
    write_string(w, r.actor);
    w.Key("reached");
    w.Bool(r.reached);
    w.Key("satisfaction");
    if (r.satisfaction)
      write_string(w, data::to_string(*r.satisfaction));
    else
      w.Null();
    w.Key("note");
    write_string(w, r.note);
    w.Key("reopened");
    w.Bool(r.reopened);
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

Response events(App& app, const Request& req, const Context& ctx) {
  PetitionId id = petition_path(req);
  require_visible(app, ctx, id);
  data::PetitionRepo repo(app.read_db());
  if (!repo.get(id)) throw Error(ErrorKind::not_found, "no petition " + std::to_string(id.value));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (auto& e : repo.events(id)) {
    w.StartObject();
    w.Key("at");
    write_string(w, data::format_time(e.at));
    w.Key("actor");
    write_string(w, e.actor);
    w.Key("action");
    write_string(w, data::to_string(e.action));
    w.Key("from");
    if (e.from_status)
      write_string(w, data::to_string(*e.from_status));
    else
      w.Null();
    w.Key("to");
    write_string(w, data::to_string(e.to_status));
    w.Key("handler_level");
    if (e.handler_level)
      write_string(w, data::to_string(*e.handler_level));
    else
      w.Null();
    w.Key("note");
    write_string(w, e.note);
    w.EndObject();
  }
  w.EndArray();
  return json_response(buf.GetString());
}

}  // namespace

void register_petitions(Router& r) {
  r.add("POST", "/api/v1/petitions", "petitions.create", create);
  r.add("POST", "/api/v1/petitions/{id}/transitions", "petitions.transition", transition);
  r.add("GET", "/api/v1/petitions/{id}/events", "petitions.events", events);
  r.add("POST", "/api/v1/petitions/{id}/follow-ups", "petitions.followup", add_follow_up);
  r.add("GET", "/api/v1/petitions/{id}/follow-ups", "petitions.followups", follow_ups);
  r.add("GET", "/api/v1/petitions/{id}/duplicates", "petitions.duplicates", duplicates);
}

}  // namespace gridmap::server
