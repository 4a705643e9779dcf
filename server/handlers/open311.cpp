// Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) over the petitions, in JSON and XML:
//   GET  /open311/v2/discovery.{json|xml}
//   GET  /open311/v2/services.{fmt}             the category catalogue's reportable entries
//   GET  /open311/v2/services/{code}.{fmt}      a service definition (no extra attributes)
//   POST /open311/v2/requests.{fmt}             report (form-encoded or JSON; api_key = token)
//   GET  /open311/v2/requests.{fmt}             service_request_id, service_code, start_date,
//                                               end_date, status (open|closed); newest first
//   GET  /open311/v2/requests/{id}.{fmt}
// A request is a petition: its status is "open" until the lifecycle ends it (closed, rejected
// or withdrawn: "closed"), and status_notes names the lifecycle's own state. Reporters' names,
// phones and e-mails go to the petition's protected contact and never come back out here.
// Errors are Open311's list of {code, description} (open311_errors, called by App::handle).
#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <variant>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/catalogue.hpp"
#include "data/departments.hpp"
#include "data/features.hpp"
#include "data/petition_service.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "server/app.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"

namespace gridmap::server {
namespace {

constexpr int64_t kDefaultWindowS = 90 * 86400;  // the spec's default: the last 90 days
constexpr size_t kMostRequests = 1000;           // and at most 1000 requests

enum class Format { json, xml };

Format format_of(const Request& req) {
  auto it = req.path_params.find("format");
  std::string f = it == req.path_params.end() ? "json" : it->second;
  if (f == "json") return Format::json;
  if (f == "xml") return Format::xml;
  throw Error(ErrorKind::not_found, "Open311 answers in .json or .xml, not ." + f);
}

// One answer's records, written as a JSON array of objects or as XML elements.
using Value = std::variant<std::monostate, std::string, int64_t, double, bool>;
struct Field {
  const char* name;
  Value value;
};
using Record = std::vector<Field>;

void xml_escape(std::string& out, std::string_view s) {
  for (char c : s) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
}

void write_value(JsonWriter& w, const Value& v) {
  if (auto s = std::get_if<std::string>(&v))
    write_string(w, *s);
  else if (auto i = std::get_if<int64_t>(&v))
    w.Int64(*i);
  else if (auto d = std::get_if<double>(&v))
    write_number(w, *d, 7);
  else if (auto b = std::get_if<bool>(&v))
    w.Bool(*b);
  else
    w.Null();
}

std::string xml_value(const Value& v) {
  std::string out;
  if (auto s = std::get_if<std::string>(&v))
    xml_escape(out, *s);
  else if (auto i = std::get_if<int64_t>(&v))
    out = std::to_string(*i);
  else if (auto d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7f", *d);
    out = buf;
  } else if (auto b = std::get_if<bool>(&v))
    out = *b ? "true" : "false";
  return out;
}

Response render(Format f, const char* root, const char* item, const std::vector<Record>& records,
                int status = 200) {
  Response r;
  r.status = status;
  if (f == Format::json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const Record& rec : records) {
      w.StartObject();
      for (const Field& field : rec) {
        w.Key(field.name);
        write_value(w, field.value);
      }
      w.EndObject();
    }
    w.EndArray();
    r.body = buf.GetString();
    return r;
  }
  r.content_type = "text/xml; charset=utf-8";
  r.body = std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<") + root + ">";
  for (const Record& rec : records) {
    r.body += std::string("<") + item + ">";
    for (const Field& field : rec)
      r.body +=
          std::string("<") + field.name + ">" + xml_value(field.value) + "</" + field.name + ">";
    r.body += std::string("</") + item + ">";
  }
  r.body += std::string("</") + root + ">\n";
  return r;
}

Value text_or_null(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::monostate{};
  return *s;
}
Value time_or_null(const std::optional<int64_t>& t) {
  if (!t) return std::monostate{};
  return data::format_time(*t);
}

// The entries a petition may take: those without 小类 of their own.
std::vector<data::CatalogueEntry> reportable(App& app) {
  std::vector<data::CatalogueEntry> all = data::Catalogue(app.read_db()).list(), out;
  std::set<std::string> parents;
  for (const auto& e : all)
    if (e.parent) parents.insert(*e.parent);
  for (auto& e : all)
    if (!parents.count(e.code)) out.push_back(std::move(e));
  return out;
}

std::string deadline_notice(const data::CatalogueEntry& e) {
  return "处置时限 " + std::to_string(e.deadline) +
         (e.unit == data::DeadlineUnit::working_days ? " 个工作日" : " 个工作小时") +
         " (to be handled within " + std::to_string(e.deadline) +
         (e.unit == data::DeadlineUnit::working_days ? " working days)" : " working hours)");
}

Response discovery(App& app, const Request& req, const Context&) {
  static const std::string started = data::format_time(data::now_seconds());
  std::string url = base_url(app) + "/open311/v2";
  if (format_of(req) == Format::json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("changeset");
    write_string(w, started);
    w.Key("contact");
    w.String("The city's grid management centre (网格化管理中心)");
    w.Key("key_service");
    w.String("API keys are gridmap tokens: gridmap user token NAME");
    w.Key("endpoints");
    w.StartArray();
    w.StartObject();
    w.Key("specification");
    w.String("http://wiki.open311.org/GeoReport_v2");
    w.Key("url");
    write_string(w, url);
    w.Key("changeset");
    write_string(w, started);
    w.Key("type");
    w.String("production");
    w.Key("formats");
    w.StartArray();
    w.String("application/json");
    w.String("text/xml");
    w.EndArray();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return json_response(buf.GetString());
  }
  Response r;
  r.content_type = "text/xml; charset=utf-8";
  std::string u;
  xml_escape(u, url);
  r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<discovery><changeset>" + started +
           "</changeset><contact>The city's grid management centre</contact><key_service>API keys "
           "are gridmap tokens</key_service><endpoints><endpoint><specification>"
           "http://wiki.open311.org/GeoReport_v2</specification><url>" +
           u + "</url><changeset>" + started +
           "</changeset><type>production</type><formats><format>application/json</format>"
           "<format>text/xml</format></formats></endpoint></endpoints></discovery>\n";
  return r;
}

Record service_record(const data::CatalogueEntry& e,
                      const std::map<std::string, std::string>& names) {
  std::string group = e.parent ? names.count(*e.parent) ? names.at(*e.parent) : *e.parent : e.name;
  return {{"service_code", e.code},
          {"service_name", e.name},
          {"description",
           e.name_en.empty() ? deadline_notice(e) : e.name_en + ". " + deadline_notice(e)},
          {"metadata", false},
          {"type", std::string("realtime")},
          {"keywords", e.name_en.empty() ? Value{} : Value{e.name_en}},
          {"group", group}};
}

Response services(App& app, const Request& req, const Context&) {
  Format f = format_of(req);
  std::map<std::string, std::string> names;
  for (const auto& e : data::Catalogue(app.read_db()).list()) names[e.code] = e.name;
  std::vector<Record> out;
  for (const auto& e : reportable(app)) out.push_back(service_record(e, names));
  return render(f, "services", "service", out);
}

Response service(App& app, const Request& req, const Context&) {
  Format f = format_of(req);
  const std::string& code = req.path_params.at("code");
  auto all = reportable(app);
  if (std::none_of(all.begin(), all.end(), [&](const auto& e) { return e.code == code; }))
    throw Error(ErrorKind::not_found, "no service '" + code + "' (GET services lists them)");
  // metadata is false for every service: the definition has no attributes to fill in.
  if (f == Format::json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("service_code");
    write_string(w, code);
    w.Key("attributes");
    w.StartArray();
    w.EndArray();
    w.EndObject();
    return json_response(buf.GetString());
  }
  Response r;
  r.content_type = "text/xml; charset=utf-8";
  std::string c;
  xml_escape(c, code);
  r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition><service_code>" + c +
           "</service_code><attributes></attributes></service_definition>\n";
  return r;
}

const char* level_name(data::Level l) {
  switch (l) {
    case data::Level::grid:
      return "网格员 grid worker";
    case data::Level::community:
      return "社区 community office";
    case data::Level::subdistrict:
      return "街道 subdistrict office";
    case data::Level::department:
      return "职能部门 department";
  }
  return "";
}

// What every request of an answer is written with, read once per answer: the catalogue's
// entries, the departments' names, the petitions' repository (for the last event's time).
struct Lookups {
  std::map<std::string, data::CatalogueEntry> catalogue;
  std::map<int64_t, std::string> departments;
  data::PetitionRepo petitions;
  explicit Lookups(data::Db& db) : petitions(db) {
    for (auto& e : data::Catalogue(db).list()) catalogue.emplace(e.code, std::move(e));
    for (const auto& d : data::DepartmentRepo(db).list()) departments.emplace(d.id, d.name);
  }
};

Record request_record(const data::Petition& p, Lookups& l) {
  auto cat = l.catalogue.find(p.category);
  std::string agency = level_name(p.handler_level);
  if (p.department_id)
    if (auto d = l.departments.find(*p.department_id); d != l.departments.end()) agency = d->second;
  std::optional<int64_t> expected = p.deadline_at;
  if (p.extension_until && expected && *p.extension_until > *expected) expected = p.extension_until;
  return {
      {"service_request_id", std::to_string(p.id->value)},
      {"status", std::string(data::is_final(p.status) ? "closed" : "open")},
      {"status_notes", std::string("gridmap: ") + std::string(data::to_string(p.status))},
      {"service_name", cat == l.catalogue.end() ? Value{} : Value{cat->second.name}},
      {"service_code", p.category},
      {"description", text_or_null(p.description)},
      {"agency_responsible", agency},
      {"service_notice", cat == l.catalogue.end() ? Value{} : Value{deadline_notice(cat->second)}},
      {"requested_datetime", data::format_time(p.created_at)},
      {"updated_datetime", time_or_null(l.petitions.last_event_at(*p.id))},
      {"expected_datetime", time_or_null(expected)},
      {"address", std::monostate{}},
      {"address_id", text_or_null(p.grid_code)},  // the grid (网格) it lies in
      {"zipcode", std::monostate{}},
      {"lat", p.position.lat},
      {"long", p.position.lon},
      {"media_url", std::monostate{}}};
}

std::vector<std::string> comma_list(const std::optional<std::string>& v) {
  std::vector<std::string> out;
  if (v)
    for (std::string_view part : split(*v, ','))
      if (!part.empty()) out.emplace_back(part);
  return out;
}

// Reads a petition the caller may see, or nullopt.
std::optional<data::Petition> visible_petition(App& app, const Context& ctx,
                                               const std::string& id) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || p != id.data() + id.size() || n <= 0) return std::nullopt;
  if (!record_visible(app, data::Layer::petitions, ctx, id)) return std::nullopt;
  return data::PetitionRepo(app.read_db()).get(PetitionId{n});
}

