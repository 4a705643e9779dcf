#include "server/notifier.hpp"

#include <algorithm>
#include <cstdio>

#include "data/audit.hpp"
#include "data/change_log.hpp"
#include "data/partitions.hpp"
#include "data/patrols.hpp"
#include "data/serve_lock.hpp"
#include "data/subject_rights.hpp"
#include "data/throttle.hpp"
#include "data/webhooks.hpp"
#include "server/app.hpp"
#include "server/http/client.hpp"

namespace gridmap::server {

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How often a server that does not deliver the webhooks asks whether it may.
constexpr auto kDelivererRetry = std::chrono::seconds(5);
// Replayed to a reconnecting stream per page read.
constexpr size_t kReplayPage = 2000;
// How often old notifications are pruned.
constexpr auto kPruneEvery = std::chrono::minutes(10);
// How often patrol track points past their retention are purged (data/patrols.hpp).
constexpr auto kPatrolPurgeEvery = std::chrono::hours(1);

// Retention: makes the coming months' partitions (PostgreSQL), deletes the patrol track points
// older than their period, removes the reporters' contacts of cases closed longer ago than
// theirs (0 days: kept) and the audit entries of months past theirs (0 days: kept); logs what
// went.
int64_t run_retention(App& app) {
  int64_t now = App::now();
  const AppOptions& o = app.options();
  app.write([&](data::Db& db) { return data::ensure_month_partitions(db, now); });
  int64_t limit = now - int64_t{o.patrol_retention_days} * 86400;
  int64_t points = app.write([&](data::Db& db) { return data::Patrols(db).purge(limit); });
  int64_t contacts = 0, audit = 0;
  if (int days = o.contact_retention_days; days > 0)
    contacts = app.write(
        [&](data::Db& db) { return data::expire_case_contacts(db, now - int64_t{days} * 86400); });
  if (int days = o.audit_retention_days; days > 0) {
    try {
      audit = app.write([&](data::Db& db) {
        return data::prune_audit(db, now - int64_t{days} * 86400, now, "retention").removed;
      });
    } catch (const std::exception& e) {  // the log stays whole; the next hour tries again
      std::fprintf(stderr, "gridmap: retention: the audit log is kept: %s\n", e.what());
    }
  }
  if (points > 0 || contacts > 0 || audit > 0)
    std::fprintf(stderr,
                 "gridmap: retention: %lld patrol points, %lld case contacts and %lld audit "
                 "entries removed\n",
                 static_cast<long long>(points), static_cast<long long>(contacts),
                 static_cast<long long>(audit));
  return points;
}

// A stream's live part: what its subscription queued since the replay, and a heartbeat
// comment when nothing was sent for a while (proxies and browsers keep the connection).
class EventStream final : public StreamSource {
 public:
  EventStream(std::shared_ptr<Subscription> sub, int64_t replayed_through,
              std::chrono::milliseconds heartbeat, std::chrono::milliseconds lifetime)
      : sub_(std::move(sub)),
        last_id_(replayed_through),
        heartbeat_(heartbeat),
        ends_(Clock::now() + lifetime) {}

  std::optional<std::string> poll() override {
    if (ended_) return std::nullopt;
    std::string out;
    for (const data::Notification& n : sub_->take()) {
      if (n.id <= last_id_) continue;  // already in the replay
      last_id_ = n.id;
      out += sse_frame(n);
    }
    auto now = Clock::now();
    if (now >= ends_) {
      // What was queued goes out, then the stream ends: the client comes back (after
      // `retry`) with Last-Event-ID and is authenticated again.
      ended_ = true;
      return out + "retry: 1000\n: reconnect\n\n";
    }
    if (out.empty() && now - last_sent_ >= heartbeat_) out = ": heartbeat\n\n";
    if (!out.empty()) last_sent_ = now;
    return out;
  }

  std::string farewell() override { return ": the server is stopping\n\n"; }

 private:
  std::shared_ptr<Subscription> sub_;
  int64_t last_id_;
  std::chrono::milliseconds heartbeat_;
  Clock::time_point ends_;
  bool ended_ = false;
  Clock::time_point last_sent_ = Clock::now();
};

}  // namespace

bool in_scope(const Principal& p, bool own_only, const data::Notification& n) {
  if (!own_only) return true;
  if (n.grid_code && std::find(p.grids.begin(), p.grids.end(), *n.grid_code) != p.grids.end())
    return true;
  if (p.worker_id && n.handler_worker_id == p.worker_id) return true;
  if (p.department_id && n.department_id == p.department_id) return true;
  return n.reported_by && *n.reported_by == p.name;
}

