// Streamed answers (Response::stream, used by server-sent events) in the HTTP server alone:
// chunks as they come, no timeouts while streaming, the event loop never held up, a clean
// end at stop() and when the client goes away. Run under ThreadSanitizer by scripts/test.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "server/http/server.hpp"
#include "support/stream_client.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using namespace gridmap::server;
using namespace std::chrono_literals;

namespace {

// What the test pushes, handed to the server's loop when it polls.
struct Feed {
  std::mutex lock;
  std::string pending;
  bool done = false;
  void push(const std::string& s) {
    std::lock_guard l(lock);
    pending += s;
  }
  void finish() {
    std::lock_guard l(lock);
    done = true;
  }
};

class FeedSource final : public StreamSource {
 public:
  FeedSource(std::shared_ptr<Feed> feed, std::atomic<int>& alive)
      : feed_(std::move(feed)), alive_(alive) {
    ++alive_;
  }
  ~FeedSource() override { --alive_; }
  std::optional<std::string> poll() override {
    std::lock_guard l(feed_->lock);
    std::string out;
    out.swap(feed_->pending);
    if (out.empty() && feed_->done) return std::nullopt;
    return out;
  }
  std::string farewell() override { return "bye\n"; }

 private:
  std::shared_ptr<Feed> feed_;
  std::atomic<int>& alive_;
};

// An HttpServer whose /stream answers with the feed, anything else with "ok".
struct StreamServer {
  std::shared_ptr<Feed> feed = std::make_shared<Feed>();
  std::atomic<int> sources{0};
  std::atomic<int> logged_streams{0};
  HttpServer server;
  std::thread runner;
  bool stopped = false;

  explicit StreamServer(ServerOptions o)
      : server(
            o,
            [this](Request& r) {
              Response res;
              res.content_type = "text/plain";
              if (r.path == "/stream") {
                res.content_type = "text/event-stream";
                res.body = "first\n";
                res.stream = std::make_shared<FeedSource>(feed, sources);
                return res;
              }
              res.body = "ok";
              return res;
            },
            [this](const AccessRecord& a) {
              if (a.path == "/stream") ++logged_streams;
            }) {
    server.bind();
    runner = std::thread([this] { server.run(); });
  }
  void stop() {
    if (stopped) return;
    stopped = true;
    server.stop();
    runner.join();
  }
  ~StreamServer() { stop(); }
  uint16_t port() const { return server.port(); }
};

ServerOptions options(int threads) {
  ServerOptions o;
  o.port = 0;
  o.threads = threads;
  return o;
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("a streamed answer arrives chunk by chunk while the same loop answers other requests") {
  StreamServer s(options(1));  // one loop: the stream must not hold it
  test::StreamClient c(s.port(), test::StreamClient::get("/stream"));
  REQUIRE(c.wait_for([](const std::string& b) { return contains(b, "first\n"); }));
  CHECK(c.status() == 200);
  CHECK(contains(c.head(), "text/event-stream"));
  CHECK(contains(c.head(), "chunked"));
  for (int i = 0; i < 5; ++i) {
    CHECK(test::http(s.port(), "GET", "/other").body == "ok");
    s.feed->push("item " + std::to_string(i) + "\n");
    std::string want = "item " + std::to_string(i) + "\n";
    CHECK(c.wait_for([&](const std::string& b) { return contains(b, want); }, 2000));
  }
  s.feed->finish();
  CHECK(c.wait_end(2000));
  CHECK(c.last_chunk());
  CHECK(c.body() == "first\nitem 0\nitem 1\nitem 2\nitem 3\nitem 4\n");
}

TEST_CASE("an open stream is not cut off by the request or idle timeout") {
  ServerOptions o = options(2);
  o.request_timeout = 200ms;
  o.idle_timeout = 200ms;
  StreamServer s(o);
  test::StreamClient c(s.port(), test::StreamClient::get("/stream"));
  REQUIRE(c.wait_for([](const std::string& b) { return contains(b, "first\n"); }));
  std::this_thread::sleep_for(800ms);  // four timeouts long, nothing sent
  s.feed->push("late\n");
  CHECK(c.wait_for([](const std::string& b) { return contains(b, "late\n"); }, 2000));
}

TEST_CASE("stop() ends an open stream with its farewell and the last chunk, and run() returns") {
  auto s = std::make_unique<StreamServer>(options(2));
  test::StreamClient c(s->port(), test::StreamClient::get("/stream"));
  REQUIRE(c.wait_for([](const std::string& b) { return contains(b, "first\n"); }));
  auto started = std::chrono::steady_clock::now();
  s->stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // not the 10 s grace
  CHECK(c.wait_end(2000));
  CHECK(c.last_chunk());
  CHECK(c.body() == "first\nbye\n");
  CHECK(s->logged_streams == 1);
}

TEST_CASE("a client that goes away ends its stream and frees the source") {
  StreamServer s(options(2));
  {
    test::StreamClient c(s.port(), test::StreamClient::get("/stream"));
    REQUIRE(c.wait_for([](const std::string& b) { return contains(b, "first\n"); }));
    CHECK(s.sources == 1);
  }
  for (int i = 0; i < 50 && s.sources != 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(s.sources == 0);
  CHECK(s.logged_streams == 1);
  CHECK(s.server.connections() == 0);
}