Response requests(App& app, const Request& req, const Context& ctx) {
  Format f = format_of(req);
  Lookups lookups(app.read_db());
  std::vector<Record> out;
  if (auto ids = req.param("service_request_id")) {  // the other filters are then ignored
    auto list = comma_list(ids);
    check_batch_size(app, list.size(), "service_request_id values");
    for (const std::string& id : list)
      if (auto p = visible_petition(app, ctx, id)) out.push_back(request_record(*p, lookups));
    return render(f, "service_requests", "request", out);
  }
  auto codes = comma_list(req.param("service_code"));
  std::set<std::string> wanted_codes(codes.begin(), codes.end());
  bool want_open = true, want_closed = true;
  if (auto s = req.param("status")) {
    want_open = want_closed = false;
    for (const std::string& one : comma_list(s)) {
      if (one == "open")
        want_open = true;
      else if (one == "closed")
        want_closed = true;
      else
        throw_invalid("status must be open, closed or both (open,closed), not '" + one + "'");
    }
  }
  int64_t end = time_param(req, "end_date").value_or(App::now());
  int64_t start = time_param(req, "start_date").value_or(end - kDefaultWindowS);
  if (start > end) throw_invalid("start_date is after end_date");
  data::FeatureQuery q;
  q.layer = data::Layer::petitions;
  q.now = App::now();
  q.created_from = start;
  q.created_to = end + 1;  // end_date is in the window
  q.newest_first = true;
  q.limit = kMostRequests;
  apply_reach(ctx, q);
  while (out.size() < kMostRequests) {
    data::FeaturePage page = data::list_features(app.read_db(), q);
    for (const data::Feature& feature : page.features) {
      auto p = lookups.petitions.get(PetitionId{std::get<int64_t>(feature.id)});
      if (!p) continue;
      bool closed = data::is_final(p->status);
      if ((closed && !want_closed) || (!closed && !want_open)) continue;
      if (!wanted_codes.empty() && !wanted_codes.count(p->category)) continue;
      out.push_back(request_record(*p, lookups));
      if (out.size() == kMostRequests) break;
    }
    if (!page.next) break;
    q.cursor = page.next;
  }
  return render(f, "service_requests", "request", out);
}

