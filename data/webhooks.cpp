#include "data/webhooks.hpp"

#include <sodium.h>

#include "core/error.hpp"

namespace gridmap::data {

namespace {

constexpr const char* kNotificationColumns =
    "n.id, n.at, n.kind, n.status, n.petition_id, n.category, n.grid_code, n.community_code, "
    "n.subdistrict_code, n.handler_level, n.handler_worker_id, n.reported_by, n.deadline_at, "
    "n.department_id";

Notification read_notification(const Statement& st, int c) {
  Notification n;
  n.id = st.int64(c);
  n.at = st.int64(c + 1);
  n.kind = parse_notice_kind(st.text(c + 2)).value_or(NoticeKind::new_case);
  n.status = st.text(c + 3);
  n.petition_id = st.int64(c + 4);
  n.category = st.text(c + 5);
  n.grid_code = st.opt_text(c + 6);
  n.community_code = st.opt_text(c + 7);
  n.subdistrict_code = st.opt_text(c + 8);
  n.handler_level = st.text(c + 9);
  n.handler_worker_id = st.opt_int64(c + 10);
  n.reported_by = st.opt_text(c + 11);
  n.deadline_at = st.opt_int64(c + 12);
  n.department_id = st.opt_int64(c + 13);
  return n;
}

constexpr const char* kWebhookSelect =
    "SELECT w.id, w.url, w.subdistrict_code, w.department_id, w.created_at, w.created_by, "
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.delivered_at "
    "IS NULL), (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND "
    "d.delivered_at IS NOT NULL) FROM webhooks w";

Webhook read_webhook(const Statement& st) {
  return Webhook{st.int64(0), st.text(1), st.opt_text(2), st.opt_int64(3),
                 st.int64(4), st.text(5), st.int64(6),    st.int64(7)};
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.size() > 2000 || url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '#' || c == 0x7f) return std::nullopt;
  size_t colon = authority.rfind(':');
  std::string_view host = authority.substr(0, colon);
  out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (host.empty() || out.port.empty() || out.port.size() > 5) return std::nullopt;
  for (char c : host)
    if (!host_char(c)) return std::nullopt;
  for (char c : out.port)
    if (c < '0' || c > '9') return std::nullopt;
  int port = std::stoi(out.port);
  if (port < 1 || port > 65535) return std::nullopt;
  out.host = std::string(host);
  return out;
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  if (sodium_init() < 0) throw Error(ErrorKind::internal, "libsodium failed to start");
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string random_secret() {
  if (sodium_init() < 0) throw Error(ErrorKind::internal, "libsodium failed to start");
  unsigned char key[32];
  randombytes_buf(key, sizeof key);
  char hex[2 * sizeof key + 1];
  sodium_bin2hex(hex, sizeof hex, key, sizeof key);
  return hex;
}

Webhook Webhooks::add(const NewWebhook& w, int64_t now) {
  if (!parse_http_url(w.url))
    throw_invalid("'url' must be an http:// URL like http://10.0.0.5:8080/hooks/gridmap, not '" +
                  w.url + "'");
  if (w.secret.size() < 16 || w.secret.size() > 256)
    throw_invalid("'secret' must be 16 to 256 bytes (it keys the HMAC-SHA256 signature)");
  if (w.subdistrict_code.has_value() == w.department.has_value())
    throw_invalid("give the scope as exactly one of 'subdistrict_code' and 'department'");
  std::optional<int64_t> department;
  if (w.subdistrict_code) {
    Statement st(db_, "SELECT 1 FROM subdistricts WHERE code = ?1");
    st.bind(1, *w.subdistrict_code);
    if (!st.step()) throw_invalid("no subdistrict '" + *w.subdistrict_code + "'");
  } else {
    Statement st(db_, "SELECT id FROM departments WHERE code = ?1");
    st.bind(1, *w.department);
    if (!st.step()) throw_invalid("no department '" + *w.department + "'");
    department = st.int64(0);
  }
  Statement ins(db_,
                "INSERT INTO webhooks(url, secret, subdistrict_code, department_id, created_at, "
                "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  ins.bind(1, w.url).bind(2, w.secret).bind(3, w.subdistrict_code).bind(4, department);
  ins.bind(5, now).bind(6, w.actor).run();
  return *get(db_.last_insert_rowid());
}

std::vector<Webhook> Webhooks::list() {
  Statement st(db_, std::string(kWebhookSelect) + " ORDER BY w.id");
  std::vector<Webhook> out;
  while (st.step()) out.push_back(read_webhook(st));
  return out;
}

std::optional<Webhook> Webhooks::get(int64_t id) {
  Statement st(db_, std::string(kWebhookSelect) + " WHERE w.id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_webhook(st);
}

bool Webhooks::remove(int64_t id) {
  Statement d(db_, "DELETE FROM webhook_deliveries WHERE webhook_id = ?1");
  d.bind(1, id).run();
  Statement st(db_, "DELETE FROM webhooks WHERE id = ?1");
  st.bind(1, id).run();
  return db_.changes() == 1;
}

std::vector<DueDelivery> Webhooks::due(int64_t now_ms) {
  Statement st(db_,
               std::string("SELECT w.id, w.url, w.secret, d.attempts, d.next_attempt_ms, ") +
                   kNotificationColumns +
                   " FROM webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id AND "
                   "d.notification_id = (SELECT min(notification_id) FROM webhook_deliveries x "
                   "WHERE x.webhook_id = w.id AND x.delivered_at IS NULL) "
                   "JOIN notifications n ON n.id = d.notification_id ORDER BY w.id");
  std::vector<DueDelivery> out;
  while (st.step()) {
    if (st.int64(4) > now_ms) continue;
    out.push_back({st.int64(0), st.text(1), st.text(2), static_cast<int>(st.int64(3)),
                   read_notification(st, 5)});
  }
  return out;
}

std::optional<int64_t> Webhooks::next_due_ms() {
  Statement st(db_,
               "SELECT min(d.next_attempt_ms) FROM webhook_deliveries d WHERE d.notification_id = "
               "(SELECT min(notification_id) FROM webhook_deliveries x WHERE x.webhook_id = "
               "d.webhook_id AND x.delivered_at IS NULL)");
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.int64(0);
}

void Webhooks::delivered(int64_t webhook_id, int64_t notification_id, int status, int64_t now) {
  Statement st(
      db_,
      "UPDATE webhook_deliveries SET attempts = attempts + 1, status_code = ?3, error = '', "
      "delivered_at = ?4 WHERE webhook_id = ?1 AND notification_id = ?2");
  st.bind(1, webhook_id).bind(2, notification_id).bind(3, int64_t{status}).bind(4, now).run();
}

void Webhooks::failed(int64_t webhook_id, int64_t notification_id, std::optional<int> status,
                      const std::string& error, int64_t next_attempt_ms) {
  Statement st(
      db_,
      "UPDATE webhook_deliveries SET attempts = attempts + 1, status_code = ?3, error = ?4, "
      "next_attempt_ms = ?5 WHERE webhook_id = ?1 AND notification_id = ?2");
  st.bind(1, webhook_id).bind(2, notification_id);
  if (status)
    st.bind(3, int64_t{*status});
  else
    st.bind_null(3);
  st.bind(4, error).bind(5, next_attempt_ms).run();
}

std::vector<DeliveryRecord> Webhooks::log(int64_t webhook_id, size_t limit) {
  Statement st(
      db_,
      "SELECT notification_id, attempts, status_code, error, next_attempt_ms, delivered_at "
      "FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY notification_id DESC LIMIT ?2");
  st.bind(1, webhook_id).bind(2, static_cast<int64_t>(limit));
  std::vector<DeliveryRecord> out;
  while (st.step())
    out.push_back({st.int64(0), static_cast<int>(st.int64(1)), st.opt_int64(2), st.text(3),
                   st.int64(4), st.opt_int64(5)});
  return out;
}

}  // namespace gridmap::data
