#include "server/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "server/http/convert.hpp"

namespace gridmap::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session;
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Clock = std::chrono::steady_clock;

// One event loop per thread: a connection lives on one loop from accept to close, so its
// handlers never run concurrently, need no strand, and no thread wakes another per request.
// Timeouts are deadlines checked by a sweeper on each loop (no timer per operation).
struct Loop {
  net::io_context ioc{1};
  net::steady_timer sweeper{ioc};
  std::vector<std::weak_ptr<Session>> sessions;  // touched on this loop's thread only
};

// Deferred answers (Response::deferred) waiting or running at most; more get 503 at once.
constexpr int kMaxDeferred = 64;
// How long a connection may wait for a request's header once the server sheds load.
constexpr auto kShedHeaderWait = std::chrono::seconds(2);

struct Shared {
  ServerOptions options;
  Handler handler;
  AccessLog log;
  std::atomic<int> connections{0};
  std::atomic<int> busy{0};  // sessions between reading a request and writing its answer
  std::atomic<bool> stopping{false};
  // Near the connection cap the sweepers close idle keep-alive connections and those slow
  // to send a header, so that a crowd of idle or dripping clients cannot hold every slot.
  std::atomic<bool> shedding{false};
  std::atomic<int> idle{0};  // kept-alive connections waiting for their next request
  std::mutex address_lock;
  std::unordered_map<std::string, int> per_address;  // open connections per client address
  net::thread_pool blocking{1};  // deferred answers: one core at most, the loops keep theirs
  std::atomic<int> deferred{0};

