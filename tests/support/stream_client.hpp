// A client of a streamed (chunked) HTTP answer on a loopback socket, for the server-sent
// events tests: sends one request, then reads the header and the chunks as they come.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gridmap::test {

class StreamClient {
 public:
  StreamClient(uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  // A GET of `target` with these headers (Connection: close is not sent: the stream holds it).
  static std::string get(const std::string& target,
                         const std::map<std::string, std::string>& headers = {}) {
    std::string r = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers) r += k + ": " + v + "\r\n";
    return r + "\r\n";
  }
  ~StreamClient() { close(); }
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until `done(body)` holds, the stream ends or `timeout_ms` passes; whether it held.
  bool wait_for(const std::function<bool(const std::string&)>& done, int timeout_ms = 5000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (status_ && done(body_)) return true;
      if (ended_ || fd_ < 0) return false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        ended_ = true;
        continue;
      }
      raw_.append(buf, static_cast<size_t>(n));
      parse();
    }
  }
  // Reads until the server ends the stream (the last chunk, or it closes).
  bool wait_end(int timeout_ms = 5000) {
    wait_for([this](const std::string&) { return ended_; }, timeout_ms);
    return ended_;
  }

  int status() const { return status_; }
  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }  // the chunks' data so far
  bool last_chunk() const { return last_chunk_; }    // the 0-size chunk was received

 private:
  void parse() {
    if (!status_) {
      size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end + 4);
      raw_.erase(0, end + 4);
      status_ = std::stoi(head_.substr(9, 3));
      chunked_ = head_.find("chunked") != std::string::npos;
    }
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      return;
    }
    while (true) {
      size_t eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (raw_.size() < eol + 2 + size + 2) return;
      if (size == 0) {
        last_chunk_ = ended_ = true;
        raw_.clear();
        return;
      }
      body_ += raw_.substr(eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
    }
  }

  int fd_ = -1;
  int status_ = 0;
  bool chunked_ = false, ended_ = false, last_chunk_ = false;
  std::string raw_, head_, body_;
};

struct SseEvent {
  std::string id, event, data;
};

// The events in a text/event-stream body (comments and the retry field left out).
inline std::vector<SseEvent> sse_events(const std::string& body) {
  std::vector<SseEvent> out;
  size_t at = 0;
  while (true) {
    size_t end = body.find("\n\n", at);
    if (end == std::string::npos) break;
    std::string block = body.substr(at, end - at);
    at = end + 2;
    SseEvent e;
    bool any = false;
    size_t line_at = 0;
    while (line_at <= block.size()) {
      size_t eol = block.find('\n', line_at);
      std::string line =
          block.substr(line_at, eol == std::string::npos ? std::string::npos : eol - line_at);
      line_at = eol == std::string::npos ? block.size() + 1 : eol + 1;
      auto field = [&](const char* name) {
        std::string p = std::string(name) + ": ";
        return line.rfind(p, 0) == 0 ? std::optional<std::string>(line.substr(p.size()))
                                     : std::nullopt;
      };
      if (auto v = field("id")) e.id = *v, any = true;
      if (auto v = field("event")) e.event = *v, any = true;
      if (auto v = field("data")) e.data += *v, any = true;
    }
    if (any) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gridmap::test
