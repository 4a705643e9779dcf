#include "support/test_support.hpp"

#include "support/pg_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace gridmap::test {

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto p = std::filesystem::temp_directory_path() / ("gridmap-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run_gridmap(const std::vector<std::string>& args, const std::string& stdin_text) {
  return run_program(GRIDMAP_BINARY, args, stdin_text);
}

RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& stdin_text) {
  TempDir dir;
  std::string in_path = dir.file("stdin"), out_path = dir.file("stdout"),
              err_path = dir.file("stderr");
  write_file(in_path, stdin_text);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    std::string bin = binary;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

ScopedEnv::ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars) {
  for (const auto& [name, value] : vars) {
    const char* old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : saved_) {
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
}

RunResult run_gridmap_env(const std::vector<std::string>& args,
                          const std::map<std::string, std::optional<std::string>>& env,
                          const std::string& stdin_text) {
  ScopedEnv scoped(env);
  return run_gridmap(args, stdin_text);
}

}  // namespace gridmap::test

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

namespace gridmap::test {
namespace {

int connect_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string read_until_close(int fd, int timeout_ms) {
  std::string out;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

HttpResult parse_response(const std::string& raw) {
  HttpResult r;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.rfind("HTTP/1.1 ", 0) != 0) return r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
    pos = eol + 2;
  }
  r.body = raw.substr(end + 4);
  if (auto it = r.headers.find("content-length");
      it != r.headers.end() && r.body.size() < std::stoul(it->second))
    r.status = 0;  // cut short
  return r;
}

}  // namespace

std::string raw_exchange(uint16_t port, const std::string& bytes, int timeout_ms) {
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, bytes);
  std::string out = read_until_close(fd, timeout_ms);
  close(fd);
  return out;
}

namespace {
std::map<std::string, std::string>& defaults() {
  static std::map<std::string, std::string> d;
  return d;
}
}  // namespace

void set_default_headers(std::map<std::string, std::string> headers) {
  defaults() = std::move(headers);
}

