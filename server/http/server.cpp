#include "server/http/server.hpp"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "geo/error.hpp"

namespace gridmap::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session;

struct Shared {
  ServerOptions options;
  Handler handler;
  AccessLog log;
  std::atomic<int> connections{0};
  std::atomic<int> busy{0};  // sessions between reading a request and writing its answer
  std::atomic<bool> stopping{false};
  std::mutex sessions_lock;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void start() {
    {
      std::lock_guard l(shared_->sessions_lock);
      shared_->sessions.insert(weak_from_this());
    }
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // Called on shutdown: an idle connection is closed, a busy one closes after its answer.
  void close_if_idle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(first_ ? shared_->options.request_timeout : shared_->options.idle_timeout);
    first_ = false;
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == http::error::header_limit) return refuse(431, "header_too_large", "Request header fields too large",
                                                       "the request's header exceeds " +
                                                           std::to_string(shared_->options.max_header_bytes) + " bytes");
    if (ec == http::error::body_limit)  // Content-Length over the limit, seen in the header
      return refuse(413, "body_too_large", "Payload too large",
                    "the body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes");
    if (ec) return close();
    busy_ = true;
    ++shared_->busy;
    started_ = std::chrono::steady_clock::now();
    stream_.expires_after(shared_->options.request_timeout);
    auto& req = parser_->get();
    auto length = parser_->content_length();
    if (length && *length > shared_->options.max_body_bytes)
      return refuse(413, "body_too_large", "Payload too large",
                    "the body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes");
    if (parser_->is_done()) return handle();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, size_t) {
        if (e) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit)
        return self->refuse(413, "body_too_large", "Payload too large",
                            "the body exceeds " + std::to_string(self->shared_->options.max_body_bytes) + " bytes");
      if (ec) return self->close();
      self->handle();
    });
  }

  Request to_request(http::request<http::string_body>& msg) {
    Request r;
    r.method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    r.path = percent_decode(target.substr(0, q), false);
    if (q != std::string_view::npos) r.query = parse_query(target.substr(q + 1));
    for (auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(msg.body());
    if (remote_.empty()) {  // once per connection, not a system call per request
      beast::error_code ec;
      auto ep = stream_.socket().remote_endpoint(ec);
      remote_ = ec ? "-" : ep.address().to_string();
    }
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
    send(req.method, req.path, std::move(res));
  }

  void refuse(int status, const std::string& type, const std::string& title, const std::string& detail) {
    keep_alive_ = false;
    if (!busy_) {
      busy_ = true;
      ++shared_->busy;
      started_ = std::chrono::steady_clock::now();
    }
    std::string method = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
    std::string path = "-";
    if (parser_ && parser_->is_header_done()) {
      std::string_view t(parser_->get().target().data(), parser_->get().target().size());
      path = std::string(t.substr(0, t.find('?')));
    }
    send(method, path, problem(status, type, title, detail));
  }

  void send(const std::string& method, const std::string& path, Response res) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(res.status));
    res_.set(http::field::server, "gridmap");
    res_.set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) res_.set(k, v);
    res_.body() = std::move(res.body);
    bool keep = keep_alive_ && !shared_->stopping;
    res_.keep_alive(keep);
    res_.prepare_payload();
    if (method == "HEAD") res_.body().clear();
    method_ = method;
    path_ = path;
    http::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t bytes) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    if (shared_->log) shared_->log({method_, path_, static_cast<int>(res_.result_int()), bytes, ms});
    busy_ = false;
    --shared_->busy;
    if (ec || !res_.keep_alive() || shared_->stopping) return close();
    read_header();
  }

  void close() {
    if (busy_) {
      busy_ = false;
      --shared_->busy;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<Shared> shared_;
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_, remote_;
  bool keep_alive_ = true, busy_ = false, first_ = true;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  net::io_context ioc;
  // Acceptor, signals and the shutdown timer share one strand: no two of them run at once.
  net::strand<net::io_context::executor_type> strand = net::make_strand(ioc);
  tcp::acceptor acceptor{strand};
  net::signal_set signals{strand, SIGINT, SIGTERM};
  net::steady_timer grace{strand};
  uint16_t port = 0;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (acceptor.is_open() && !shared->stopping) accept();
        return;
      }
      if (shared->connections >= shared->options.max_connections) {
        // Over the cap: answer nothing, close at once; the client may retry later.
        beast::error_code ignore;
        socket.close(ignore);
      } else {
        std::make_shared<Session>(std::move(socket), shared)->start();
      }
      accept();
    });
  }

  void begin_shutdown() {
    if (shared->stopping.exchange(true)) return;
    beast::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    {
      std::lock_guard l(shared->sessions_lock);
      for (auto& w : shared->sessions)
        if (auto s = w.lock()) s->close_if_idle();
    }
    auto deadline = std::chrono::steady_clock::now() + shared->options.shutdown_grace;
    wait_for_idle(deadline);
  }

  void wait_for_idle(std::chrono::steady_clock::time_point deadline) {
    if (shared->busy == 0 || std::chrono::steady_clock::now() >= deadline) {
      // Close what is left (idle keep-alive connections and anything past the grace time).
      std::lock_guard l(shared->sessions_lock);
      for (auto& w : shared->sessions)
        if (auto s = w.lock()) s->close_if_idle();
      grace.expires_after(std::chrono::milliseconds(50));
      grace.async_wait([this](beast::error_code) { ioc.stop(); });
      return;
    }
    grace.expires_after(std::chrono::milliseconds(20));
    grace.async_wait([this, deadline](beast::error_code) { wait_for_idle(deadline); });
  }
};

HttpServer::HttpServer(ServerOptions options, Handler handler, AccessLog log) : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
  impl_->shared->log = std::move(log);
}

HttpServer::~HttpServer() = default;

void HttpServer::bind() {
  Impl& m = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(m.shared->options.address, ec);
  if (ec) throw_invalid("--listen: '" + m.shared->options.address + "' is not an IP address");
  tcp::endpoint ep(address, m.shared->options.port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorKind::unavailable, "cannot listen on " + m.shared->options.address + ":" +
                                            std::to_string(m.shared->options.port) + ": " + ec.message());
  m.port = m.acceptor.local_endpoint().port();
}

uint16_t HttpServer::port() const { return impl_->port; }
int HttpServer::connections() const { return impl_->shared->connections; }

void HttpServer::run() {
  Impl& m = *impl_;
  m.signals.async_wait([&m](beast::error_code ec, int) {
    if (!ec) m.begin_shutdown();
  });
  m.accept();
  int n = std::max(1, m.shared->options.threads);
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back([&m] { m.ioc.run(); });
  m.ioc.run();
  for (auto& t : pool) t.join();
}

void HttpServer::stop() {
  net::post(impl_->strand, [this] { impl_->begin_shutdown(); });
}

}  // namespace gridmap::server