Response request_item(App& app, const Request& req, const Context& ctx) {
  Format f = format_of(req);
  const std::string& id = req.path_params.at("id");
  auto p = visible_petition(app, ctx, id);
  if (!p) throw Error(ErrorKind::not_found, "no service request " + id);
  Lookups lookups(app.read_db());
  return render(f, "service_requests", "request", {request_record(*p, lookups)});
}

// The POST's fields: form-encoded (the spec's) or a JSON object of strings and numbers.
std::map<std::string, std::string> post_fields(const Request& req) {
  std::map<std::string, std::string> out;
  if (media_type(req) == "application/json") {
    rapidjson::Document d = parse_json(req.body);
    if (!d.IsObject()) throw_invalid("expected a JSON object of the request's fields");
    for (auto& m : d.GetObject()) {
      std::string name = m.name.GetString();
      if (m.value.IsString())
        out[name] = m.value.GetString();
      else if (m.value.IsNumber())
        out[name] = std::to_string(m.value.GetDouble());
      else if (!m.value.IsNull())
        throw_invalid("field '" + name + "' must be a string or a number");
    }
    return out;
  }
  for (auto& [k, v] : parse_query(req.body)) {
    if (out.count(k)) throw_invalid("field '" + k + "' is given more than once");
    out[k] = v;
  }
  return out;
}