void Subscription::offer(const data::Notification& n) {
  if (!filter_(n)) return;
  std::lock_guard l(lock_);
  queue_.push_back(n);
}

std::vector<data::Notification> Subscription::take() {
  std::lock_guard l(lock_);
  std::vector<data::Notification> out;
  out.swap(queue_);
  return out;
}

std::string sse_frame(const data::Notification& n) {
  std::string out = "id: " + std::to_string(n.id) + "\nevent: ";
  out += data::to_string(n.kind);
  out += "\ndata: " + data::notification_json(n) + "\n\n";  // JSON text holds no newline
  return out;
}

Notifier::Notifier(App& app, NotifyOptions options)
    : app_(app),
      options_(options),
      deliverer_lock_(app.options().db_path, data::kWebhookDelivererLock) {
  // A database the server cannot write (read-only file, mount) is served without
  // notifications: nothing changes there to tell of.
  try {
    app_.write([this](data::Db& db) {
      if (db.read_only()) return 0;
      data::Notifications(db).start();  // from now on: the history before is not announced
      writable_ = true;
      return 0;
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridmap: notifications are off: %s\n", e.what());
  }
  if (!writable_) return;
  offered_through_ = data::Notifications(app_.read_db()).newest();
  try {
    run_retention(app_);  // once at start-up, before the first request; then hourly
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridmap: purging old patrol tracks failed: %s\n", e.what());
  }
  collector_ = std::thread([this] { collect_loop(); });
  deliverer_ = std::thread([this] { deliver_loop(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard l(lock_);
    stop_ = true;
  }
  wake_.notify_all();
  wake_webhooks_.notify_all();
  if (collector_.joinable()) collector_.join();
  if (deliverer_.joinable()) deliverer_.join();
}

void Notifier::poke() {
  {
    std::lock_guard l(lock_);
    poked_ = true;
  }
  wake_.notify_all();
}

void Notifier::poke_streams() {
  {
    std::lock_guard l(lock_);
    streams_poked_ = true;
  }
  wake_.notify_all();
}

void Notifier::poke_webhooks() {
  {
    std::lock_guard l(lock_);
    webhooks_poked_ = true;
  }
  wake_webhooks_.notify_all();
}

std::shared_ptr<Subscription> Notifier::subscribe(
    std::function<bool(const data::Notification&)> filter) {
  auto sub = std::make_shared<Subscription>(std::move(filter));
  std::lock_guard l(lock_);
  std::erase_if(subscribers_, [](const auto& w) { return w.expired(); });
  subscribers_.push_back(sub);
  return sub;
}

std::shared_ptr<StreamSource> Notifier::stream(const Principal& p, bool own_only,
                                               std::optional<int64_t> last_id,
                                               std::string& replay) {
  auto filter = [p, own_only](const data::Notification& n) { return in_scope(p, own_only, n); };
  // Subscribed before the replay is read: what commits meanwhile is in one or the other
  // (or both, and then skipped by id), never in neither.
  auto sub = subscribe(filter);
  data::Notifications store(app_.read_db());
  int64_t through = last_id ? *last_id : store.newest();
  while (last_id) {
    auto page = store.after(through, kReplayPage);
    for (const data::Notification& n : page)
      if (filter(n)) replay += sse_frame(n);
    if (!page.empty()) through = page.back().id;
    if (page.size() < kReplayPage) break;
  }
  return std::make_shared<EventStream>(std::move(sub), through, options_.heartbeat,
                                       options_.stream_lifetime);
}

void Notifier::collect_loop() {
  auto next_check = Clock::now();
  auto next_prune = Clock::now();
  auto next_patrol_purge = Clock::now() + kPatrolPurgeEvery;  // the first one ran at start-up
  std::unique_lock l(lock_);
  while (!stop_) {
    wake_.wait_until(l, next_check, [this] { return stop_ || poked_ || streams_poked_; });
    if (stop_) break;
    // Deadlines on the periodic check only (a scan of the open cases); a change's events at
    // once; another server's notifications read without collecting (it collected them).
    bool deadlines = Clock::now() >= next_check;
    bool collect = poked_ || deadlines;
    poked_ = false;
    streams_poked_ = false;
    l.unlock();
    std::vector<data::Notification> fresh;
    try {
      int64_t now = App::now();
      if (collect)
        app_.write([&](data::Db& db) {
          auto made = data::Notifications(db).collect(now, options_.deadline_warning_s, now_ms(),
                                                      deadlines);
          // The other servers' streams read them too (on PostgreSQL).
          if (!made.empty())
            data::log_change(db, app_.changes().origin(), kNotificationsChange, "");
          return 0;
        });
      // The streams get what is new in the table, whoever made it: this server or another
      // of the same database (which then logs a change that pokes this one).
      for (;;) {
        auto page = data::Notifications(app_.read_db()).after(offered_through_, kReplayPage);
        if (page.empty()) break;
        offered_through_ = page.back().id;
        fresh.insert(fresh.end(), page.begin(), page.end());
        if (page.size() < kReplayPage) break;
      }
      if (Clock::now() >= next_patrol_purge) {
        next_patrol_purge = Clock::now() + kPatrolPurgeEvery;
        run_retention(app_);
      }
      if (Clock::now() >= next_prune) {
        app_.write([&](data::Db& db) {
          data::prune_changes(db, now - data::kChangesKeptS);
          data::prune_throttle(db, now - 86400);
          return data::Notifications(db).prune(now - data::kNotificationsKeptS);
        });
        next_prune = Clock::now() + kPruneEvery;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gridmap: collecting notifications failed: %s\n", e.what());
    }
    if (Clock::now() >= next_check) next_check = Clock::now() + options_.check_every;
    l.lock();
    if (fresh.empty()) continue;
    std::vector<std::shared_ptr<Subscription>> subs;
    for (const auto& w : subscribers_)
      if (auto s = w.lock()) subs.push_back(std::move(s));
    webhooks_poked_ = true;
    l.unlock();
    wake_webhooks_.notify_all();
    for (const auto& s : subs)
      for (const data::Notification& n : fresh) s->offer(n);
    l.lock();
  }
}

bool Notifier::deliver_due() {
  std::vector<data::DueDelivery> due = data::Webhooks(app_.read_db()).due(now_ms());
  for (const data::DueDelivery& d : due) {
    auto url = data::parse_http_url(d.url);
    ClientResult res;
    std::string body = data::notification_json(d.notification);
    if (!url) {
      res.error = "not an http:// URL";
    } else {
      ClientRequest req{url->host, url->port, url->target, {}, body};
      req.headers = {{"X-Gridmap-Signature", "sha256=" + data::webhook_signature(d.secret, body)},
                     {"X-Gridmap-Delivery", std::to_string(d.notification.id)},
                     {"X-Gridmap-Event", std::string(data::to_string(d.notification.kind))}};
      res = http_post(req);
    }
    bool ok = res.status >= 200 && res.status < 300;
    // 1 s, 2 s, 4 s ... up to the cap (10 min): the attempts made so far set the wait.
    auto wait = options_.retry_first;
    for (int i = 0; i < d.attempts && wait < options_.retry_cap; ++i) wait *= 2;
    wait = std::min(wait, options_.retry_cap);
    app_.write([&](data::Db& db) {
      data::Webhooks hooks(db);
      if (ok)
        hooks.delivered(d.webhook_id, d.notification.id, res.status, App::now());
      else
        hooks.failed(d.webhook_id, d.notification.id,
                     res.status ? std::optional<int>(res.status) : std::nullopt,
                     res.status ? "answered " + std::to_string(res.status) : res.error,
                     now_ms() + wait.count());
      return 0;
    });
  }
  return !due.empty();
}

void Notifier::deliver_loop() {
  std::unique_lock l(lock_);
  while (!stop_) {
    l.unlock();
    bool tried = false;
    std::optional<int64_t> next;
    try {
      // One server of several on a database delivers; the others wait their turn (taken
      // when it stops or loses its connection).
      if (!deliverer_lock_.mine()) {
        l.lock();
        wake_webhooks_.wait_for(l, kDelivererRetry, [this] { return stop_; });
        continue;
      }
      tried = deliver_due();
      next = data::Webhooks(app_.read_db()).next_due_ms();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gridmap: delivering webhooks failed: %s\n", e.what());
    }
    l.lock();
    if (tried) continue;  // the next of each subscription, at once
    // Until the next attempt is due (checked at least once a minute), or woken.
    auto wait = std::chrono::milliseconds(60000);
    if (next)
      wait = std::clamp(std::chrono::milliseconds(*next - now_ms()), std::chrono::milliseconds(0),
                        wait);
    wake_webhooks_.wait_for(l, wait, [this] { return stop_ || webhooks_poked_; });
    webhooks_poked_ = false;
  }
}

}  // namespace gridmap::server
