// Notifications over HTTP: the event stream of the caller's scope (server-sent events) and
// the webhook subscriptions an admin keeps (each change audited).
#include <charconv>

#include "data/audit.hpp"
#include "data/time.hpp"
#include "data/webhooks.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"
#include "server/notifier.hpp"

namespace gridmap::server {
namespace {

std::optional<int64_t> last_event_id(const Request& req) {
  auto v = req.header("last-event-id");
  if (!v || v->empty()) v = req.param("last_event_id");
  if (!v || v->empty()) return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < 0)
    throw_invalid("Last-Event-ID must be the id of an event this stream sent, not '" + *v + "'");
  return out;
}

Response stream(App& app, const Request& req, const Context& ctx) {
  auto last = last_event_id(req);
  Response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  r.body = "retry: 3000\n\n";  // a dropped client comes back after 3 s
  std::string replay;
  r.stream = app.notifier().stream(principal(ctx), ctx.own_only(), last, replay);
  r.body += replay;
  return r;
}

void write_webhook(JsonWriter& w, const data::Webhook& h) {
  w.StartObject();
  w.Key("id");
  w.Int64(h.id);
  w.Key("url");
  write_string(w, h.url);
  w.Key("subdistrict_code");
  if (h.subdistrict_code)
    write_string(w, *h.subdistrict_code);
  else
    w.Null();
  w.Key("department_id");
  if (h.department_id)
    w.Int64(*h.department_id);
  else
    w.Null();
  w.Key("created_at");
  write_string(w, data::format_time(h.created_at));
  w.Key("created_by");
  write_string(w, h.created_by);
  w.Key("pending");
  w.Int64(h.pending);
  w.Key("delivered");
  w.Int64(h.delivered);
}

int64_t webhook_id(const Request& req) {
  const std::string& s = req.path_params.at("id");
  int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size())
    throw Error(ErrorKind::not_found, "no webhook " + s);
  return id;
}

Response list(App& app, const Request&, const Context&) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("webhooks");
  w.StartArray();
  for (const data::Webhook& h : data::Webhooks(app.read_db()).list()) {
    write_webhook(w, h);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

// One subscription with its latest deliveries (the delivery log, newest first).
Response item(App& app, const Request& req, const Context&) {
  int64_t id = webhook_id(req);
  data::Webhooks hooks(app.read_db());
  auto h = hooks.get(id);
  if (!h) throw Error(ErrorKind::not_found, "no webhook " + std::to_string(id));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_webhook(w, *h);
  w.Key("deliveries");
  w.StartArray();
  for (const data::DeliveryRecord& d : hooks.log(id, 100)) {
    w.StartObject();
    w.Key("notification_id");
    w.Int64(d.notification_id);
    w.Key("attempts");
    w.Int(d.attempts);
    w.Key("status_code");
    if (d.status_code)
      w.Int64(*d.status_code);
    else
      w.Null();
    w.Key("error");
    write_string(w, d.error);
    w.Key("next_attempt_at");
    if (d.delivered_at)
      w.Null();
    else
      write_string(w, data::format_time(d.next_attempt_ms / 1000));
    w.Key("delivered_at");
    if (d.delivered_at)
      write_string(w, data::format_time(*d.delivered_at));
    else
      w.Null();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_response(buf.GetString());
}

// {"url": "http://...", "secret": "...", "subdistrict_code": "..." | "department": "..."};
// without a secret one is made and shown in this answer only.
Response create(App& app, const Request& req, const Context& ctx) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsObject()) throw_invalid("expected a JSON object with url, secret and a scope");
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    std::string_view k(it->name.GetString(), it->name.GetStringLength());
    if (k != "url" && k != "secret" && k != "subdistrict_code" && k != "department")
      throw_invalid("unknown member '" + std::string(k) +
                    "' (a webhook has url, secret, subdistrict_code or department)");
  }
  data::NewWebhook n;
  n.url = need_string(d, "url");
  auto secret = opt_string(d, "secret");
  n.secret = secret ? *secret : data::random_secret();
  n.subdistrict_code = opt_string(d, "subdistrict_code");
  n.department = opt_string(d, "department");
  n.actor = principal(ctx).name;
  data::Webhook h = app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::Webhook out = data::Webhooks(db).add(n, App::now());
    data::audit(db, App::now(), n.actor, "webhook_add", "webhook:" + std::to_string(out.id),
                n.url + (n.subdistrict_code ? " subdistrict " + *n.subdistrict_code
                                            : " department " + n.department.value_or("")));
    tx.commit();
    return out;
  });
  app.notifier().poke_webhooks();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_webhook(w, h);
  if (!secret) {
    w.Key("secret");
    write_string(w, n.secret);
  }
  w.EndObject();
  Response r = json_response(buf.GetString(), 201);
  r.headers.emplace_back("Location", "/api/v1/webhooks/" + std::to_string(h.id));
  return r;
}

Response remove(App& app, const Request& req, const Context& ctx) {
  int64_t id = webhook_id(req);
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    if (!data::Webhooks(db).remove(id))
      throw Error(ErrorKind::not_found, "no webhook " + std::to_string(id));
    data::audit(db, App::now(), principal(ctx).name, "webhook_remove",
                "webhook:" + std::to_string(id));
    tx.commit();
    return 0;
  });
  Response r;
  r.status = 204;
  return r;
}

}  // namespace

void register_events(Router& r) {
  r.add("GET", "/api/v1/events/stream", "events.stream", stream);
  r.add("GET", "/api/v1/webhooks", "webhooks.list", list);
  r.add("POST", "/api/v1/webhooks", "webhooks.create", create);
  r.add("GET", "/api/v1/webhooks/{id}", "webhooks.item", item);
  r.add("DELETE", "/api/v1/webhooks/{id}", "webhooks.delete", remove);
}

}  // namespace gridmap::server
