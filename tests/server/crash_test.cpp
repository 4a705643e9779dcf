// Crashes and broken storage: kill -9 in the middle of mixed writes keeps every
// acknowledged write exactly once; a full disk and a read-only database answer 503 and lose
// nothing. The real server on the tatabu demo.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::http;
using test::HttpResult;

namespace {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string petition_body(const std::string& tag) {
  return "{\"lon\":111.66,\"lat\":40.82,\"kind\":\"incident\",\"category\":\"noise\","
         "\"description\":\"" +
         tag + "\"}";
}

int64_t count(const std::string& db, const std::string& sql, const std::string& arg) {
  data::Db d = data::Db::open(db, false);
  data::Statement st(d, sql);
  st.bind(1, arg);
  st.step();
  return st.int64(0);
}

std::string tatabu(test::TempDir& dir) {
  std::string db = dir.file("t.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  return db;
}

void checkpoint(const std::string& db) {
  data::Db d = data::Db::open(db, false);
  d.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace

TEST_CASE("kill -9 during mixed writes keeps every acknowledged write exactly once", "[engines]") {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  std::string token = test::make_user(db, "admin", "admin");
  std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  // A freshly reported petition is at version 1.
  auto with_version = [](std::map<std::string, std::string> h) {
    h["If-Match"] = "\"v1\"";
    return h;
  };
  auto server = std::make_unique<test::ServerProcess>(db, city.serve_args);
  uint16_t port = server->port();
  std::mutex lock;
  std::vector<std::string> petitions;        // acknowledged descriptions
  std::map<int64_t, std::string> statuses;   // petition id -> last acknowledged status
  std::map<int64_t, std::string> attempted;  // petition id -> a move sent, maybe unanswered
  std::vector<std::string> visits;           // acknowledged notes
  std::map<int64_t, std::pair<int64_t, int64_t>> pings;  // worker -> (ts, acknowledged at ms)
  std::atomic<bool> stop{false};
  auto ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t)
    load.emplace_back([&, t] {
      for (int n = 0; !stop; ++n) {
        std::string tag = "crash-" + std::to_string(t) + "-" + std::to_string(n);
        HttpResult r = http(port, "POST", "/api/v1/petitions", petition_body(tag), auth);
        if (r.status != 201) continue;
        rapidjson::Document d;
        d.Parse(r.body.c_str());
        int64_t id = d["id"].GetInt64();
        {
          std::lock_guard l(lock);
          petitions.push_back(tag);
          statuses[id] = "reported";
        }
        {
          std::lock_guard l(lock);
          attempted[id] = "dispatched";
        }
        if (http(port, "POST", "/api/v1/petitions/" + std::to_string(id) + "/transitions",
                 "{\"to\":\"dispatched\"}", with_version(auth))
                .status == 200) {
          std::lock_guard l(lock);
          statuses[id] = "dispatched";
        }
        std::string note = "visit-" + tag;
        if (http(port, "POST", "/api/v1/workers/1/visits",
                 "{\"household_id\":1,\"note\":\"" + note + "\",\"off_site_reason\":\"电话走访\"}",
                 auth)
                .status == 201) {
          std::lock_guard l(lock);
          visits.push_back(note);
        }
      }
    });
  load.emplace_back([&] {
    while (!stop)
      for (int64_t w = 1; w <= 10 && !stop; ++w) {
        int64_t ts = now_s();
        std::string body = "{\"lon\":111.6" + std::to_string(w) +
                           ",\"lat\":40.8,\"ts\":" + std::to_string(ts) + "}";
        if (http(port, "PUT", "/api/v1/workers/" + std::to_string(w) + "/position", body, auth)
                .status == 202) {
          std::lock_guard l(lock);
          pings[w] = {ts, ms()};
        }
      }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  int64_t killed_at = ms();
  REQUIRE(kill(server->pid(), SIGKILL) == 0);
  stop = true;
  for (auto& t : load) t.join();
  server->stop();  // reaps the killed process
  std::lock_guard l(lock);
  REQUIRE(petitions.size() > 10);
  // Restarted, the server answers for every acknowledged petition.
  server = std::make_unique<test::ServerProcess>(db, city.serve_args);
  for (auto& [id, status] : statuses) {
    HttpResult r = http(server->port(), "GET", "/api/v1/petitions/" + std::to_string(id), "", auth);
    INFO("petition " << id);
    REQUIRE(r.status == 200);
    // The acknowledged status, or the move that was sent when the server died (done or not).
    bool acknowledged = r.body.find("\"status\":\"" + status + "\"") != std::string::npos;
    bool in_flight = attempted.count(id) &&
                     r.body.find("\"status\":\"" + attempted[id] + "\"") != std::string::npos;
    INFO(r.body);
    CHECK((acknowledged || in_flight));
  }
  server.reset();
  for (const std::string& tag : petitions)
    CHECK(count(db, "SELECT count(*) FROM petitions WHERE description = ?1", tag) == 1);
  for (const std::string& note : visits)
    CHECK(count(db, "SELECT count(*) FROM visits WHERE note = ?1", note) == 1);
  // Pings are acknowledged with 202 and written within half a second: each worker's last
  // ping acknowledged a second before the kill is on disk.
  data::Db d = data::Db::open(db, false);
  for (auto& [worker, ping] : pings) {
    if (killed_at - ping.second < 1000) continue;
    data::Statement st(d, "SELECT position_at FROM workers WHERE id = ?1");
    st.bind(1, worker);
    REQUIRE(st.step());
    CHECK(st.int64(0) >= ping.first);
  }
  data::Statement ok(d, "PRAGMA integrity_check");
  REQUIRE(ok.step());
  CHECK(ok.text(0) == "ok");
}

TEST_CASE("a full disk answers 503, loses no acknowledged write, and recovers when space returns") {
  test::TempDir dir;
  std::string source = tatabu(dir);
  std::string token = test::make_user(source, "admin", "admin");
  checkpoint(source);
  std::string mnt = dir.file("small");
  std::filesystem::create_directory(mnt);
  // A small tmpfs of our own (root only; CI runs as root).
  size_t db_bytes = std::filesystem::file_size(source);
  std::string opts = "size=" + std::to_string(db_bytes + 3 * 1024 * 1024);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
    WARN("cannot mount a tmpfs here (not root?): the full-disk test did not run");
    return;
  }
  struct Unmount {
    std::string at;
    ~Unmount() { umount2(at.c_str(), MNT_DETACH); }
  } unmount{mnt};
  std::string db = mnt + "/t.sqlite";
  std::filesystem::copy_file(source, db);
  std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  std::vector<std::string> acknowledged;
  {
    test::ServerProcess server(db);
    // Fill what is left of the disk.
    {
      std::ofstream filler(mnt + "/filler", std::ios::binary);
      std::string mb(1 << 20, 'x');
      while (filler.write(mb.data(), static_cast<std::streamsize>(mb.size()))) {
      }
    }
    int refused = 0, other = 0;
    for (int i = 0; i < 400 && refused < 3; ++i) {
      std::string tag = "full-" + std::to_string(i);
      std::string body = petition_body(tag) + std::string(0, ' ');
      HttpResult r = http(server.port(), "POST", "/api/v1/petitions", body, auth);
      if (r.status == 201)
        acknowledged.push_back(tag);
      else if (r.status == 503)
        ++refused;
      else
        ++other;
    }
    CHECK(refused >= 1);
    CHECK(other == 0);
    CHECK(http(server.port(), "GET", "/healthz").status == 200);
    std::filesystem::remove(mnt + "/filler");
    // Space is back: writes succeed again.
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
      HttpResult r = http(server.port(), "POST", "/api/v1/petitions", petition_body("after"), auth);
      recovered = r.status == 201;
      if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(recovered);
  }
  for (const std::string& tag : acknowledged)
    CHECK(count(db, "SELECT count(*) FROM petitions WHERE description = ?1", tag) == 1);
  data::Db d = data::Db::open(db, false);
  data::Statement ok(d, "PRAGMA integrity_check");
  REQUIRE(ok.step());
  CHECK(ok.text(0) == "ok");
}

TEST_CASE("a read-only database serves reads and answers writes and pings with 503") {
  test::TempDir dir;
  std::string db = tatabu(dir);
  std::string token = test::make_user(db, "admin", "admin");
  checkpoint(db);
  // Immutable even for root (chattr +i); a plain chmod stops everyone else.
  bool immutable = std::system(("chattr +i '" + db + "' 2>/dev/null").c_str()) == 0;
  if (!immutable) std::filesystem::permissions(db, std::filesystem::perms::owner_read);
  struct Restore {
    std::string db;
    ~Restore() {
      if (std::system(("chattr -i '" + db + "' 2>/dev/null").c_str()) != 0) {
      }
      std::filesystem::permissions(db, std::filesystem::perms::owner_all);
    }
  } restore{db};
  if (!immutable && geteuid() == 0) {
    WARN("chattr is not available and root ignores permissions: the read-only test did not run");
    return;
  }
  int64_t before = count(db, "SELECT count(*) FROM petitions WHERE description <> ?1", "");
  test::ServerProcess server(db);
  std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  auto ping = http(server.port(), "PUT", "/api/v1/workers/1/position",
                   "{\"lon\":111.7,\"lat\":40.8}", auth);
  test::check_problem(ping, 503, "unavailable");
  test::check_problem(http(server.port(), "POST", "/api/v1/workers/positions",
                           "[{\"id\":1,\"lon\":111.7,\"lat\":40.8}]", auth),
                      503, "unavailable");
  test::check_problem(http(server.port(), "POST", "/api/v1/petitions", petition_body("ro"), auth),
                      503, "unavailable");
  CHECK(http(server.port(), "GET", "/api/v1/petitions/1", "", auth).status == 200);
  CHECK(http(server.port(), "GET", "/tiles/grids/14/13275/6153.mvt", "", auth).status == 200);
  CHECK(count(db, "SELECT count(*) FROM petitions WHERE description <> ?1", "") == before);
}
