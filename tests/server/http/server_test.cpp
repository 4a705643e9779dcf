// The HTTP server in this process, without the application: many loops, many clients,
// slow ones and a stop under load. Run under ThreadSanitizer by scripts/test.
#include "server/http/server.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

using namespace gridmap;
using namespace gridmap::server;
using namespace std::chrono_literals;

namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// An HttpServer running on its own thread until destroyed.
struct Running {
  std::atomic<int> handled{0}, logged{0};
  HttpServer server;
  std::thread runner;

  explicit Running(ServerOptions o, std::chrono::milliseconds work = 0ms)
      : server(
            o,
            [this, work](Request& r) {
              if (work.count()) std::this_thread::sleep_for(work);
              ++handled;
              Response res;
              res.content_type = "text/plain";
              res.body = r.method + " " + r.path + " " + r.body;
              return res;
            },
            [this](const AccessRecord&) { ++logged; }) {
    server.bind();
    runner = std::thread([this] { server.run(); });
  }
  ~Running() {
    server.stop();
    runner.join();
  }
  uint16_t port() const { return server.port(); }
};

ServerOptions options(int threads) {
  ServerOptions o;
  o.port = 0;
  o.threads = threads;
  return o;
}

}  // namespace

TEST_CASE("clients on many connections are all answered, one at a time or pipelined") {
  Running s(options(4));
  constexpr int kClients = 8, kRounds = 10, kPipelined = 5;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRounds; ++i) {
        if (i % 2) {
          auto r = test::http(s.port(), "POST", "/c" + std::to_string(c), "body");
          if (r.status == 200 && r.body == "POST /c" + std::to_string(c) + " body") ++ok;
          continue;
        }
        std::string bytes;
        for (int k = 0; k < kPipelined; ++k)
          bytes += "GET /p HTTP/1.1\r\nHost: x\r\n" +
                   std::string(k + 1 == kPipelined ? "Connection: close\r\n" : "") + "\r\n";
        std::string out = test::raw_exchange(s.port(), bytes, 10000);
        if (count_of(out, "HTTP/1.1 200 OK") == kPipelined) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == kClients * kRounds);
  int expected = kClients * kRounds / 2 * (1 + kPipelined);
  CHECK(s.handled == expected);
  // The access log line is written after the answer: give the last ones a moment.
  for (int i = 0; i < 100 && s.logged < expected; ++i) std::this_thread::sleep_for(10ms);
  CHECK(s.logged == expected);
}

TEST_CASE("a client that drips its header is cut off and does not hold up the others") {
  ServerOptions o = options(2);
  o.request_timeout = 300ms;
  Running s(o);
  std::string slow_answer;
  std::thread slow([&] {
    slow_answer = test::raw_exchange(s.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", 5000);
  });
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) CHECK(test::http(s.port(), "GET", "/fast").status == 200);
  slow.join();
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(slow_answer.empty());  // closed without an answer
  CHECK(took < 3s);
}

TEST_CASE("stop() under load lets in-flight requests finish, and run() returns") {
  auto s = std::make_unique<Running>(options(3), 50ms);
  uint16_t port = s->port();
  std::atomic<int> answered{0}, refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = test::http(port, "GET", "/work");
        (r.status == 200 ? answered : refused)++;
      }
    });
  std::this_thread::sleep_for(200ms);
  s.reset();  // stop() and join run() while the clients keep coming
  for (auto& t : clients) t.join();
  CHECK(answered > 0);
  CHECK(answered + refused == 60);
}