  // Counts a new connection from `address`; false (and nothing counted) when that address
  // already holds its share.
  bool admit(const std::string& address) {
    int cap = options.max_connections_per_address;
    std::string_view bare = address;
    if (bare.rfind("::ffff:", 0) == 0) bare.remove_prefix(7);
    if (std::find(options.uncapped_addresses.begin(), options.uncapped_addresses.end(), bare) !=
        options.uncapped_addresses.end())
      cap = 0;
    std::lock_guard l(address_lock);
    int& n = per_address[address];
    if (cap > 0 && n >= cap) {
      if (n == 0) per_address.erase(address);
      return false;
    }
    ++n;
    return true;
  }
  void release(const std::string& address) {
    std::lock_guard l(address_lock);
    auto it = per_address.find(address);
    if (it != per_address.end() && --it->second <= 0) per_address.erase(it);
  }
  void update_shedding() {
    shedding = connections * 10 >= options.max_connections * 9;
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `address` was admitted (Shared::admit) for this connection; released when it closes.
  Session(Socket socket, std::shared_ptr<Shared> shared, std::string address)
      : socket_(std::move(socket)), shared_(std::move(shared)), remote_(std::move(address)) {
    ++shared_->connections;
    shared_->update_shedding();
  }
  ~Session() {
    set_idle(false);
    --shared_->connections;
    shared_->update_shedding();
    shared_->release(remote_);
  }

  // On the session's loop.
  void start(Loop& loop) {
    loop.sessions.push_back(weak_from_this());
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    read_header();
  }

  // On the session's loop: closes the connection when its deadline has passed (a slow
  // drip, a stalled reader, an idle keep-alive) or, while stopping, when it is idle.
  // Near the cap (shedding), idle keep-alive connections close first, and those that have
  // waited over kShedHeaderWait for a header.
  void sweep(Clock::time_point now) {
    if (!socket_.is_open()) return;
    if (stream_) {  // a stream is not shed and ends with its farewell when the server stops
      if (now >= deadline_) return close();
      return pump();
    }
    if (now >= deadline_ || (shared_->stopping && !busy_)) return close();
    if (shared_->shedding && !busy_ && (now - waiting_since_ >= kShedHeaderWait || (idle_ && buffer_.size() == 0)))
      close();
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    waiting_since_ = Clock::now();
    deadline_ = waiting_since_ + (first_ ? shared_->options.request_timeout : shared_->options.idle_timeout);
    set_idle(!first_);
    first_ = false;
    http::async_read_header(socket_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == http::error::header_limit)
      return refuse(431, "header_too_large", "Request header fields too large",
                    "the request's header exceeds " +
                        std::to_string(shared_->options.max_header_bytes) + " bytes");
    if (ec == http::error::body_limit)  // Content-Length over the limit, seen in the header
      return refuse(
          413, "body_too_large", "Payload too large",
          "the body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes");
    if (is_malformed(ec)) return refuse_malformed(ec);
    if (ec) return close();
    set_idle(false);
    // One Content-Length only: two (even equal) are how request smuggling starts.
    auto& head = parser_->get();
    if (auto n = head.count(http::field::content_length);
        n > 1 || (n == 1 && head[http::field::content_length].find(',') != beast::string_view::npos))
      return refuse(400, "bad_request", "Bad request", "the request must have one Content-Length with one value");
    busy_ = true;
    ++shared_->busy;
    started_ = Clock::now();
    deadline_ = started_ + shared_->options.request_timeout;
    auto& req = parser_->get();
    auto length = parser_->content_length();
    if (length && *length > shared_->options.max_body_bytes)
      return refuse(
          413, "body_too_large", "Payload too large",
          "the body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes");
    if (parser_->is_done()) return handle();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(socket_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec == http::error::body_limit)
            return self->refuse(413, "body_too_large", "Payload too large",
                                "the body exceeds " +
                                    std::to_string(self->shared_->options.max_body_bytes) +
                                    " bytes");
          if (is_malformed(ec)) return self->refuse_malformed(ec);
          if (ec) return self->close();
          self->handle();
        });
  }

  // A request the parser refuses (bad framing, a bad chunk, HTTP/0.9, ...) gets 400 before
  // the connection closes; a peer that just went away (end of stream) gets nothing.
  static bool is_malformed(const beast::error_code& ec) {
    return ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
  }
  void set_idle(bool idle) {
    if (idle == idle_) return;
    idle_ = idle;
    shared_->idle += idle ? 1 : -1;
  }

  void refuse_malformed(const beast::error_code& ec) {
    refuse(400, "bad_request", "Bad request", "the request is not valid HTTP/1.1: " + ec.message());
  }

  Request to_request(http::request<http::string_body>& msg) {
    Request r = server::to_request(msg);  // the conversion the byte reader (and its fuzzer) uses
    r.remote = remote_;
    return r;
  }

  void handle() {
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    Request req = to_request(msg);
    Response res;
    try {
      res = shared_->handler(req);
    } catch (const std::exception& e) {
      res = problem(500, "internal", "Internal error", "the server failed to answer this request");
    }
    if (res.deferred) return defer(std::move(req.method), std::move(req.path), std::move(res.deferred));
    send(req.method, req.path, std::move(res));
  }

  // Computes the answer on the blocking pool, then sends it from this session's loop.
  void defer(std::string method, std::string path, std::function<Response()> job) {
    if (++shared_->deferred > kMaxDeferred) {
      --shared_->deferred;
      Response busy = problem(503, "unavailable", "Service unavailable", "the server is busy; try again in a moment");
      busy.headers.emplace_back("Retry-After", "1");
      return send(method, path, std::move(busy));
    }
    net::post(shared_->blocking, [self = shared_from_this(), method = std::move(method), path = std::move(path),
                                  job = std::move(job)]() mutable {
      Response res;
      try {
        res = job();
      } catch (const std::exception&) {
        res = problem(500, "internal", "Internal error", "the server failed to answer this request");
      }
      --self->shared_->deferred;
      net::post(self->socket_.get_executor(), [self, method = std::move(method), path = std::move(path),
                                                res = std::move(res)]() mutable {
        if (!self->socket_.is_open()) return self->close();
        self->send(method, path, std::move(res));
      });
    });
  }

  void refuse(int status, const std::string& type, const std::string& title,
              const std::string& detail) {
    keep_alive_ = false;
    if (!busy_) {
      busy_ = true;
      ++shared_->busy;
      started_ = Clock::now();
    }
    std::string method =
        parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
    std::string path = "-";
    if (parser_ && parser_->is_header_done()) {
      std::string_view t(parser_->get().target().data(), parser_->get().target().size());
      path = std::string(t.substr(0, t.find('?')));
    }
    send(method, path, problem(status, type, title, detail));
  }

  // What the access log says of this answer; an answer made here (a refusal) gets its id now.
  void log_fields(Response& res) {
    request_id_ = res.request_id.empty() ? new_request_id() : std::move(res.request_id);
    user_ = std::move(res.user);
    route_ = res.route.empty() ? "-" : std::move(res.route);
  }

  void send(const std::string& method, const std::string& path, Response res) {
    if (res.stream && method != "HEAD") return start_stream(method, path, std::move(res));
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(res.status));
    res_.set(http::field::server, "gridmap");
    res_.set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) {
      // Vary lists add up (Accept-Encoding, Origin); any other header is set once.
      if (beast::iequals(k, "Vary") && res_.count(http::field::vary))
        res_.set(http::field::vary, std::string(res_[http::field::vary]) + ", " + v);
      else
        res_.set(k, v);
    }
    res_.body() = std::move(res.body);
    bool keep = keep_alive_ && !shared_->stopping;
    res_.keep_alive(keep);
    res_.prepare_payload();
    // No body, and no Content-Length either, on a 204 or a 304 (RFC 9110 8.6).
    if (res.status == 204 || res.status == 304) res_.erase(http::field::content_length);
    if (method == "HEAD") res_.body().clear();
    method_ = method;
    path_ = path;
    log_fields(res);
    res_.set("X-Request-Id", request_id_);
    deadline_ = Clock::now() + shared_->options.request_timeout;  // a reader that stalls is cut off
    http::async_write(socket_, res_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t bytes) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    if (shared_->log)
      shared_->log({method_, path_, static_cast<int>(res_.result_int()), bytes, ms, request_id_, user_,
                    route_});
    busy_ = false;
    --shared_->busy;
    if (ec || !res_.keep_alive() || shared_->stopping) return close();
    read_header();
  }

  // A streamed answer: the header (chunked), then what the source gives, chunk by chunk.
  // Once the header is out the connection no longer counts as busy, so neither the request
  // timeout nor a stop waits for it; a write that stalls is still cut off by its deadline.
  void start_stream(const std::string& method, const std::string& path, Response res) {
    method_ = method;
    path_ = path;
    log_fields(res);
    stream_ = std::move(res.stream);
    stream_status_ = res.status;
    auto head = std::make_shared<http::response<http::empty_body>>();
    head->version(11);
    head->result(static_cast<unsigned>(res.status));
    head->set(http::field::server, "gridmap");
    head->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) head->set(k, v);
    head->set("X-Request-Id", request_id_);
    head->keep_alive(false);  // the connection ends with the stream
    head->chunked(true);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    deadline_ = Clock::now() + shared_->options.request_timeout;
    writing_ = true;
    http::async_write_header(socket_, *sr,
                             [self = shared_from_this(), head, sr, first = std::move(res.body)](
                                 beast::error_code ec, size_t n) mutable {
                               self->writing_ = false;
                               self->stream_bytes_ += n;
                               if (ec) return self->close();
                               if (self->busy_) {
                                 self->busy_ = false;
                                 --self->shared_->busy;
                               }
                               self->deadline_ = Clock::time_point::max();
                               self->watch_peer();
                               if (!first.empty())
                                 return self->write_chunk(std::move(first), false);
                               self->pump();
                             });
  }

  // Reads (and drops) whatever the client sends while it streams: an end of stream or an
  // error means the client went away, and the stream ends at once, not at the next write.
  void watch_peer() {
    socket_.async_read_some(net::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->watch_peer();
                            });
  }

  // On the loop: sends what the source has ready, one write at a time.
  void pump() {
    if (!stream_ || writing_ || !socket_.is_open()) return;
    if (shared_->stopping) return write_chunk(stream_->farewell(), true);
    std::optional<std::string> more;
    try {
      more = stream_->poll();
    } catch (const std::exception&) {
      more.reset();
    }
    if (!more) return write_chunk({}, true);
    if (!more->empty()) write_chunk(std::move(*more), false);
  }

  void write_chunk(std::string data, bool last) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out_.clear();
    if (!data.empty()) out_.append(size).append(data).append("\r\n");
    if (last) out_ += "0\r\n\r\n";
    if (out_.empty()) return;
    writing_ = true;
    deadline_ = Clock::now() + shared_->options.request_timeout;  // a reader that stalls is cut off
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this(), last](beast::error_code ec, size_t n) {
                       self->writing_ = false;
                       self->stream_bytes_ += n;
                       self->deadline_ = Clock::time_point::max();
                       if (ec || last) return self->close();
                       self->pump();
                     });
  }

  void end_stream() {
    if (!stream_) return;
    stream_.reset();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    if (shared_->log)
      shared_->log({method_, path_, stream_status_, stream_bytes_, ms, request_id_, user_, route_});
  }

  void close() {
    end_stream();
    if (busy_) {
      busy_ = false;
      --shared_->busy;
    }
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  Socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<Shared> shared_;
  Clock::time_point started_, deadline_ = Clock::time_point::max(), waiting_since_ = Clock::now();
  std::string method_, path_, remote_;
  std::string request_id_, user_, route_;  // of the answer being written, for the access log
  bool keep_alive_ = true, busy_ = false, first_ = true;
  bool idle_ = false;  // between requests on a kept-alive connection, nothing read yet
  // A streamed answer (Response::stream) in progress.
  std::shared_ptr<StreamSource> stream_;
  std::string out_;               // the chunk being written
  std::array<char, 512> sink_{};  // what the client sends meanwhile, dropped
  bool writing_ = false;
  int stream_status_ = 200;
  size_t stream_bytes_ = 0;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::vector<std::unique_ptr<Loop>> loops;  // loops[0] also accepts, and owns signals
  net::io_context& main() { return loops.front()->ioc; }
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::signal_set> signals;
  std::unique_ptr<net::steady_timer> grace;
  size_t next_loop = 0;
  uint16_t port = 0;

  Impl() { loops.push_back(std::make_unique<Loop>()); }

  void accept() {
    Loop& target = *loops[next_loop];
    next_loop = (next_loop + 1) % loops.size();
    acceptor->async_accept(
        target.ioc.get_executor(), [this, &target](beast::error_code ec, Socket socket) {
          if (ec) {
            if (acceptor->is_open() && !shared->stopping) accept();
            return;
          }
          beast::error_code ignore;
          auto peer = socket.remote_endpoint(ignore);
          std::string address = ignore ? "-" : peer.address().to_string();
          // At the cap a newcomer is still taken while idle keep-alive connections hold
          // slots: the sweepers close those (shedding), so the cap bounds the connections
          // that are doing something.
          if (shared->connections - shared->idle >= shared->options.max_connections || !shared->admit(address)) {
            // Over the cap, or this address holds its share: answer nothing, close at once;
            // the client may retry later.
            socket.close(ignore);
          } else {
            auto session = std::make_shared<Session>(std::move(socket), shared, std::move(address));
            net::dispatch(target.ioc, [session, &target] { session->start(target); });
          }
          accept();
        });
  }

  // Every 100 ms on each loop: expired deadlines close, forgotten sessions are dropped.
  void sweep(Loop& loop) {
    loop.sweeper.expires_after(std::chrono::milliseconds(100));
    loop.sweeper.async_wait([this, &loop](beast::error_code ec) {
      if (ec) return;
      auto now = Clock::now();
      auto& v = loop.sessions;
      size_t kept = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        if (auto s = v[i].lock()) {
          s->sweep(now);
          if (kept != i) v[kept] = std::move(v[i]);  // never a self-move: that empties it
          ++kept;
        }
      }
      v.resize(kept);
      sweep(loop);
    });
  }

  void begin_shutdown() {
    if (shared->stopping.exchange(true)) return;
    beast::error_code ec;
    acceptor->close(ec);
    signals->cancel(ec);
    // Idle connections close at each loop's next sweep; busy ones after their answer.
    auto deadline = Clock::now() + shared->options.shutdown_grace;
    wait_for_idle(deadline);
  }

  void wait_for_idle(Clock::time_point deadline) {
    if (shared->busy == 0 || Clock::now() >= deadline) {
      // Give the sweepers a round to close what is left, then stop every loop.
      grace->expires_after(std::chrono::milliseconds(150));
      grace->async_wait([this](beast::error_code) {
        for (auto& l : loops) l->ioc.stop();
      });
      return;
    }
    grace->expires_after(std::chrono::milliseconds(20));
    grace->async_wait([this, deadline](beast::error_code) { wait_for_idle(deadline); });
  }
};

