// gridmap backup / backup verify / restore as an operator runs them, and serve --backup-dir.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/test_support.hpp"

using gridmap::test::run_gridmap;
using gridmap::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("backup, verify and restore from the command line, while the server runs") {
  TempDir dir;
  std::string db = dir.file("t.sqlite"), out = dir.file("t.tar.gz"), copy = dir.file("copy.sqlite");
  REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  gridmap::test::ServerProcess server(db);  // served meanwhile: the backup needs no stop
  auto b = run_gridmap({"backup", "--db", db, "--to", out});
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  CHECK(b.out.find("backed up") != std::string::npos);
  CHECK(b.out.find("households 12000") != std::string::npos);
  auto v = run_gridmap({"backup", "verify", out});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("is sound") != std::string::npos);
  auto r = run_gridmap({"restore", out, "--db", copy});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("restored") != std::string::npos);
  // Restore never writes over a database, this one served or any other.
  auto over = run_gridmap({"restore", out, "--db", db});
  CHECK(over.exit_code != 0);
  CHECK(over.err.find("exists") != std::string::npos);
  // A damaged archive: verify says so and exits 1.
  std::string bytes = gridmap::test::read_file(out);
  gridmap::test::write_file(dir.file("bad.tar.gz"), bytes.substr(0, bytes.size() / 2));
  auto bad = run_gridmap({"backup", "verify", dir.file("bad.tar.gz")});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("NOT sound") != std::string::npos);
  CHECK(run_gridmap({"backup", "--db", db}).exit_code == 2);  // no --to
}

TEST_CASE("serve --backup-dir takes backups on its schedule and keeps the newest") {
  TempDir dir;
  std::string db = dir.file("t.sqlite"), backups = dir.file("backups");
  REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  gridmap::test::ServerProcess server(
      db, {"--backup-dir", backups, "--backup-every", "1s", "--keep", "2"});
  std::vector<fs::path> found;
  for (int i = 0; i < 200; ++i) {  // up to 20 s: three backups or more
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string log = server.log();  // (one string: begin and end of the same one)
    if (log.find("1 old removed") != std::string::npos) break;
  }
  server.stop();
  INFO(server.log());
  CHECK(server.log().find("1 old removed") != std::string::npos);
  for (const auto& e : fs::directory_iterator(backups)) found.push_back(e.path());
  CHECK(found.size() == 2);
  for (const auto& p : found) {
    CHECK(p.filename().string().rfind("gridmap-", 0) == 0);
    CHECK(run_gridmap({"backup", "verify", p.string()}).exit_code == 0);
  }
  auto bad = run_gridmap({"serve", "--db", db, "--backup-dir", backups, "--backup-every", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--backup-every") != std::string::npos);
}
