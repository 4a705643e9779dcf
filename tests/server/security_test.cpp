// What an attack on a running server found (issue 14), each as a test that failed before
// its fix: the real server on loopback, on the tatabu demo, as an outsider and as each role.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <sodium.h>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/households.hpp"
#include "data/petitions.hpp"
#include "support/city_support.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::household_in;
using test::http;
using test::HttpResult;
using test::json;
using test::RoleServer;

namespace {

// A TCP connection to the server's loopback port from another loopback address (127.0.0.2,
// ...): another client, as far as the server can tell.
int connect_from(const char* source, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed the connection (read gives 0 or an error) within `ms`.
bool closed_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return false;
  char c;
  return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// Sends a request on an open connection and reads the status line of the answer.
int status_on(int fd, const std::string& request) {
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return 0;
  std::string got;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (got.find("\r\n") == std::string::npos && poll(&p, 1, 5000) > 0) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (got.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(got.substr(9, 3));
}

std::string bearer(RoleServer& s, const std::string& role) {
  return "Bearer " + s.tokens.at(role);
}

HttpResult as(RoleServer& s, const std::string& role, const std::string& method,
              const std::string& target, const std::string& body = "",
              std::map<std::string, std::string> headers = {}) {
  headers["Authorization"] = bearer(s, role);
  return http(s.server->port(), method, target, body, headers);
}

std::string point_body(LonLat p, const std::string& category = "noise") {
  return "{\"lon\":" + std::to_string(p.lon) + ",\"lat\":" + std::to_string(p.lat) +
         ",\"kind\":\"appeal\",\"category\":\"" + category + "\",\"description\":\"测试\"}";
}

int64_t id_of(const HttpResult& r) {
  INFO(r.body);
  REQUIRE((r.status == 200 || r.status == 201));
  return json(r)["id"].GetInt64();
}

std::string signed_cookie(uint16_t port, const std::string& name, const std::string& password) {
  auto r = http(port, "POST", "/api/v1/session",
                "{\"name\":\"" + name + "\",\"password\":\"" + password + "\"}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::string set = r.headers.at("set-cookie");
  return set.substr(0, set.find(';'));
}

// The audit chain's hash before it was keyed: what someone with only the database file
// can compute.
std::string plain_chain_hash(const std::string& prev, int64_t at,
                             const std::vector<std::string>& fields) {
  REQUIRE(sodium_init() >= 0);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  auto add = [&](const std::string& s) {
    uint64_t n = s.size();
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  add(prev);
  add(std::to_string(at));
  for (auto& f : fields) add(f);
  unsigned char h[32];
  crypto_generichash_final(&st, h, sizeof h);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

}  // namespace

TEST_CASE(
    "a body nested 200,000 deep gets 400 and the server lives on, data after the JSON value is "
    "refused",
    "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  check_problem(http(port, "POST", "/api/v1/session", std::string(200000, '[')), 400,
                "invalid_input");
  check_problem(http(port, "POST", "/api/v1/session", std::string(100, '{') + "\"a\":1"), 400,
                "invalid_input");
  // Deep inside a string is just text.
  CHECK(http(port, "POST", "/api/v1/session",
             "{\"name\":\"" + std::string(5000, '[') + "\",\"password\":\"x\"}")
            .status == 401);
  CHECK(http(port, "GET", "/healthz").status == 200);
  check_problem(as(s, "admin", "POST", "/api/v1/locate", "[[111.7,40.8]] trailing"), 400,
                "invalid_input");
  check_problem(as(s, "admin", "POST", "/api/v1/locate", "[[111.7,40.8]][]"), 400, "invalid_input");
  CHECK(as(s, "admin", "POST", "/api/v1/locate", "[[111.7,40.8]]  \n").status == 200);
}

TEST_CASE("repeated query parameters are refused and filters never widen a worker's petitions",
          "[engines]") {
  RoleServer s;
  std::string many = "/api/v1/petitions?limit=1000";
  for (int i = 0; i < 13; ++i) many += "&handler_worker_id=5";
  check_problem(s.get(many, "worker"), 400, "invalid_input");
  std::string kinds = "/api/v1/petitions?limit=1000";
  for (int i = 0; i < 11; ++i) kinds += "&kind=appeal";
  check_problem(s.get(kinds, "worker"), 400, "invalid_input");
  // One filter of each kind: every answer stays in the worker's reach.
  for (const char* filter :
       {"handler_worker_id=5", "kind=appeal", "grid_code=150102001009001", "status=closed",
        "subdistrict_code=150102001", "community_code=150102001009"}) {
    INFO(filter);
    auto r = s.get(std::string("/api/v1/petitions?limit=1000&") + filter, "worker");
    REQUIRE(r.status == 200);
    auto d = json(r);
    for (auto& f : d["features"].GetArray()) {
      const auto& p = f["properties"];
      bool mine = (p["grid_code"].IsString() &&
                   std::string(p["grid_code"].GetString()) == RoleServer::kFirstGrid) ||
                  (p["handler_worker_id"].IsInt64() && p["handler_worker_id"].GetInt64() == 1);
      CHECK(mine);
    }
  }
  // A dispatcher sees the other grid's petitions with the same filter: the test can fail.
  auto all = json(s.get("/api/v1/petitions?limit=1000&handler_worker_id=5", "dispatcher"));
  CHECK(all["features"].Size() > 0);
}

TEST_CASE(
    "a worker starts, submits, resolves on site and escalates, but never dispatches, reviews or "
    "reassigns",
    "[engines]") {
  RoleServer s;
  data::Household home = household_in(s.db, RoleServer::kFirstGrid, true);
  auto move = [&](const std::string& role, int64_t id, const std::string& body) {
    return s.move(id, body, role);
  };
  int64_t id = id_of(as(s, "worker", "POST", "/api/v1/petitions", point_body(home.position)));
  check_problem(move("worker", id, "{\"to\":\"dispatched\"}"), 403, "forbidden");
  check_problem(move("worker", id, "{\"action\":\"reassign\",\"worker_id\":2}"), 403, "forbidden");
  CHECK(move("dispatcher", id, "{\"to\":\"dispatched\"}").status == 200);
  CHECK(move("worker", id, "{\"to\":\"in_progress\"}").status == 200);
  CHECK(move("worker", id, "{\"to\":\"pending_review\"}").status == 200);
  check_problem(move("worker", id, "{\"to\":\"closed\"}"), 403, "forbidden");  // their own review
  check_problem(move("worker", id, "{\"to\":\"in_progress\"}"), 403, "forbidden");
  CHECK(move("worker", id, "{\"action\":\"escalate\"}").status == 200);
  CHECK(move("dispatcher", id, "{\"to\":\"verified\"}").status == 200);
  check_problem(move("worker", id, "{\"to\":\"closed\"}"), 403, "forbidden");
  CHECK(move("dispatcher", id, "{\"to\":\"closed\"}").status == 200);
  // Registering, rejecting, suspending and supervising are the office's.
  int64_t more = id_of(as(s, "worker", "POST", "/api/v1/petitions", point_body(home.position)));
  check_problem(move("worker", more, "{\"to\":\"registered\"}"), 403, "forbidden");
  check_problem(move("worker", more, "{\"to\":\"rejected\",\"note\":\"x\"}"), 403, "forbidden");
  check_problem(move("worker", more, "{\"action\":\"supervise\",\"note\":\"x\"}"), 403,
                "forbidden");
  CHECK(move("dispatcher", more, "{\"to\":\"registered\"}").status == 200);
  check_problem(move("worker", more, "{\"to\":\"suspended\",\"note\":\"x\"}"), 403, "forbidden");
  CHECK(move("dispatcher", more, "{\"action\":\"supervise\",\"note\":\"限期办结\"}").status == 200);
  // The reporter withdraws what they reported.
  CHECK(move("worker", more, "{\"to\":\"withdrawn\",\"note\":\"已自行解决\"}").status == 200);
  // A case another worker handles is not theirs to start, even when they can read it.
  int64_t other = id_of(as(s, "worker", "POST", "/api/v1/petitions", point_body(home.position)));
  CHECK(move("dispatcher", other, "{\"to\":\"dispatched\"}").status == 200);
  CHECK(move("dispatcher", other, "{\"action\":\"reassign\",\"worker_id\":2}").status == 200);
  check_problem(move("worker", other, "{\"to\":\"in_progress\"}"), 403, "forbidden");
  // Resolving on site what they reported.
  int64_t onsite = id_of(as(s, "worker", "POST", "/api/v1/petitions", point_body(home.position)));
  CHECK(move("worker", onsite, "{\"to\":\"closed\",\"note\":\"当场劝离\"}").status == 200);
}

TEST_CASE("a worker's access follows the worker's current grids", "[engines]") {
  RoleServer s;
  data::Household old_home = household_in(s.db, RoleServer::kFirstGrid, true);
  data::Household new_home = household_in(s.db, RoleServer::kFirstGrid, false);
  std::string old_item = "/api/v1/households/" + std::to_string(*old_home.id);
  std::string new_item = "/api/v1/households/" + std::to_string(*new_home.id);
  CHECK(s.get(old_item, "worker").status == 200);
  CHECK(s.get(new_item, "worker").status == 404);
  auto w =
      as(s, "admin", "PATCH", "/api/v1/workers/1", "{\"grids\":[\"" + *new_home.grid_code + "\"]}");
  INFO(w.body);
  REQUIRE(w.status == 200);
  CHECK(s.get(old_item, "worker").status == 404);
  CHECK(s.get(new_item, "worker").status == 200);
  auto me = json(s.get("/api/v1/session", "worker"));
  REQUIRE(me["grids"].Size() == 1);
  CHECK(std::string(me["grids"][0].GetString()) == *new_home.grid_code);
}

TEST_CASE("a new password ends every session and token, signing out with an API token revokes it",
          "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  REQUIRE(test::run_gridmap(
              {"user", "add", "zhao", "--role", "dispatcher", "--db", s.db, "--password-stdin"},
              "old password 1\n")
              .exit_code == 0);
  std::string cookie = signed_cookie(port, "zhao", "old password 1");
  std::string token = test::run_gridmap({"user", "token", "zhao", "--db", s.db}).out;
  token.erase(token.find_last_not_of("\n") + 1);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Cookie", cookie}}).status == 200);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Authorization", "Bearer " + token}}).status ==
        200);
  auto pw = test::run_gridmap({"user", "passwd", "zhao", "--db", s.db}, "new password 2\n");
  REQUIRE(pw.exit_code == 0);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1100));  // the server trusts a token for a second
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Cookie", cookie}}).status == 401);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Authorization", "Bearer " + token}}).status ==
        401);
  // Sign-out with an API token ends that token.
  std::string api = test::run_gridmap({"user", "token", "zhao", "--db", s.db}).out;
  api.erase(api.find_last_not_of("\n") + 1);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Authorization", "Bearer " + api}}).status == 200);
  CHECK(http(port, "DELETE", "/api/v1/session", "", {{"Authorization", "Bearer " + api}}).status ==
        204);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Authorization", "Bearer " + api}}).status == 401);
}

