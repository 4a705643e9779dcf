// A database of its own in the test cluster (scripts/pg-cluster, started by ctest's fixture
// "postgresql" in the build's pg-cluster directory, or GRIDMAP_TEST_PG_DIR), made from
// gridmap_template (PostGIS) and dropped when the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace gridmap::test {

class PgDatabase {
 public:
  explicit PgDatabase(const std::string& template_name = "gridmap_template");
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // Runs SQL as the cluster's superuser in this database (what an operator would do by hand).
  void admin(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

// The cluster's URL for the database `postgres`.
std::string pg_cluster_url();

// The engine the tests run on: GRIDMAP_TEST_ENGINE=postgresql runs them on the test cluster
// (ctest registers the engine-neutral tests once per engine); SQLite otherwise.
bool testing_postgresql();
// The database a test works on: the file `name` in `dir`, or on PostgreSQL a fresh database of
// its own in the test cluster (dropped when the test program ends).
std::string test_database(const std::filesystem::path& dir, const std::string& name);
// On PostgreSQL, a fresh database holding the tatabu demo as `gridmap demo` and `gridmap
// migrate` make it: copied from a template database the first caller of the test run makes
// (under a lock, for the test processes running at once).
std::string tatabu_database();

}  // namespace gridmap::test
