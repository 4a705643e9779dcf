#include "data/change_log.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "data/db.hpp"
#include "data/pg_engine.hpp"
#include "data/time.hpp"

namespace gridmap::data {

namespace {
constexpr const char* kChannel = "gridmap_changes";
constexpr size_t kPage = 1000;
constexpr int kWaitMs = 250;  // how often the thread looks at stop_
constexpr auto kReadAtLeast = std::chrono::seconds(1);
}  // namespace

std::string new_origin() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> d;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(d(rd)));
  return out;
}

void log_change(Db& db, std::string_view origin, std::string_view kind, std::string_view key,
                std::optional<std::string_view> detail) {
  if (!db.postgresql()) return;
  Transaction t(db);  // the writers' lock: numbered in commit order
  Statement st(db,
               "INSERT INTO gridmap_change_log (seq, at, origin, kind, key, detail) "
               "SELECT coalesce(max(seq), 0) + 1, ?1, ?2, ?3, ?4, ?5 FROM gridmap_change_log");
  st.bind(1, now_seconds()).bind(2, origin).bind(3, kind).bind(4, key);
  if (detail)
    st.bind(5, *detail);
  else
    st.bind_null(5);
  st.run();
  db.exec(std::string("NOTIFY ") + kChannel);  // sent at commit; repeats in one transaction merge
  t.commit();
}

int64_t newest_change(Db& db) {
  if (!db.postgresql()) return 0;
  Statement st(db, "SELECT coalesce(max(seq), 0) FROM gridmap_change_log");
  st.step();
  return st.int64(0);
}

std::vector<LoggedChange> changes_after(Db& db, int64_t seq, size_t limit) {
  std::vector<LoggedChange> out;
  if (!db.postgresql()) return out;
  Statement st(db,
               "SELECT seq, origin, kind, key, detail FROM gridmap_change_log WHERE seq > ?1 "
               "ORDER BY seq LIMIT ?2");
  st.bind(1, seq).bind(2, static_cast<int64_t>(limit));
  while (st.step())
    out.push_back({st.int64(0), st.text(1), st.text(2), st.text(3), st.opt_text(4)});
  return out;
}

int64_t prune_changes(Db& db, int64_t before) {
  if (!db.postgresql()) return 0;
  Statement st(db,
               "DELETE FROM gridmap_change_log WHERE at < ?1 AND seq < (SELECT max(seq) FROM "
               "gridmap_change_log)");
  st.bind(1, before).run();
  return db.changes();
}

ChangeFollower::ChangeFollower(std::string url, std::string origin, int64_t after, Apply apply)
    : url_(std::move(url)), origin_(std::move(origin)), apply_(std::move(apply)), through_(after) {
  thread_ = std::thread([this] { run(); });
}

ChangeFollower::~ChangeFollower() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ChangeFollower::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<pg::Connection> listener;
  std::unique_ptr<Db> reader;
  auto last_read = Clock::now();
  bool failing = false;
  while (!stop_.load()) {
    try {
      if (!listener) {
        listener = std::make_unique<pg::Connection>(url_);
        listener->exec(std::string("LISTEN ") + kChannel, false);
      }
      if (!reader) reader = std::make_unique<Db>(Db::open(url_, false));
      // What committed before the LISTEN began is read now; what commits after is announced.
      for (;;) {
        auto page = changes_after(*reader, through_.load(), kPage);
        if (!page.empty() && page.front().seq != through_.load() + 1)  // numbered without gaps
          apply_({page.front().seq - 1, "", kChangesMissed, "", std::nullopt});
        for (const LoggedChange& c : page) {
          if (c.origin != origin_) apply_(c);
          through_.store(c.seq);
        }
        if (page.size() < kPage || stop_.load()) break;
      }
      last_read = Clock::now();
      if (failing) std::fprintf(stderr, "gridmap: following the other servers' changes again\n");
      failing = false;
      // Until a notification, or a second has passed (a notification lost with its
      // connection is caught up by the read above).
      while (!stop_.load() && Clock::now() - last_read < kReadAtLeast)
        if (listener->wait_for_notification(kWaitMs)) break;
    } catch (const std::exception& e) {
      if (!failing)
        std::fprintf(stderr, "gridmap: following the other servers' changes failed: %s\n",
                     e.what());
      failing = true;
      listener.reset();
      reader.reset();
      ++reconnects_;
      for (int i = 0; i < 1000 / kWaitMs && !stop_.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(kWaitMs));
    }
  }
}

}  // namespace gridmap::data