TEST_CASE(
    "slow connections from one address cannot starve everyone, idle ones are shed near the cap") {
  test::TempDir dir;
  std::string db = dir.file("t.sqlite");
  REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  test::ServerProcess server(db,
                             {"--max-connections", "100", "--max-connections-per-address", "40"});
  uint16_t port = server.port();
  // 150 connections from one address, each dripping a header: only 40 are kept.
  std::vector<int> drips;
  for (int i = 0; i < 150; ++i)
    if (int fd = connect_from("127.0.0.2", port); fd >= 0) {
      send(fd, "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
      drips.push_back(fd);
    }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int open = 0;
  for (int fd : drips) open += !closed_within(fd, 0);
  CHECK(open <= 40);
  CHECK(open >= 30);
  // Someone else still gets in.
  CHECK(http(port, "GET", "/healthz").status == 200);
  // Idle keep-alive connections from several addresses up to the cap: the oldest idle ones
  // are shed so that a new client gets an answer.
  std::vector<int> idle;
  for (const char* from : {"127.0.0.3", "127.0.0.4"})
    for (int i = 0; i < 30; ++i)
      if (int fd = connect_from(from, port); fd >= 0) {
        if (status_on(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == 200)
          idle.push_back(fd);
        else
          close(fd);
      }
  CHECK(idle.size() == 60);  // 40 dripping + 60 idle: at the cap
  int fresh = connect_from("127.0.0.5", port);
  REQUIRE(fresh >= 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // a sweep or two
  CHECK(status_on(fresh, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
  int shed = 0;
  for (int fd : idle) shed += closed_within(fd, 0);
  CHECK(shed > 0);
  for (int fd : drips) close(fd);
  for (int fd : idle) close(fd);
  close(fresh);
}

TEST_CASE("the audit chain is anchored: removed last rows and a recomputed chain are found") {
  test::TempDir dir;
  std::string path = dir.file("a.sqlite");
  auto fill = [&](const std::string& p) {
    data::Db db = data::Db::open(p);
    for (int i = 0; i < 6; ++i)
      data::audit(db, 1000 + i, "admin", "reveal_resident", "resident:" + std::to_string(i),
                  "核对");
  };
  fill(path);
  REQUIRE(test::run_gridmap({"audit", "verify", "--db", path}).exit_code == 0);
  CHECK(std::filesystem::exists(path + ".audit-key"));
  CHECK(std::filesystem::exists(path + ".audit-head"));
  {
    data::Db db = data::Db::open(path);
    db.exec("DROP TRIGGER audit_log_no_delete");
    db.exec("DELETE FROM audit_log WHERE id > 4");
  }
  auto tail = test::run_gridmap({"audit", "verify", "--db", path});
  CHECK(tail.exit_code == 1);
  CHECK(tail.out.find("removed") != std::string::npos);
  {
    data::Db db = data::Db::open(path);
    db.exec("DELETE FROM audit_log");
  }
  CHECK(test::run_gridmap({"audit", "verify", "--db", path}).exit_code == 1);
  // Rewriting a row and recomputing the chain with the plain (unkeyed) hash is found: the
  // MAC needs the key, which is not in the database file.
  std::string other = dir.file("b.sqlite");
  fill(other);
  {
    data::Db db = data::Db::open(other);
    db.exec("DROP TRIGGER audit_log_no_update");
    db.exec("UPDATE audit_log SET actor = 'nobody', keyed = 0");
    // A plain chain over the edited rows, as the unkeyed code computed it.
    data::Statement rows(
        db, "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id");
    data::Statement put(db, "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE id = ?3");
    std::string prev(64, '0');
    while (rows.step()) {
      std::string h = plain_chain_hash(prev, rows.int64(1),
                                       {rows.text(2), rows.text(3), rows.text(4), rows.text(5)});
      put.bind(1, prev).bind(2, h).bind(3, rows.int64(0)).run();
      prev = h;
    }
  }
  auto edited = test::run_gridmap({"audit", "verify", "--db", other});
  INFO(edited.out);
  CHECK(edited.exit_code == 1);
  // Even with the checkpoint gone too, an audit key without any keyed entry gives it away.
  std::filesystem::remove(other + ".audit-head");
  CHECK(test::run_gridmap({"audit", "verify", "--db", other}).exit_code == 1);
}

TEST_CASE("behind a trusted proxy the client is the address X-Forwarded-For names, and only there",
          "[engines]") {
  RoleServer s;
  // /metrics answers loopback clients without a token (--metrics-from-loopback): whether it
  // asks for one shows which address the server took for the client's.
  auto metrics = [&](const std::string& forwarded) {
    std::map<std::string, std::string> headers;
    if (!forwarded.empty()) headers["X-Forwarded-For"] = forwarded;
    return http(s.server->port(), "GET", "/metrics", "", headers).status;
  };
  // Not trusted: what a client claims is ignored; the peer (127.0.0.1) is the client.
  s.server.reset();  // one server per SQLite file
  s.server = std::make_unique<test::ServerProcess>(s.db, s.serve_with({"--metrics-from-loopback"}));
  CHECK(metrics("") == 200);
  CHECK(metrics("198.51.100.7") == 200);
  // nginx on 127.0.0.1 trusted: the last hop it names is the client; hops before it are the
  // client's own claims (a forged loopback first hop is not believed).
  s.server.reset();
  s.server = std::make_unique<test::ServerProcess>(
      s.db, s.serve_with({"--metrics-from-loopback", "--trusted-proxy", "127.0.0.1, ::1"}));
  CHECK(metrics("") == 200);                           // nginx itself
  CHECK(metrics("198.51.100.7") == 401);               // a client elsewhere
  CHECK(metrics("127.0.0.1, 198.51.100.7") == 401);    // forged first hop, real last
  CHECK(metrics("198.51.100.7, 127.0.0.1") == 401);    // through two trusted proxies
  CHECK(metrics("not an address, 127.0.0.1") == 200);  // garbage ends the chain of hops
  // The sign-in throttle holds the client named, not nginx: another client is not held.
  uint16_t port = s.server->port();
  auto sign_in = [&](const std::string& from) {
    return http(port, "POST", "/api/v1/session", "{\"name\":\"li\",\"password\":\"wrong guess\"}",
                {{"Content-Type", "application/json"}, {"X-Forwarded-For", from}})
        .status;
  };
  int throttled = 0;
  for (int i = 0; i < 20 && !throttled; ++i) throttled = sign_in("198.51.100.7") == 429;
  CHECK(throttled);
  CHECK(sign_in("198.51.100.8") == 401);
  // A bad --trusted-proxy is refused at start.
  auto bad = test::run_gridmap({"serve", "--db", s.db, "--trusted-proxy", "nginx.local"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--trusted-proxy") != std::string::npos);
}

TEST_CASE("failed sign-ins slow down guesses from one address but never lock the real user out",
          "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  REQUIRE(test::run_gridmap(
              {"user", "add", "li", "--role", "planner", "--db", s.db, "--password-stdin"},
              "a good long password\n")
              .exit_code == 0);
  // The guesser is at 127.0.0.2: three guesses are answered, then each waits longer.
  auto guess_from = [&](const char* from) {
    int fd = connect_from(from, port);
    REQUIRE(fd >= 0);
    std::string body = "{\"name\":\"li\",\"password\":\"wrong guess\"}";
    int st =
        status_on(fd,
                  "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
    close(fd);
    return st;
  };
  for (int i = 0; i < 3; ++i) CHECK(guess_from("127.0.0.2") == 401);
  int waited = 0;  // 1 s after the third failure, 2 s after a fourth: one of these waits
  for (int i = 0; i < 3; ++i) waited += guess_from("127.0.0.2") == 429;
  CHECK(waited >= 1);
  for (int i = 0; i < 5; ++i) guess_from("127.0.0.2");
  // The real user, elsewhere, signs in at once.
  auto ok = http(port, "POST", "/api/v1/session",
                 "{\"name\":\"li\",\"password\":\"a good long password\"}");
  INFO(ok.body);
  CHECK(ok.status == 200);
  // Other clients are answered while sign-ins hash (argon2 runs off the event loops).
  std::vector<std::thread> signers;
  std::atomic<bool> stop{false};
  for (int i = 0; i < 2; ++i)
    signers.emplace_back([&, i] {
      std::string who = i ? "demo-dispatcher" : "demo-planner";
      while (!stop)
        http(port, "POST", "/api/v1/session",
             "{\"name\":\"" + who + "\",\"password\":\"gridmap-demo\"}");
    });
  int healthy = 0;
  for (int i = 0; i < 20; ++i) healthy += http(port, "GET", "/healthz").status == 200;
  stop = true;
  for (auto& t : signers) t.join();
  CHECK(healthy == 20);
}

TEST_CASE("out of a worker's patch looks exactly like missing: visits, residents, duplicates",
          "[engines]") {
  RoleServer s;
  data::Household mine = household_in(s.db, RoleServer::kFirstGrid, true);
  data::Household theirs = household_in(s.db, RoleServer::kFirstGrid, false);
  auto visit = [&](int64_t household) {
    return as(s, "worker", "POST", "/api/v1/workers/1/visits",
              "{\"household_id\":" + std::to_string(household) +
                  ",\"note\":\"走访\",\"off_site_reason\":\"电话走访\"}");
  };
  CHECK(visit(*mine.id).status == 201);
  auto outside = visit(*theirs.id), missing = visit(99999999);
  check_problem(outside, 404, "not_found");
  check_problem(missing, 404, "not_found");
  CHECK(json(outside)["detail"].GetString() == "no household " + std::to_string(*theirs.id));
  // Residents: revealing one outside the patch names the resident, not their household.
  int64_t resident = 0;
  {
    data::Db d = data::Db::open(s.db, false);
    data::Statement st(d, "SELECT id FROM residents WHERE household_id = ?1 LIMIT 1");
    st.bind(1, *theirs.id);
    REQUIRE(st.step());
    resident = st.int64(0);
  }
  auto reveal = as(s, "worker", "POST", "/api/v1/residents/" + std::to_string(resident) + "/reveal",
                   "{\"reason\":\"核对\"}");
  check_problem(reveal, 404, "not_found");
  CHECK(json(reveal)["detail"].GetString() == "no resident " + std::to_string(resident));
  // Duplicate suggestions: the dispatcher reports outside the worker's patch; the worker
  // reporting the same thing at the same place is not told that case exists.
  int64_t elsewhere =
      id_of(as(s, "dispatcher", "POST", "/api/v1/petitions", point_body(theirs.position)));
  auto dup_for_dispatcher =
      json(as(s, "dispatcher", "POST", "/api/v1/petitions", point_body(theirs.position)));
  bool listed = false;
  for (auto& v : dup_for_dispatcher["possible_duplicates"].GetArray())
    listed |= v.GetInt64() == elsewhere;
  CHECK(listed);
  auto dup_for_worker =
      json(as(s, "worker", "POST", "/api/v1/petitions", point_body(theirs.position)));
  for (auto& v : dup_for_worker["possible_duplicates"].GetArray()) CHECK(v.GetInt64() != elsewhere);
}

TEST_CASE("the Host header never reaches the style, --public-url names the server", "[engines]") {
  RoleServer s;
  auto r = s.get("/style.json", "admin", {{"Host", "evil.example"}});
  REQUIRE(r.status == 200);
  CHECK(r.body.find("evil") == std::string::npos);
  CHECK(s.get("/tiles/grids.json", "admin", {{"Host", "evil.example"}}).body.find("evil") ==
        std::string::npos);
  s.server.reset();
  test::ServerProcess named(s.db, s.serve_with({"--public-url", "https://grid.example.gov.cn/"}));
  auto style = json(http(named.port(), "GET", "/style.json", "",
                         {{"Authorization", bearer(s, "admin")}, {"Host", "evil.example"}}));
  CHECK(std::string(style["glyphs"].GetString())
            .rfind("https://grid.example.gov.cn/fonts/{fontstack}/{range}.pbf?v=", 0) == 0);
  CHECK(test::run_gridmap({"serve", "--db", s.db, "--public-url", "grid.example.gov.cn/x"})
            .exit_code == 2);
}

TEST_CASE(
    "cookie-signed writes from another site's page are refused, and cookie names match exactly",
    "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  std::string cookie = signed_cookie(port, "demo-dispatcher", "gridmap-demo");
  std::string body = point_body({111.7, 40.8});
  auto post = [&](std::map<std::string, std::string> h,
                  const std::string& content_type = "application/json") {
    h["Cookie"] = cookie;
    std::string req =
        "POST /api/v1/petitions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
        "close\r\nContent-Type: " +
        content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    for (auto& [k, v] : h) req += k + ": " + v + "\r\n";
    std::string raw = test::raw_exchange(port, req + "\r\n" + body);
    return raw.size() > 12 ? std::stoi(raw.substr(9, 3)) : 0;
  };
  CHECK(post({{"Origin", "http://evil.example"}}, "text/plain") == 403);
  CHECK(post({{"Origin", "http://evil.example"}}) == 403);
  CHECK(post({}) == 403);  // a signed-in write that does not say where it comes from
  CHECK(post({{"Origin", "http://127.0.0.1"}}, "text/plain") == 415);
  CHECK(post({{"Referer", "http://127.0.0.1/"}}) == 201);
  CHECK(post({{"Origin", "http://127.0.0.1"}}) == 201);
  // A bearer token is never sent by a browser on its own: no Origin needed.
  CHECK(as(s, "dispatcher", "POST", "/api/v1/petitions", body).status == 201);
  std::string value = cookie.substr(cookie.find('=') + 1);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Cookie", "xgridmap_session=" + value}}).status ==
        401);
  CHECK(http(port, "GET", "/api/v1/stats", "", {{"Cookie", "a=1; gridmap_session=" + value}})
            .status == 200);
}

TEST_CASE("a second server on the same file is refused, an empty file is not made a database",
          "[engines]") {
  RoleServer s;
  test::TempDir dir;
  if (!test::testing_postgresql()) {
    std::vector<std::string> again{"serve", "--db", s.db, "--listen", "127.0.0.1:0"};
    again.insert(again.end(), s.serve_args.begin(), s.serve_args.end());
    auto second = test::run_gridmap(again);
    CHECK(second.exit_code == 2);
    CHECK(second.err.find("another gridmap server") != std::string::npos);
  } else {
    // On PostgreSQL servers follow each other's changes: a second one serves the same
    // database; what must run alone (a bulk import of the register, which drops indexes) is
    // refused while they run.
    test::ServerProcess second(s.db, s.serve_args);
    CHECK(http(second.port(), "GET", "/healthz").status == 200);
    std::string csv = dir.file("register.csv");
    test::write_file(csv, "name,id_number,address\n");
    auto bulk = test::run_gridmap({"import", "register", csv, "--db", s.db});
    CHECK(bulk.exit_code == 2);
    CHECK(bulk.err.find("a gridmap server is serving") != std::string::npos);
  }
  std::string empty = dir.file("empty.sqlite");
  test::write_file(empty, "");
  auto r = test::run_gridmap({"serve", "--db", empty, "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("not a gridmap database") != std::string::npos);
  CHECK(std::filesystem::file_size(empty) == 0);
  CHECK(test::run_gridmap({"locate", "--db", empty, "111.7", "40.8"}).exit_code == 2);
  CHECK(std::filesystem::file_size(empty) == 0);
  test::ServerProcess created(empty, {"--create"});
  CHECK(http(created.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("malformed framing gets 400 before the connection closes", "[engines]") {
  RoleServer s;
  uint16_t port = s.server->port();
  const std::string auth = "Authorization: " + bearer(s, "admin") + "\r\n";
  for (std::string req : {
           "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: -5\r\n\r\n",
           "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\n" + auth +
               "Content-Length: 2\r\nContent-Length: 2\r\n\r\n[]",
           "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 2, 2\r\n\r\n[]",
           "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\n" + auth +
               "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n[]",
           "POST /api/v1/locate HTTP/1.1\r\nHost: x\r\n" + auth +
               "Transfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n",
           std::string("GET /healthz\r\n\r\n"),
       }) {
    INFO(req);
    std::string raw = test::raw_exchange(port, req, 5000);
    CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
  }
  CHECK(http(port, "GET", "/healthz").status == 200);
}

TEST_CASE(
    "a planner's heat and density count whole weeks: windows a day apart cannot be subtracted",
    "[engines]") {
  RoleServer s;
  // z 6: the whole subdistrict in one bin, so the counts are far above k = 5.
  std::string tile = "/tiles/density/6/51/24.mvt";
  std::string week = tile + "?from=2026-10-05&to=2026-10-11",
              shorter = tile + "?from=2026-10-06&to=2026-10-10";
  auto admin_week = s.get(week, "admin"), admin_short = s.get(shorter, "admin");
  REQUIRE(admin_week.status == 200);
  REQUIRE(admin_short.status == 200);
  CHECK(admin_week.body != admin_short.body);  // the days between hold petitions
  auto planner_week = s.get(week, "planner"), planner_short = s.get(shorter, "planner");
  REQUIRE(planner_week.status == 200);
  CHECK(planner_week.body.size() > 0);
  CHECK(planner_week.body == planner_short.body);
  CHECK(s.get("/heatmap/6/51/24.png?from=2026-10-05&to=2026-10-11", "planner").body ==
        s.get("/heatmap/6/51/24.png?from=2026-10-07&to=2026-10-08", "planner").body);
}
