// Notifications in the server: a thread turns committed petition changes (told by the change
// feed) and due deadlines (checked periodically) into notification rows, hands each to the
// open event streams, and wakes a second thread that delivers them to the webhooks, signed,
// in order per subscription, with back-off. Neither thread ever runs on a request thread.
// The first thread also runs retention (at start-up and hourly): patrol track points, closed
// cases' contacts and audit entries past their periods (AppOptions::*_retention_days), and on
// PostgreSQL the coming months' partitions (data/partitions.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/notifications.hpp"
#include "data/serve_lock.hpp"
#include "server/http/message.hpp"

namespace gridmap::server {

class App;
struct Principal;

struct NotifyOptions {
  int64_t deadline_warning_s = 4 * 3600;         // "deadline within N hours"
  std::chrono::milliseconds check_every{60000};  // deadlines and overdue cases
  std::chrono::milliseconds heartbeat{15000};    // a comment on an idle stream
  // A stream ends after this long; the browser reconnects with Last-Event-ID and its
  // credentials are checked again (a revoked token or a moved patch ends there).
  std::chrono::milliseconds stream_lifetime{5 * 60 * 1000};
  std::chrono::milliseconds retry_first{1000};          // a failed delivery's first wait
  std::chrono::milliseconds retry_cap{10 * 60 * 1000};  // doubling up to this
};

// Whether a user sees a notification: with the whole area (admin, dispatcher) everything;
// held to their own patch (a worker; a community's or subdistrict's office, whose patch is
// its area's grids; a department), what concerns their grids, the cases they handle or
// reported and their department's cases, as the petitions list.
bool in_scope(const Principal& p, bool own_only, const data::Notification& n);

// One open stream's queue of live notifications.
class Subscription {
 public:
  explicit Subscription(std::function<bool(const data::Notification&)> filter)
      : filter_(std::move(filter)) {}
  void offer(const data::Notification& n);  // any thread
  std::vector<data::Notification> take();   // any thread
 private:
  std::function<bool(const data::Notification&)> filter_;
  std::mutex lock_;
  std::vector<data::Notification> queue_;
};

// text/event-stream frames: "id: N\nevent: KIND\ndata: {...}\n\n".
std::string sse_frame(const data::Notification& n);

// The change log's kind of "new notifications were made" (data/change_log.hpp).
inline constexpr const char* kNotificationsChange = "notifications";

class Notifier {
 public:
  Notifier(App& app, NotifyOptions options);
  ~Notifier();  // stops and joins both threads
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void poke();           // a petition changed: collect now
  // Another server made notifications (PostgreSQL): hand them to this server's streams.
  void poke_streams();
  void poke_webhooks();  // a subscription was added
  std::shared_ptr<Subscription> subscribe(std::function<bool(const data::Notification&)> filter);
  // The stream of a caller who has seen everything up to `last_id`: the missed ones in
  // scope (kept 7 days) first, then live ones as they come, with a heartbeat comment.
  // `replay` receives the frames of the missed ones; without `last_id` only what comes
  // from now on is sent.
  std::shared_ptr<StreamSource> stream(const Principal& p, bool own_only,
                                       std::optional<int64_t> last_id, std::string& replay);
  const NotifyOptions& options() const { return options_; }

 private:
  void collect_loop();
  void deliver_loop();
  bool deliver_due();  // one round over the subscriptions; whether anything was tried
  App& app_;
  NotifyOptions options_;
  std::mutex lock_;
  std::condition_variable wake_, wake_webhooks_;
  bool stop_ = false, poked_ = false, streams_poked_ = false, webhooks_poked_ = false;
  bool writable_ = false;        // set once, before the threads start
  int64_t offered_through_ = 0;  // the last notification handed to the streams (collector's)
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  data::SoleWorker deliverer_lock_;  // the webhooks: one server of several delivers
  std::thread collector_, deliverer_;
};

}  // namespace gridmap::server
