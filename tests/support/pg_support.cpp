#include "support/pg_support.hpp"

#include <libpq-fe.h>
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

void run(const std::string& url, const std::string& sql) {
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
}

// The URL names the database last, with no parameters (scripts/pg-cluster).
std::string with_database(std::string url, const std::string& name) {
  return url.substr(0, url.rfind('/') + 1) + name;
}

}  // namespace

std::string pg_cluster_url() {
  // The build's cluster (tests/CMakeLists.txt), unless the environment names another.
  const char* dir = std::getenv("GRIDMAP_TEST_PG_DIR");
  if (!dir) dir = GRIDMAP_TEST_PG_DIR;
  std::ifstream in(std::string(dir) + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty())
    throw std::runtime_error(std::string("no test cluster in ") + dir + " (scripts/pg-cluster)");
  return url;
}

PgDatabase::PgDatabase()
    : name_("t" + std::to_string(getpid()) + "_" + std::to_string(made.fetch_add(1))) {
  std::string admin_url = pg_cluster_url();
  run(admin_url, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  run(admin_url, "CREATE DATABASE " + name_ + " TEMPLATE gridmap_template");
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

bool testing_postgresql() {
  const char* engine = std::getenv("GRIDMAP_TEST_ENGINE");
  return engine && std::strcmp(engine, "postgresql") == 0;
}

std::string test_database(const std::filesystem::path& dir, const std::string& name) {
  if (!testing_postgresql()) return (dir / name).string();
  // Never dropped: at exit libpq's TLS library is already gone, and the cluster goes anyway.
  static std::mutex lock;
  static auto* made = new std::vector<std::unique_ptr<PgDatabase>>;
  std::lock_guard l(lock);
  made->push_back(std::make_unique<PgDatabase>());
  return made->back()->url();
}

}  // namespace gridmap::test
