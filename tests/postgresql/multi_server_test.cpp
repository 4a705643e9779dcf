// Several `gridmap serve` processes on one PostgreSQL database: each follows the others'
// changes (data/change_log.hpp), so what one server is told is seen on the other within a
// second; the sign-in throttle and the event stream work whichever server a request lands
// on; behind nginx, a server killed under write load loses no acknowledged write.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "data/db.hpp"
#include "support/pg_support.hpp"
#include "support/stream_client.hpp"
#include "support/test_support.hpp"
#include "support/webhook_receiver.hpp"

using namespace gridmap;
using test::HttpResult;
using test::RoleServer;
using test::ServerProcess;
using Clock = std::chrono::steady_clock;

namespace {

// The tests of this file run on PostgreSQL whatever GRIDMAP_TEST_ENGINE says.
struct OnPostgresql {
  test::ScopedEnv env{{{"GRIDMAP_TEST_ENGINE", "postgresql"}}};
};

// Polls `done` until it holds or `ms` pass; the milliseconds it took, or -1.
long long within(int ms, const std::function<bool()>& done) {
  auto start = Clock::now();
  while (Clock::now() - start < std::chrono::milliseconds(ms)) {
    if (done())
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

HttpResult call(uint16_t port, const std::string& token, const std::string& method,
                const std::string& target, const std::string& body = "",
                std::map<std::string, std::string> headers = {}) {
  headers["Authorization"] = "Bearer " + token;
  return test::http(port, method, target, body, headers);
}

// nginx in front of servers on loopback ports, as deploy/ lays it out: round robin, a failed
// server skipped, the client's address passed on in X-Forwarded-For.
class Nginx {
 public:
  explicit Nginx(const std::vector<uint16_t>& upstreams) : port_(test::free_port()) {
    std::string conf = (getuid() == 0 ? "user root;\n" : "") +
                       std::string(
                           "worker_processes 1;\ndaemon off;\nmaster_process on;\n"
                           "pid ") +
                       dir_.file("nginx.pid") + ";\nerror_log " + dir_.file("error.log") +
                       " warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n"
                       "  client_body_temp_path " +
                       dir_.file("body") + ";\n  proxy_temp_path " + dir_.file("proxy") +
                       ";\n  fastcgi_temp_path " + dir_.file("fcgi") + ";\n  uwsgi_temp_path " +
                       dir_.file("uwsgi") + ";\n  scgi_temp_path " + dir_.file("scgi") +
                       ";\n  upstream gridmap {\n";
    for (uint16_t p : upstreams)
      conf += "    server 127.0.0.1:" + std::to_string(p) + " max_fails=1 fail_timeout=10s;\n";
    conf += "    keepalive 16;\n  }\n  server {\n    listen 127.0.0.1:" + std::to_string(port_) +
            ";\n    location / {\n      proxy_pass http://gridmap;\n"
            "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
            "      proxy_set_header Host $host;\n"
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "      proxy_next_upstream error timeout;\n      proxy_connect_timeout 1s;\n"
            "      proxy_buffering off;\n    }\n  }\n}\n";
    test::write_file(dir_.file("nginx.conf"), conf);
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/sbin/nginx", "nginx", "-c", dir_.file("nginx.conf").c_str(), "-p",
            dir_.path().c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(pid_ > 0);
    bool up = within(10000, [&] { return test::http(port_, "GET", "/healthz").status != 0; }) >= 0;
    INFO(test::read_file(dir_.file("error.log")));
    REQUIRE(up);
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGQUIT);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  uint16_t port() const { return port_; }

 private:
  test::TempDir dir_;
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE(
    "two servers on one database: a boundary edit, a worker ping and a case on server A are "
    "seen on server B within a second") {
  OnPostgresql pg;
  RoleServer a;
  ServerProcess b(a.db, a.serve_with({}));
  uint16_t pa = a.server->port(), pb = b.port();
  const std::string& admin = a.tokens.at("admin");

  // B has its tile of the place cached, and a dispatcher's event stream open.
  std::string tile = "/tiles/grids/14/13266/6160.mvt";
  HttpResult tile_before = call(pb, admin, "GET", tile);
  REQUIRE(tile_before.status == 200);
  test::StreamClient stream(
      pb, test::StreamClient::get("/api/v1/events/stream",
                                  {{"Authorization", "Bearer " + a.tokens.at("dispatcher")}}));
  REQUIRE(
      stream.wait_for([](const std::string& s) { return s.find("retry:") != std::string::npos; }));

  // A boundary: a new grid drawn on A is where B's point-in-grid and tiles put it.
  std::string locate = "/api/v1/locate?lon=111.5005&lat=40.7005";
  REQUIRE(call(pb, admin, "GET", locate).body.find("999999999999001") == std::string::npos);
  HttpResult made = call(
      pa, admin, "POST", "/api/v1/grids",
      "{\"type\":\"Feature\",\"properties\":{\"code\":\"999999999999001\",\"name\":\"新网格\"},"
      "\"geometry\":" +
          test::square_polygon(111.5, 40.7, 0.001) + "}");
  INFO(made.body);
  REQUIRE(made.status == 201);
  long long located = within(1000, [&] {
    HttpResult r = call(pb, admin, "GET", locate);
    return r.status == 200 && r.body.find("999999999999001") != std::string::npos;
  });
  CHECK(located >= 0);
  HttpResult tile_after = call(pb, admin, "GET", tile);
  REQUIRE(tile_after.status == 200);
  CHECK(tile_after.body != tile_before.body);  // B's cached tile was dropped and built again

  // A worker's ping on A moves them on B's nearest-worker index.
  std::string nearest = "/api/v1/workers/nearest?lon=111.6003&lat=40.8003&k=1";
  HttpResult ping =
      call(pa, admin, "PUT", "/api/v1/workers/7/position",
           "{\"lon\":111.6003,\"lat\":40.8003,\"ts\":" + std::to_string(std::time(nullptr)) + "}",
           {{"Content-Type", "application/json"}});
  INFO(ping.body);
  REQUIRE(ping.status == 202);
  long long moved = within(1000, [&] {
    HttpResult r = call(pb, admin, "GET", nearest);
    return r.status == 200 && r.body.find("\"id\":7,") != std::string::npos &&
           r.body.find("\"distance_m\":0") != std::string::npos;
  });
  CHECK(moved >= 0);

  // A case reported and dispatched on A comes down B's event stream.
  test::set_default_headers({});
  HttpResult reported = call(pa, a.tokens.at("dispatcher"), "POST", "/api/v1/petitions",
                             "{\"lon\":111.5005,\"lat\":40.7005,\"category\":\"noise\","
                             "\"description\":\"楼道堆物\"}");
  INFO(reported.body);
  REQUIRE(reported.status == 201);
  std::string id = std::to_string(test::json(reported)["id"].GetInt64());
  long long streamed = -1;
  auto start = Clock::now();
  if (stream.wait_for(
          [&](const std::string& s) {
            return s.find("\"petition_id\":" + id + ",") != std::string::npos;
          },
          1000))
    streamed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  CHECK(streamed >= 0);
  std::printf("seen on B after: locate %lld ms, nearest %lld ms, stream %lld ms\n", located, moved,
              streamed);

  // A transition on A: B's list shows the new state (read from the database, no cache).
  REQUIRE(test::move_petition(pa, std::stoll(id), "{\"to\":\"registered\"}",
                              {{"Authorization", "Bearer " + admin}})
              .status == 200);
  HttpResult on_b = call(pb, admin, "GET", "/api/v1/petitions/" + id);
  REQUIRE(on_b.status == 200);
  CHECK(test::json(on_b)["properties"]["status"].GetString() == std::string("registered"));
}

TEST_CASE("the sign-in throttle counts the failures made on every server of the database") {
  OnPostgresql pg;
  RoleServer a;
  ServerProcess b(a.db, a.serve_with({}));
  auto sign_in = [](uint16_t port) {
    return test::http(port, "POST", "/api/v1/session",
                      "{\"name\":\"admin\",\"password\":\"not the password\"}",
                      {{"Content-Type", "application/json"}});
  };
  // Wrong passwords on A until A throttles them...
  int failures = 0;
  HttpResult last;
  while (failures < 20) {
    last = sign_in(a.server->port());
    if (last.status != 401) break;
    ++failures;
  }
  INFO(last.body);
  REQUIRE(last.status == 429);
  CHECK(failures >= 3);
  // ...and B throttles the same name from the same address at once: it knows of them.
  HttpResult on_b = sign_in(b.port());
  CHECK(on_b.status == 429);
  CHECK(on_b.headers.count("retry-after") == 1);
}

TEST_CASE(
    "behind nginx, one server killed under write load: the other takes the traffic and every "
    "acknowledged write is stored once") {
  OnPostgresql pg;
  RoleServer a;
  // Both servers believe nginx's X-Forwarded-For (the throttle and the log see the client).
  a.server = std::make_unique<ServerProcess>(a.db, a.serve_with({"--trusted-proxy", "127.0.0.1"}));
  ServerProcess b(a.db, a.serve_with({"--trusted-proxy", "127.0.0.1"}));
  Nginx proxy({a.server->port(), b.port()});
  const std::string& token = a.tokens.at("dispatcher");

  std::mutex lock;
  std::map<std::string, int64_t> acknowledged;  // description -> id
  std::vector<int> statuses_after_kill;
  std::atomic<bool> killed{false}, stop{false};
  std::atomic<int> sent{0};
  auto writer = [&](int who) {
    for (int n = 0; !stop.load(); ++n) {
      std::string mark = "load-" + std::to_string(who) + "-" + std::to_string(n);
      bool after_kill = killed.load();
      HttpResult r = call(proxy.port(), token, "POST", "/api/v1/petitions",
                          "{\"lon\":111.5005,\"lat\":40.7005,\"category\":\"noise\","
                          "\"description\":\"" +
                              mark + "\"}",
                          {{"Content-Type", "application/json"}});
      ++sent;
      std::lock_guard l(lock);
      if (r.status == 201) acknowledged[mark] = test::json(r)["id"].GetInt64();
      if (after_kill) statuses_after_kill.push_back(r.status);
    }
  };
  std::thread w1(writer, 1), w2(writer, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(kill(a.server->pid(), SIGKILL) == 0);
  killed = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  stop = true;
  w1.join();
  w2.join();

  INFO("sent " << sent.load() << ", acknowledged " << acknowledged.size());
  std::printf("behind nginx: %d writes sent, %zu acknowledged, %zu sent after the kill\n",
              sent.load(), acknowledged.size(), statuses_after_kill.size());
  REQUIRE(acknowledged.size() > 20);
  // After the kill nginx sends everything to B: at most the requests A held were lost.
  REQUIRE(statuses_after_kill.size() > 10);
  int failed = 0;
  for (int s : statuses_after_kill) failed += s == 201 ? 0 : 1;
  CHECK(failed <= 2);
  CHECK(statuses_after_kill.back() == 201);

  // Every acknowledged write is in the database, under the id it was given, and none twice.
  data::Db db = data::Db::open(a.db, false);
  std::map<std::string, std::vector<int64_t>> stored;
  data::Statement st(db, "SELECT description, id FROM petitions WHERE description LIKE 'load-%'");
  while (st.step()) stored[st.text(0)].push_back(st.int64(1));
  for (const auto& [mark, id] : acknowledged) {
    INFO(mark);
    REQUIRE(stored.count(mark) == 1);
    CHECK(stored[mark] == std::vector<int64_t>{id});
  }
  size_t twice = 0;
  for (const auto& [mark, ids] : stored) twice += ids.size() > 1 ? 1 : 0;
  CHECK(twice == 0);
  // Unacknowledged but stored: only what A was writing when it died (one per writer at most).
  CHECK(stored.size() <= acknowledged.size() + 2);
  // B still answers directly, and follows on without A.
  CHECK(call(b.port(), token, "GET", "/api/v1/petitions?limit=1").status == 200);
}

TEST_CASE(
    "with two servers each notification reaches a webhook once, and when the delivering server "
    "dies the other delivers") {
  OnPostgresql pg;
  RoleServer a;
  a.server = std::make_unique<ServerProcess>(a.db, a.serve_with({"--webhook-retry-ms", "50"}));
  auto b = std::make_unique<ServerProcess>(a.db, a.serve_with({"--webhook-retry-ms", "50"}));
  test::Receiver receiver(0);
  const std::string& admin = a.tokens.at("admin");
  HttpResult hook = call(a.server->port(), admin, "POST", "/api/v1/webhooks",
                         "{\"url\":\"http://127.0.0.1:" + std::to_string(receiver.port) +
                             "/hook\",\"secret\":\"0123456789abcdef\",\"subdistrict_code\":"
                             "\"150102001\"}",
                         {{"Content-Type", "application/json"}});
  INFO(hook.body);
  REQUIRE(hook.status == 201);
  auto point = a.point_in(RoleServer::kFirstGrid);  // in the webhook's subdistrict
  double lon = point.first, lat = point.second;     // (clang 14 captures no structured binding)
  auto report = [&](uint16_t port) {
    HttpResult r = call(port, a.tokens.at("dispatcher"), "POST", "/api/v1/petitions",
                        "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
                            ",\"category\":\"noise\",\"description\":\"楼道堆物\"}",
                        {{"Content-Type", "application/json"}});
    REQUIRE(r.status == 201);
    return test::json(r)["id"].GetInt64();
  };
  auto delivered = [&](int64_t petition) {
    for (const auto& d : receiver.deliveries())
      if (d.body.find("\"petition_id\":" + std::to_string(petition) + ",") != std::string::npos)
        return true;
    return false;
  };
  std::vector<int64_t> cases;
  for (int i = 0; i < 3; ++i) {
    cases.push_back(report(a.server->port()));
    cases.push_back(report(b->port()));
  }
  for (int64_t c : cases) CHECK(within(5000, [&] { return delivered(c); }) >= 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // a second deliverer would by now
  std::set<std::string> ids;
  for (const auto& d : receiver.deliveries()) {
    INFO(d.id);
    CHECK(ids.insert(d.id).second);  // each notification once
  }
  CHECK(ids.size() >= cases.size());

  // Whichever server delivered dies; the one left takes the deliveries over.
  kill(a.server->pid(), SIGKILL);
  int64_t late = report(b->port());
  CHECK(within(15000, [&] { return delivered(late); }) >= 0);
}
