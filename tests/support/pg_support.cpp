#include "support/pg_support.hpp"

#include "support/test_support.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace gridmap::test {
namespace {

std::atomic<int> made{0};

// The build's cluster (tests/CMakeLists.txt), unless the environment names another.
std::string cluster_dir() {
  const char* dir = std::getenv("GRIDMAP_TEST_PG_DIR");
  return dir ? dir : GRIDMAP_TEST_PG_DIR;
}

// Runs SQL on the database of `url`; how many rows it answered.
int run(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(url.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("cannot connect to the test cluster: " +
                             std::string(PQerrorMessage(conn.get())));
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(conn.get(), sql.c_str()), PQclear);
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  return PQntuples(r.get());
}

// The URL names the database last, with no parameters (scripts/pg-cluster).
std::string with_database(std::string url, const std::string& name) {
  return url.substr(0, url.rfind('/') + 1) + name;
}

// A new database copied from `template_name`, never dropped: at exit libpq's TLS library is
// already gone, and the cluster goes anyway.
std::string kept_database(const std::string& template_name) {
  static std::mutex lock;
  static auto* kept = new std::vector<std::unique_ptr<PgDatabase>>;
  std::lock_guard l(lock);
  kept->push_back(std::make_unique<PgDatabase>(template_name));
  return kept->back()->url();
}

}  // namespace

std::string pg_cluster_url() {
  std::string dir = cluster_dir();
  std::ifstream in(dir + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty())
    throw std::runtime_error("no test cluster in " + dir + " (scripts/pg-cluster)");
  return url;
}

PgDatabase::PgDatabase(const std::string& template_name)
    : name_("t" + std::to_string(getpid()) + "_" + std::to_string(made.fetch_add(1))) {
  std::string admin_url = pg_cluster_url();
  run(admin_url, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  run(admin_url, "CREATE DATABASE " + name_ + " TEMPLATE " + template_name);
  url_ = with_database(admin_url, name_);
}

PgDatabase::~PgDatabase() {
  try {
    run(with_database(url_, "postgres"), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is thrown away after the tests.
  }
}

void PgDatabase::admin(const std::string& sql) const {
  run(url_, sql);
}

std::string tatabu_database() {
  const std::string admin = pg_cluster_url(), dir = cluster_dir();
  {
    // One process makes the template; the others wait for it, then copy it.
    int fd = ::open((dir + "/tatabu.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + dir);
    std::unique_ptr<int, void (*)(int*)> unlock(&fd, [](int* f) { ::close(*f); });
    if (run(admin, "SELECT 1 FROM pg_database WHERE datname = 'tatabu_template'") == 0) {
      std::string file = dir + "/tatabu.sqlite";
      std::filesystem::remove(file);
      std::filesystem::create_directories(dir + "/audit");
      if (run_gridmap({"demo", "--db", file, "--preset", "tatabu"}).exit_code != 0)
        throw std::runtime_error("gridmap demo failed");
      run(admin, "DROP DATABASE IF EXISTS tatabu_build WITH (FORCE)");
      run(admin, "CREATE DATABASE tatabu_build TEMPLATE gridmap_template");
      RunResult copy = run_gridmap_env(
          {"migrate", "--from", "spatialite:" + file, "--to", with_database(admin, "tatabu_build")},
          {{"GRIDMAP_AUDIT_DIR", dir + "/audit"}});
      if (copy.exit_code != 0) throw std::runtime_error("gridmap migrate failed: " + copy.err);
      // Published whole: a waiting process never copies a half-made template.
      run(admin, "ALTER DATABASE tatabu_build RENAME TO tatabu_template");
    }
  }
  return kept_database("tatabu_template");
}

bool testing_postgresql() {
  const char* engine = std::getenv("GRIDMAP_TEST_ENGINE");
  return engine && std::strcmp(engine, "postgresql") == 0;
}

std::string test_database(const std::filesystem::path& dir, const std::string& name) {
  if (!testing_postgresql()) return (dir / name).string();
  return kept_database("gridmap_template");
}

}  // namespace gridmap::test
