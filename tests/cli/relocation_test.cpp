// gridmap installed elsewhere finds its own files: the program copied into the layout that
// `cmake --install` makes (bin/, lib/gridmap/, share/gridmap/web/) under a directory of no
// importance serves the web map from there and imports through the GDAL module there.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/test_support.hpp"

using gridmap::test::read_file;
using gridmap::test::run_program;
using gridmap::test::RunResult;
using gridmap::test::TempDir;
using gridmap::test::write_file;

namespace fs = std::filesystem;

namespace {

const char* const kGrids = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"150102001001001","name":"光明社区第一网格"},
 "geometry":{"type":"Polygon","coordinates":[[[111.70,40.80],[111.71,40.80],[111.71,40.81],[111.70,40.81],[111.70,40.80]]]}}
]})";

// A copy of the build's program, module and web map laid out as the install rules do.
struct InstalledTree {
  TempDir dir;
  fs::path prefix = dir.path() / "opt" / "gridmap";
  fs::path program = prefix / "bin" / "gridmap";
  fs::path web = prefix / "share" / "gridmap" / "web";
  InstalledTree() {
    const fs::path build = fs::path(GRIDMAP_BINARY).parent_path();
    fs::create_directories(program.parent_path());
    fs::create_directories(prefix / "lib" / "gridmap");
    fs::create_directories(web.parent_path());
    fs::copy_file(GRIDMAP_BINARY, program);
    fs::copy_file(build / "libgridmap_gdal.so", prefix / "lib" / "gridmap" / "libgridmap_gdal.so");
    fs::copy(build / "web", web, fs::copy_options::recursive);
    // Tells this copy of the page from the build's, which a program that ignored its own
    // location would serve instead.
    std::string page = read_file((web / "index.html").string());
    write_file((web / "index.html").string(), page + "<!-- the relocated copy -->\n");
  }
};

// `serve` of the relocated program on a free loopback port, stopped when destroyed.
class Server {
 public:
  Server(const std::string& program, const std::string& db, const std::string& log)
      : port_(gridmap::test::free_port()) {
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(out, 2);
      std::string listen = "127.0.0.1:" + std::to_string(port_);
      execl(program.c_str(), program.c_str(), "serve", "--db", db.c_str(), "--listen",
            listen.c_str(), "--threads", "2", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 300 && gridmap::test::http(port_, "GET", "/healthz").status != 200; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("an installed tree moved anywhere imports through its own GDAL module") {
  InstalledTree tree;
  write_file(tree.dir.file("grids.geojson"), kGrids);
  RunResult r = run_program(
      tree.program.string(),
      {"import", "grids", tree.dir.file("grids.geojson"), "--db", tree.dir.file("g.sqlite")});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("imported 1 grids"));
}

TEST_CASE("an installed tree moved anywhere serves the web map from its own share/gridmap/web") {
  InstalledTree tree;
  write_file(tree.dir.file("grids.geojson"), kGrids);
  REQUIRE(run_program(tree.program.string(), {"import", "grids", tree.dir.file("grids.geojson"),
                                              "--db", tree.dir.file("g.sqlite")})
              .exit_code == 0);
  Server server(tree.program.string(), tree.dir.file("g.sqlite"), tree.dir.file("serve.log"));
  auto page = gridmap::test::http(server.port(), "GET", "/");
  auto maplibre = gridmap::test::http(server.port(), "GET", "/web/vendor/maplibre-gl.js");
  INFO("server log: " << read_file(tree.dir.file("serve.log")));
  CHECK(page.status == 200);
  CHECK_THAT(page.body, Catch::Contains("<!-- the relocated copy -->"));
  CHECK(maplibre.status == 200);
  CHECK(maplibre.body.size() > 100000);
}
