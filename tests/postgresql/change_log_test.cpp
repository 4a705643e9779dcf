// The change log that keeps several servers' in-memory indexes current (data/change_log.hpp):
// a follower gets every other process's change once, in commit order, nothing of a rolled-back
// transaction, and what was logged while its connection was down; rows it can no longer read
// are reported, never skipped silently.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "data/change_log.hpp"
#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/time.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

struct Heard {
  std::mutex lock;
  std::vector<data::LoggedChange> changes;
  void add(const data::LoggedChange& c) {
    std::lock_guard l(lock);
    changes.push_back(c);
  }
  std::vector<data::LoggedChange> get() {
    std::lock_guard l(lock);
    return changes;
  }
  // Waits up to `ms` for `n` changes.
  bool wait(size_t n, int ms = 3000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      if (get().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

std::vector<std::string> keys(const std::vector<data::LoggedChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.kind + ":" + c.key);
  return out;
}

}  // namespace

TEST_CASE(
    "a change log follower gets the other processes' changes in commit order, none rolled back, "
    "and those logged while its connection was down") {
  test::PgDatabase pg;
  data::Db::open(pg.url(), true);  // the schema
  {
    data::Db w = data::Db::open(pg.url(), false);
    data::log_change(w, "me", "grids", "mine");  // its own: already applied, not handed back
    data::log_change(w, "other", "grids", "g1");
  }
  Heard heard;
  data::ChangeFollower follower(pg.url(), "me", 0,
                                [&](const data::LoggedChange& c) { heard.add(c); });
  REQUIRE(heard.wait(1));
  {
    data::Db w = data::Db::open(pg.url(), false);
    {
      data::Transaction t(w);  // rolled back: never logged
      data::log_change(w, "other", "grids", "rolled-back");
    }
    {
      data::Transaction t(w);  // two changes of one transaction, announced at its commit
      data::log_change(w, "other", "workers", "7");
      data::log_change(w, "other", "petitions", "8", "detail");
      t.commit();
    }
  }
  REQUIRE(heard.wait(3));
  // Every connection to the database cut (a restart, a failover): the follower connects again
  // and reads what was logged meanwhile.
  pg.admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  {
    data::Db w = data::Db::open(pg.url(), false);
    data::log_change(w, "other", "households", "*");
  }
  REQUIRE(heard.wait(4, 5000));
  CHECK(keys(heard.get()) ==
        std::vector<std::string>{"grids:g1", "workers:7", "petitions:8", "households:*"});
  CHECK(heard.get()[2].detail == std::optional<std::string>("detail"));
  CHECK(follower.reconnects() >= 1);
  std::vector<int64_t> seqs;
  for (const auto& c : heard.get()) seqs.push_back(c.seq);
  CHECK(std::is_sorted(seqs.begin(), seqs.end()));
  // Nothing else comes (the rolled-back change, its own).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(heard.get().size() == 4);
}

TEST_CASE("a follower behind what the change log still keeps is told it missed changes") {
  test::PgDatabase pg;
  data::Db w = data::Db::open(pg.url(), true);
  for (int i = 0; i < 5; ++i) data::log_change(w, "other", "grids", std::to_string(i));
  // An hour and more later the first rows are gone (the newest is always kept).
  CHECK(data::prune_changes(w, data::now_seconds() + 1) == 4);
  Heard heard;
  data::ChangeFollower follower(pg.url(), "me", 2,
                                [&](const data::LoggedChange& c) { heard.add(c); });
  REQUIRE(heard.wait(2));
  auto got = heard.get();
  CHECK(got[0].kind == data::kChangesMissed);
  CHECK(got[1].key == "4");
  // One up to date with the log is not.
  Heard current;
  data::ChangeFollower up_to_date(pg.url(), "me", 5,
                                  [&](const data::LoggedChange& c) { current.add(c); });
  data::log_change(w, "other", "grids", "5");
  REQUIRE(current.wait(1));
  CHECK(keys(current.get()) == std::vector<std::string>{"grids:5"});
}

TEST_CASE("a change notice goes through the change log and comes back as it was published") {
  test::PgDatabase pg;
  data::Db w = data::Db::open(pg.url(), true);
  data::ChangeFeed feed;
  data::ChangeNotice n{data::Layer::grids, "150102001001001", Box{111.1, 40.1, 111.2, 40.25},
                       std::nullopt};
  {
    data::Transaction t(w);
    feed.publish(w, n);
    t.commit();
  }
  auto logged = data::changes_after(w, 0, 10);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].origin == feed.origin());
  auto back = data::notice_of(logged[0]);
  REQUIRE(back);
  CHECK(back->layer == data::Layer::grids);
  CHECK(back->key == "150102001001001");
  REQUIRE(back->before);
  CHECK(back->before->min_lon == 111.1);
  CHECK(back->before->max_lat == 40.25);
  CHECK_FALSE(back->after);
  // A row that is not a layer's notice is not taken for one.
  CHECK_FALSE(data::notice_of({1, "x", "positions", "", std::string("7 111.1 40.1\n")}));
  CHECK(data::newest_change(w) == 1);
  // On SQLite nothing is logged: one server per file has no one to tell.
  test::TempDir dir;
  data::Db file = data::Db::open(dir.file("one.sqlite"), true);
  feed.publish(file, n);
  data::log_change(file, "other", "grids", "x");
  CHECK(data::newest_change(file) == 0);
  CHECK(data::changes_after(file, 0, 10).empty());
}
