// Helpers shared by the tests: temporary directories and running the gridmap binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace gridmap::test {

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs build/gridmap with the arguments (no shell involved) and captures its output.
RunResult run_gridmap(const std::vector<std::string>& args, const std::string& stdin_text = "");
// The same with another executable (e.g. a copy of gridmap elsewhere).
RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& stdin_text = "");

// Environment variables set (or, with std::nullopt, unset) while the object lives; the old
// values come back after. Programs started meanwhile (run_gridmap, ServerProcess) see them.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};
// run_gridmap with these environment variables set besides the test's own.
RunResult run_gridmap_env(const std::vector<std::string>& args,
                          const std::map<std::string, std::optional<std::string>>& env,
                          const std::string& stdin_text = "");

void write_file(const std::string& path, const std::string& content);
// A square GeoJSON Polygon with its south-west corner at (lon, lat) and sides of `size`
// degrees (a grid drawn in a test), coordinates to 7 decimals.
std::string square_polygon(double lon, double lat, double size);
// A free loopback port, closed again: nothing listens there until someone binds it.
uint16_t free_port();
std::string read_file(const std::string& path);

}  // namespace gridmap::test

namespace gridmap::test {

struct HttpResult {
  int status = 0;  // 0 when the connection failed or closed before an answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Headers every http() call sends unless it sets them itself (e.g. an Authorization).
void set_default_headers(std::map<std::string, std::string> headers);
// Creates a user with the CLI and returns its API token.
std::string make_user(const std::string& db, const std::string& name, const std::string& role,
                      const std::vector<std::string>& extra = {});

// One HTTP/1.1 request on a fresh loopback connection (Connection: close).
HttpResult http(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});
// Sends raw bytes and returns whatever comes back until the server closes (or timeout_ms).
std::string raw_exchange(uint16_t port, const std::string& bytes, int timeout_ms = 5000);

// `gridmap serve` on a free loopback port, stopped with SIGTERM when destroyed.
class ServerProcess {
 public:
  ServerProcess(const std::string& db, const std::vector<std::string>& extra = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  int stop();  // SIGTERM, wait; returns the exit code
  std::string log() const;

 private:
  int pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  TempDir dir_;
};

// POSTs a transition to petition `id` with its current version in If-Match (read first with
// the same headers), as every client must (a move without If-Match is 428).
HttpResult move_petition(uint16_t port, int64_t id, const std::string& body,
                         std::map<std::string, std::string> headers = {});

// The answer's body as JSON; the test stops when it does not parse.
rapidjson::Document json(const HttpResult& r);
// An application/problem+json answer with this status; with a `type`, also that stable
// type (an absolute URI ending in /problems/<type>), a title and a detail.
void check_problem(const HttpResult& r, int status, const std::string& type = "");

// The tatabu demo on the engine under test (pg_support.hpp: testing_postgresql()): a file in
// `dir`, or on PostgreSQL a database of its own copied from the run's migrated tatabu, with the
// audit anchor's directory (GRIDMAP_AUDIT_DIR, set while the object lives) and the attachments'
// directory `gridmap serve` needs there.
struct TatabuDb {
  explicit TatabuDb(const TempDir& dir);
  std::string db;
  std::vector<std::string> serve_args;  // what `gridmap serve` needs besides --db
  std::string files_dir;                // where the server keeps attachments
  std::unique_ptr<ScopedEnv> env;
  // serve_args followed by `extra`.
  std::vector<std::string> serve_with(const std::vector<std::string>& extra) const;
};

// The tatabu demo served on a loopback port with one API token per role: "admin",
// "dispatcher", "planner", and "worker" (worker 1, patch kFirstGrid).
struct RoleServer {
  static constexpr const char* kFirstGrid = "150102001001001";
  TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  std::map<std::string, std::string> tokens;
  std::unique_ptr<ScopedEnv> env;       // on PostgreSQL: GRIDMAP_AUDIT_DIR
  std::vector<std::string> serve_args;  // what `gridmap serve` needs besides --db
  std::string files_dir;                // where the server keeps attachments
  // serve_args followed by `extra`: for another server started on the same database.
  std::vector<std::string> serve_with(const std::vector<std::string>& extra) const;
  std::unique_ptr<ServerProcess> server;
  RoleServer();
  HttpResult get(const std::string& target, const std::string& role = "admin",
                 std::map<std::string, std::string> headers = {});
  // A transition of petition `id` as `role`, with its current version in If-Match.
  HttpResult move(int64_t id, const std::string& body, const std::string& role = "admin");
  HttpResult send(const std::string& method, const std::string& target,
                  const std::string& body);  // as admin
  // A request as a user of `tokens` (a role above, or one added with add_user).
  HttpResult as(const std::string& user, const std::string& method, const std::string& target,
                const std::string& body = "");
  // Adds a user (gridmap user add, while the server runs); its token goes to tokens[name].
  void add_user(const std::string& name, const std::string& role,
                const std::vector<std::string>& extra = {});
  // A point inside `grid` (one of its households), and a petition reported there by the
  // dispatcher; returns its id.
  std::pair<double, double> point_in(const std::string& grid);
  int64_t report(const std::string& grid, const std::string& category = "noise");
};

}  // namespace gridmap::test