std::string make_user(const std::string& db, const std::string& name, const std::string& role,
                      const std::vector<std::string>& extra) {
  std::vector<std::string> args{"user", "add", name, "--role", role, "--db", db};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = run_gridmap(args);
  if (r.exit_code != 0) throw std::runtime_error("user add failed: " + r.err);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

HttpResult http(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  std::map<std::string, std::string> all = defaults();
  for (auto& [k, v] : headers) all[k] = v;
  bool typed = false;  // the caller names the body's type (a photo, a form)
  for (auto& [k, v] : all) {
    if (!v.empty()) req += k + ": " + v + "\r\n";
    typed |= !v.empty() && (k == "Content-Type" || k == "content-type");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += std::string(typed ? "" : "Content-Type: application/json\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return parse_response(raw_exchange(port, req, 30000));
}

ServerProcess::ServerProcess(const std::string& db, const std::vector<std::string>& extra) {
  log_path_ = dir_.file("server.log");
  std::string out_path = dir_.file("server.out");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> args{GRIDMAP_BINARY, "serve",       "--db",      db,
                                  "--listen",     "127.0.0.1:0", "--threads", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(GRIDMAP_BINARY, argv.data());
    _exit(127);
  }
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::string out = read_file(out_path);
    size_t colon = out.rfind(':');
    if (out.find("serving") != std::string::npos && colon != std::string::npos &&
        out.find('\n') != std::string::npos)
      port_ = static_cast<uint16_t>(std::stoi(out.substr(colon + 1)));
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port_ == 0) throw std::runtime_error("the server did not start: " + read_file(log_path_));
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ServerProcess::~ServerProcess() {
  stop();
}

std::string ServerProcess::log() const {
  return read_file(log_path_);
}

rapidjson::Document json(const HttpResult& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  INFO(r.body);
  REQUIRE(!d.HasParseError());
  return d;
}

void check_problem(const HttpResult& r, int status, const std::string& type) {
  INFO(r.body);
  CHECK(r.status == status);
  auto ct = r.headers.find("content-type");
  REQUIRE(ct != r.headers.end());
  CHECK(ct->second == "application/problem+json");
  if (type.empty()) return;
  auto d = json(r);
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("type"));
  // An absolute URI ending in /problems/<type> (its base is the server's public address).
  std::string uri = d["type"].GetString();
  std::string suffix = "/problems/" + type;
  CHECK(uri.rfind("http", 0) == 0);
  CHECK(uri.size() > suffix.size());
  CHECK(uri.compare(uri.size() - std::min(uri.size(), suffix.size()), suffix.size(), suffix) == 0);
  CHECK(d.HasMember("title"));
  CHECK(d.HasMember("detail"));
}

std::string square_polygon(double lon, double lat, double size) {
  char b[400];
  std::snprintf(b, sizeof b,
                "{\"type\":\"Polygon\",\"coordinates\":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],"
                "[%.7f,%.7f],[%.7f,%.7f]]]}",
                lon, lat, lon + size, lat, lon + size, lat + size, lon, lat + size, lon, lat);
  return b;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TatabuDb::TatabuDb(const TempDir& dir) {
  db = dir.file("tatabu.sqlite");
  files_dir = db + ".files";
  if (!testing_postgresql()) {
    REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
    return;
  }
  // On PostgreSQL the audit log's anchor has a directory of its own (the demo's goes there too),
  // and the same city is there as `gridmap demo` and `gridmap migrate` make it.
  files_dir = dir.file("files");
  std::filesystem::create_directories(dir.file("audit"));
  env = std::make_unique<ScopedEnv>(
      std::map<std::string, std::optional<std::string>>{{"GRIDMAP_AUDIT_DIR", dir.file("audit")}});
  db = tatabu_database();
  serve_args = {"--files", files_dir};
}

std::vector<std::string> TatabuDb::serve_with(const std::vector<std::string>& extra) const {
  std::vector<std::string> out = serve_args;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

RoleServer::RoleServer() {
  TatabuDb city(dir);
  db = city.db;
  files_dir = city.files_dir;
  serve_args = city.serve_args;
  env = std::move(city.env);
  for (const char* role : {"admin", "dispatcher", "planner"})
    tokens[role] = make_user(db, role, role);
  tokens["worker"] = make_user(db, "worker1", "worker", {"--grid", kFirstGrid, "--worker", "1"});
  set_default_headers({});
  server = std::make_unique<ServerProcess>(db, serve_args);
}

std::vector<std::string> RoleServer::serve_with(const std::vector<std::string>& extra) const {
  std::vector<std::string> out = serve_args;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

HttpResult RoleServer::get(const std::string& target, const std::string& role,
                           std::map<std::string, std::string> headers) {
  headers["Authorization"] = "Bearer " + tokens.at(role);
  return http(server->port(), "GET", target, "", headers);
}

HttpResult RoleServer::move(int64_t id, const std::string& body, const std::string& role) {
  return move_petition(
      server->port(), id, body,
      {{"Authorization", "Bearer " + tokens.at(role)}, {"Content-Type", "application/json"}});
}

HttpResult RoleServer::as(const std::string& user, const std::string& method,
                          const std::string& target, const std::string& body) {
  return http(server->port(), method, target, body,
              {{"Authorization", "Bearer " + tokens.at(user)}});
}

void RoleServer::add_user(const std::string& name, const std::string& role,
                          const std::vector<std::string>& extra) {
  tokens[name] = make_user(db, name, role, extra);
}

std::pair<double, double> RoleServer::point_in(const std::string& grid) {
  HttpResult r = get("/api/v1/households?grid_code=" + grid + "&limit=1");
  REQUIRE(r.status == 200);
  auto d = json(r);
  REQUIRE(d["features"].Size() == 1);
  const auto& c = d["features"][0]["geometry"]["coordinates"];
  return {c[0].GetDouble(), c[1].GetDouble()};
}

int64_t RoleServer::report(const std::string& grid, const std::string& category) {
  auto [lon, lat] = point_in(grid);
  HttpResult r = as("dispatcher", "POST", "/api/v1/petitions",
                    "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
                        ",\"category\":\"" + category + "\",\"description\":\"楼道堆物\"}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  return json(r)["id"].GetInt64();
}

HttpResult RoleServer::send(const std::string& method, const std::string& target,
                            const std::string& body) {
  return http(server->port(), method, target, body,
              {{"Authorization", "Bearer " + tokens.at("admin")}});
}

HttpResult move_petition(uint16_t port, int64_t id, const std::string& body,
                         std::map<std::string, std::string> headers) {
  std::string target = "/api/v1/petitions/" + std::to_string(id);
  HttpResult now = http(port, "GET", target, "", headers);
  auto etag = now.headers.find("etag");
  if (etag != now.headers.end()) headers["If-Match"] = etag->second;
  return http(port, "POST", target + "/transitions", body, headers);
}

}  // namespace gridmap::test
