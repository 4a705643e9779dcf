// Webhook subscriptions (per subdistrict or per department) and their delivery log. Every
// notification in a subscription's scope is queued for it (data/notifications.cpp) and
// sent in id order: only the oldest undelivered one of a subscription is tried, again and
// again with back-off, so a receiver that was down gets everything afterwards, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/notifications.hpp"

namespace gridmap::data {

struct Webhook {
  int64_t id = 0;
  std::string url;
  std::optional<std::string> subdistrict_code;
  std::optional<int64_t> department_id;
  int64_t created_at = 0;
  std::string created_by;
  int64_t pending = 0, delivered = 0;  // deliveries
};

struct NewWebhook {
  std::string url;     // http://host[:port]/path
  std::string secret;  // the HMAC key, 16 to 256 bytes
  std::optional<std::string> subdistrict_code;
  std::optional<std::string> department;  // its code
  std::string actor;
};

// The oldest undelivered notification of a subscription, due now.
struct DueDelivery {
  int64_t webhook_id = 0;
  std::string url, secret;
  int attempts = 0;
  Notification notification;
};

struct DeliveryRecord {
  int64_t notification_id = 0;
  int attempts = 0;
  std::optional<int64_t> status_code;
  std::string error;
  int64_t next_attempt_ms = 0;
  std::optional<int64_t> delivered_at;
};

// "http://host[:port]/path" split; nullopt when it is not one (only http, a host, no user
// info or fragment).
struct HttpUrl {
  std::string host, port, target;
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

// HMAC-SHA256 of `body` keyed with `secret`, in lower-case hex: the X-Gridmap-Signature
// header is "sha256=" followed by it.
std::string webhook_signature(std::string_view secret, std::string_view body);
std::string random_secret();  // 32 random bytes in hex, for a subscription given none

class Webhooks {
 public:
  explicit Webhooks(Db& db) : db_(db) {}
  // Throws invalid_input for a bad URL, secret or scope (none, both, or an unknown
  // subdistrict or department). Inside the caller's transaction.
  Webhook add(const NewWebhook& w, int64_t now);
  std::vector<Webhook> list();
  std::optional<Webhook> get(int64_t id);
  bool remove(int64_t id);
  std::vector<DueDelivery> due(int64_t now_ms);
  // The earliest next attempt of any subscription's oldest undelivered notification.
  std::optional<int64_t> next_due_ms();
  void delivered(int64_t webhook_id, int64_t notification_id, int status, int64_t now);
  void failed(int64_t webhook_id, int64_t notification_id, std::optional<int> status,
              const std::string& error, int64_t next_attempt_ms);
  std::vector<DeliveryRecord> log(int64_t webhook_id, size_t limit);

 private:
  Db& db_;
};

}  // namespace gridmap::data