HttpServer::HttpServer(ServerOptions options, Handler handler, AccessLog log)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
  impl_->shared->log = std::move(log);
  int n = std::max(1, impl_->shared->options.threads);
  for (int i = 1; i < n; ++i) impl_->loops.push_back(std::make_unique<Loop>());
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->main());
  impl_->signals = std::make_unique<net::signal_set>(impl_->main(), SIGINT, SIGTERM);
  impl_->grace = std::make_unique<net::steady_timer>(impl_->main());
}

HttpServer::~HttpServer() = default;

void HttpServer::bind() {
  Impl& m = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(m.shared->options.address, ec);
  if (ec) throw_invalid("--listen: '" + m.shared->options.address + "' is not an IP address");
  tcp::endpoint ep(address, m.shared->options.port);
  m.acceptor->open(ep.protocol(), ec);
  if (!ec) m.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor->bind(ep, ec);
  if (!ec) m.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorKind::unavailable, "cannot listen on " + m.shared->options.address + ":" +
                                            std::to_string(m.shared->options.port) + ": " +
                                            ec.message());
  m.port = m.acceptor->local_endpoint().port();
}

uint16_t HttpServer::port() const {
  return impl_->port;
}
int HttpServer::connections() const {
  return impl_->shared->connections;
}

void HttpServer::run() {
  Impl& m = *impl_;
  m.signals->async_wait([&m](beast::error_code ec, int) {
    if (!ec) m.begin_shutdown();
  });
  m.accept();
  for (auto& l : m.loops) m.sweep(*l);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < m.loops.size(); ++i) pool.emplace_back([&m, i] { m.loops[i]->ioc.run(); });
  m.main().run();
  for (auto& t : pool) t.join();
  m.shared->blocking.join();  // deferred answers finish here, never on their own pool's thread
}

void HttpServer::stop() {
  net::post(impl_->main(), [this] { impl_->begin_shutdown(); });
}

}  // namespace gridmap::server
