// A webhook receiver on loopback for the tests of webhooks (one server, or several on one
// database): answers 500 to the first `failures` requests, then 200, and records what it
// accepted.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gridmap::test {

struct Receiver {
  struct Delivery {
    std::string id, signature, body;
  };
  int listener = -1;
  uint16_t port = 0;
  int failures;
  std::atomic<int> requests{0};
  std::atomic<bool> stop{false};
  std::mutex lock;
  std::vector<Delivery> accepted;
  std::thread runner;

  explicit Receiver(int failures_first, uint16_t on_port = 0) : failures(failures_first) {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(on_port);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    runner = std::thread([this] { serve(); });
  }
  ~Receiver() {
    stop = true;
    runner.join();
    ::close(listener);
  }
  std::vector<Delivery> deliveries() {
    std::lock_guard l(lock);
    return accepted;
  }

 private:
  static std::string header(const std::string& head, const std::string& name) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    size_t start = head.find_first_not_of(' ', at + name.size() + 3);
    return head.substr(start, head.find("\r\n", start) - start);
  }
  void serve() {
    while (!stop) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) continue;
      std::string in;
      char buf[4096];
      size_t need = std::string::npos;
      while (true) {
        pollfd q{fd, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos)
          need = end + 4 + std::stoul(header(in.substr(0, end + 2), "content-length"));
        if (need != std::string::npos && in.size() >= need) break;
      }
      int n = ++requests;
      bool ok = n > failures;
      if (ok && need != std::string::npos) {
        size_t end = in.find("\r\n\r\n");
        std::string head = in.substr(0, end + 2);
        std::lock_guard l(lock);
        accepted.push_back({header(head, "x-gridmap-delivery"), header(head, "x-gridmap-signature"),
                            in.substr(end + 4)});
      }
      std::string answer =
          ok ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
             : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: "
               "close\r\n\r\ndown";
      ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(fd);
    }
  }
};

}  // namespace gridmap::test