double coordinate(const std::map<std::string, std::string>& fields, const char* name) {
  auto it = fields.find(name);
  if (it == fields.end() || it->second.empty())
    throw_invalid(std::string("'") + name +
                  "' is required: this server places a request by lat and long (WGS84)");
  double v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || !std::isfinite(v))
    throw_invalid(std::string("'") + name + "' must be a number, not '" + it->second + "'");
  return v;
}

Response create(App& app, const Request& req, const Context& ctx) {
  Format f = format_of(req);
  auto fields = post_fields(req);
  static const std::set<std::string> known{
      "api_key",        "jurisdiction_id", "service_code", "lat",         "long",
      "address_string", "address_id",      "email",        "device_id",   "account_id",
      "first_name",     "last_name",       "phone",        "description", "media_url"};
  for (const auto& [k, v] : fields)
    if (!known.count(k) && k.rfind("attribute[", 0) != 0)
      throw_invalid("unknown field '" + k + "' (GeoReport v2 fields only)");
  data::NewPetition n;
  auto code = fields.find("service_code");
  if (code == fields.end() || code->second.empty()) throw_invalid("'service_code' is required");
  n.category = code->second;
  n.kind = data::Kind::appeal;
  n.position = to_wgs84(req, {coordinate(fields, "long"), coordinate(fields, "lat")});
  n.description = fields.count("description") ? fields.at("description") : "";
  if (auto a = fields.find("address_string"); a != fields.end() && !a->second.empty())
    n.description +=
        (n.description.empty() ? "" : "\n") + std::string("地址 address: ") + a->second;
  if (n.description.size() > 10000) throw_invalid("description is longer than 10,000 bytes");
  // Who reported it and how to reach them: the petition's protected contact.
  std::string contact;
  for (const char* k : {"first_name", "last_name", "phone", "email"})
    if (auto it = fields.find(k); it != fields.end() && !it->second.empty())
      contact += (contact.empty() ? "" : " ") + it->second;
  if (!contact.empty()) n.reporter_contact = contact;
  n.actor = principal(ctx).name;
  auto st = app.locator();
  data::CreatedPetition c = app.write([&](data::Db& db) {
    return data::PetitionService(db, &app.changes()).create(n, st->locator, App::now());
  });
  auto cat = data::Catalogue(app.read_db()).get(n.category);
  Response r = render(f, "service_requests", "request",
                      {{{"service_request_id", std::to_string(c.petition.id->value)},
                        {"service_notice", cat ? Value{deadline_notice(*cat)} : Value{}},
                        {"account_id", std::monostate{}}}});
  r.headers.emplace_back("Location", base_url(app) + "/open311/v2/requests/" +
                                         std::to_string(c.petition.id->value) +
                                         (f == Format::json ? ".json" : ".xml"));
  return r;
}

}  // namespace

