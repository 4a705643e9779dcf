// Failover of the PostgreSQL primary under write load, on the layout deploy/loopback starts
// (nginx, two gridmap servers, a primary and a synchronous hot standby): the primary is
// killed, the standby promoted, the servers connect to it (their URL names both hosts and
// asks for the writable one) and go on; no write that was acknowledged is lost, none is there
// twice, and the servers still follow each other's changes.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::HttpResult;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kScript = std::string(GRIDMAP_TEST_DATA) + "/../../deploy/loopback";

// DIR/env of deploy/loopback: NAME=VALUE or NAME='VALUE' lines.
std::map<std::string, std::string> read_env(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
      value = value.substr(1, value.size() - 2);
    out[line.substr(0, eq)] = value;
  }
  return out;
}

std::vector<uint16_t> ports_of(const std::string& list) {
  std::vector<uint16_t> out;
  std::istringstream in(list);
  int p;
  while (in >> p) out.push_back(static_cast<uint16_t>(p));
  return out;
}

struct Layout {
  test::TempDir tmp;
  std::string dir = tmp.file("layout");
  std::map<std::string, std::string> env;
  Layout() {
    test::ScopedEnv binary({{"GRIDMAP", std::string(GRIDMAP_BINARY)}});
    test::RunResult r = test::run_program("/bin/sh", {kScript, "start", dir, "--servers", "2"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    env = read_env(dir + "/env");
    REQUIRE(env.count("NGINX_PORT") == 1);
  }
  ~Layout() { test::run_program("/bin/sh", {kScript, "stop", dir}); }
  uint16_t nginx() const { return static_cast<uint16_t>(std::stoi(env.at("NGINX_PORT"))); }
};

}  // namespace

TEST_CASE(
    "the primary killed under write load and the standby promoted: the servers go on with it and "
    "no acknowledged write is lost or doubled") {
  Layout layout;
  const std::string token = layout.env.at("DISPATCHER_TOKEN");
  std::mutex lock;
  std::map<std::string, int64_t> acknowledged;
  std::atomic<bool> stop{false}, promoted_flag{false};
  std::atomic<int> refused{0};
  std::atomic<long long> first_ok_after_ms{-1};  // of a write sent after the promotion
  Clock::time_point killed_at;
  auto writer = [&](int who) {
    for (int n = 0; !stop.load(); ++n) {
      bool after_promotion = promoted_flag.load();
      std::string mark = "failover-" + std::to_string(who) + "-" + std::to_string(n);
      HttpResult r =
          test::http(layout.nginx(), "POST", "/api/v1/petitions",
                     "{\"lon\":111.5005,\"lat\":40.7005,\"category\":\"noise\","
                     "\"description\":\"" +
                         mark + "\"}",
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
      std::lock_guard l(lock);
      if (r.status == 201) {
        acknowledged[mark] = test::json(r)["id"].GetInt64();
        if (after_promotion && first_ok_after_ms.load() < 0)
          first_ok_after_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at)
                  .count();
      } else {
        ++refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a client backs off
      }
    }
  };
  std::thread w1(writer, 1), w2(writer, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  size_t before_kill;
  {
    std::lock_guard l(lock);
    before_kill = acknowledged.size();
    killed_at = Clock::now();
  }
  REQUIRE(test::run_program("/bin/sh", {kScript, "kill-primary", layout.dir}).exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  test::RunResult promoted = test::run_program("/bin/sh", {kScript, "promote", layout.dir});
  INFO(promoted.err);
  REQUIRE(promoted.exit_code == 0);
  promoted_flag = true;
  // Writes resume on the promoted standby.
  auto until = Clock::now() + std::chrono::seconds(30);
  while (first_ok_after_ms.load() < 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  stop = true;
  w1.join();
  w2.join();
  std::printf(
      "failover: %zu writes acknowledged before the kill, %zu in all, %d refused; "
      "a write sent after the promotion acknowledged %lld ms after the kill\n",
      before_kill, acknowledged.size(), refused.load(), first_ok_after_ms.load());
  REQUIRE(before_kill > 10);
  REQUIRE(first_ok_after_ms.load() >= 0);
  REQUIRE(acknowledged.size() > before_kill);

  // Everything acknowledged is on the new primary, once.
  data::Db db = data::Db::open(layout.env.at("DB_URL"), false);
  std::map<std::string, std::vector<int64_t>> stored;
  data::Statement st(db,
                     "SELECT description, id FROM petitions WHERE description LIKE 'failover-%'");
  while (st.step()) stored[st.text(0)].push_back(st.int64(1));
  size_t lost = 0;
  for (const auto& [mark, id] : acknowledged) {
    auto it = stored.find(mark);
    if (it == stored.end()) {
      ++lost;
      continue;
    }
    CHECK(it->second == std::vector<int64_t>{id});
  }
  CHECK(lost == 0);
  for (const auto& [mark, ids] : stored) {
    INFO(mark);
    CHECK(ids.size() == 1);
  }

  // The servers follow each other again: a ping on one is seen on the other.
  auto ports = ports_of(layout.env.at("SERVER_PORTS"));
  REQUIRE(ports.size() == 2);
  const std::string admin = layout.env.at("TOKEN");
  HttpResult ping = test::http(
      ports[0], "PUT", "/api/v1/workers/9/position",
      "{\"lon\":111.6007,\"lat\":40.8007,\"ts\":" + std::to_string(std::time(nullptr)) + "}",
      {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
  INFO(ping.body);
  REQUIRE(ping.status == 202);
  bool seen = false;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!seen && Clock::now() < deadline) {
    HttpResult r =
        test::http(ports[1], "GET", "/api/v1/workers/nearest?lon=111.6007&lat=40.8007&k=1", "",
                   {{"Authorization", "Bearer " + admin}});
    seen = r.status == 200 && r.body.find("\"id\":9,") != std::string::npos &&
           r.body.find("\"distance_m\":0") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(seen);
}

TEST_CASE(
    "a server with a read replica lists from it, tolerating its lag, but a user's own write is "
    "read back from the primary") {
  Layout layout;
  test::ScopedEnv audit({{"GRIDMAP_AUDIT_DIR", layout.env.at("GRIDMAP_AUDIT_DIR")}});
  test::ServerProcess server(layout.env.at("DB_URL"), {"--files", layout.dir + "/files",
                                                       "--db-read", layout.env.at("STANDBY_URL")});
  const std::string admin = layout.env.at("TOKEN"), dispatcher = layout.env.at("DISPATCHER_TOKEN");
  std::string probe = "/api/v1/petitions?bbox=111.5004,40.7004,111.5006,40.7006&limit=100";
  auto count = [&](const std::string& token) {
    HttpResult r =
        test::http(server.port(), "GET", probe, "", {{"Authorization", "Bearer " + token}});
    REQUIRE(r.status == 200);
    return test::json(r)["features"].Size();
  };
  REQUIRE(count(dispatcher) == 0);
  // The standby stops applying what it receives: it lags behind the primary from now on.
  data::Db standby = data::Db::open(layout.env.at("STANDBY_URL"), false);
  data::Statement(standby, "SELECT pg_wal_replay_pause()").step();
  HttpResult made =
      test::http(server.port(), "POST", "/api/v1/petitions",
                 "{\"lon\":111.5005,\"lat\":40.7005,\"category\":\"noise\","
                 "\"description\":\"replica probe\"}",
                 {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
  INFO(made.body);
  REQUIRE(made.status == 201);
  CHECK(count(admin) == 1);       // their own write, from the primary
  CHECK(count(dispatcher) == 0);  // another user's list, from the lagging replica
  // Replay again: the replica catches up and the others see it too.
  data::Statement(standby, "SELECT pg_wal_replay_resume()").step();
  bool caught_up = false;
  for (int i = 0; i < 100 && !caught_up; ++i) {
    caught_up = count(dispatcher) == 1;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(caught_up);
  // Tiles and statistics answer with a replica too.
  CHECK(test::http(server.port(), "GET", "/tiles/petitions/14/13266/6160.mvt", "",
                   {{"Authorization", "Bearer " + dispatcher}})
            .status == 200);
  CHECK(test::http(server.port(), "GET", "/api/v1/stats?level=category", "",
                   {{"Authorization", "Bearer " + dispatcher}})
            .status == 200);
  // --db-read names a PostgreSQL standby of a PostgreSQL database.
  test::RunResult bad =
      test::run_gridmap({"serve", "--db", layout.env.at("DB_URL"), "--db-read", "replica.sqlite"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--db-read") != std::string::npos);
}