bool is_open311(const Request& req) {
  return req.path.rfind("/open311/", 0) == 0;
}

void adopt_api_key(Request& req) {
  if (req.header("authorization") || !is_open311(req)) return;
  std::optional<std::string> key = req.param("api_key");
  if (!key && req.method == "POST" && media_type(req) != "application/json")
    for (auto& [k, v] : parse_query(req.body))
      if (k == "api_key") key = v;
  if (!key && req.method == "POST" && media_type(req) == "application/json") {
    rapidjson::Document d;
    d.Parse(req.body.data(), req.body.size());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("api_key") && d["api_key"].IsString())
      key = d["api_key"].GetString();
  }
  if (key && !key->empty()) req.headers["authorization"] = "Bearer " + *key;
}

Response open311_errors(const Request& req, const Response& problem) {
  rapidjson::Document d;
  d.Parse(problem.body.data(), problem.body.size());
  std::string description = d.IsObject() && d.HasMember("detail") && d["detail"].IsString()
                                ? d["detail"].GetString()
                                : "the request failed";
  Format f = Format::json;
  if (req.path.size() > 4 && req.path.compare(req.path.size() - 4, 4, ".xml") == 0) f = Format::xml;
  Response r =
      render(f, "errors", "error",
             {{{"code", static_cast<int64_t>(problem.status)}, {"description", description}}},
             problem.status);
  r.headers = problem.headers;
  return r;
}

void register_open311(Router& r) {
  r.add("GET", "/open311/v2/discovery.{format}", "open311.discovery", discovery);
  r.add("GET", "/open311/v2/services.{format}", "open311.services", services);
  r.add("GET", "/open311/v2/services/{code}.{format}", "open311.service", service);
  r.add("GET", "/open311/v2/requests.{format}", "open311.requests", requests);
  r.add("POST", "/open311/v2/requests.{format}", "open311.create", create);
  r.add("GET", "/open311/v2/requests/{id}.{format}", "open311.request", request_item);
}

}  // namespace gridmap::server
