// gridmap import / export from the command line: exit codes and one-line reasons.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "data/db.hpp"
#include "support/test_support.hpp"

using gridmap::test::run_gridmap;
using gridmap::test::run_program;
using gridmap::test::RunResult;
using gridmap::test::TempDir;

namespace {

const char* const kGrids = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"150102001001001","name":"光明社区第一网格"},
 "geometry":{"type":"Polygon","coordinates":[[[111.70,40.80],[111.71,40.80],[111.71,40.81],[111.70,40.81],[111.70,40.80]]]}},
{"type":"Feature","properties":{"code":"150102001001002","name":"光明社区第二网格"},
 "geometry":{"type":"Polygon","coordinates":[[[111.71,40.80],[111.72,40.80],[111.72,40.81],[111.71,40.81],[111.71,40.80]]]}}
]})";

const char* const kBadGrids = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"G1","name":"好"},
 "geometry":{"type":"Polygon","coordinates":[[[111.70,40.80],[111.71,40.80],[111.71,40.81],[111.70,40.81],[111.70,40.80]]]}},
{"type":"Feature","properties":{"code":"G2","name":"坏"},
 "geometry":{"type":"Polygon","coordinates":[[[111.72,40.80],[111.73,40.81],[111.72,40.80]]]}}
]})";

struct Setup {
  TempDir dir;
  std::string db = dir.file("gridmap.db");
  std::string grids = dir.file("grids.geojson");
  Setup() { gridmap::test::write_file(grids, kGrids); }
};

// A failure: exit code 2 and exactly one line on stderr that gives the reason.
void check_refused(const RunResult& r, const std::string& reason) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains(reason));
}

}  // namespace

TEST_CASE("import of a file that does not exist exits 2 naming the file") {
  Setup s;
  check_refused(run_gridmap({"import", "grids", s.dir.file("nope.geojson"), "--db", s.db}),
                "cannot open " + s.dir.file("nope.geojson"));
}

TEST_CASE("import of an unknown layer exits 2") {
  Setup s;
  check_refused(run_gridmap({"import", "roads", s.grids, "--db", s.db}), "unknown layer 'roads'");
}

TEST_CASE("import with a bad CRS exits 2") {
  Setup s;
  check_refused(run_gridmap({"import", "grids", s.grids, "--db", s.db, "--crs", "mars"}),
                "unknown CRS 'mars'");
}

TEST_CASE("import with a field that the file lacks exits 2 naming the field") {
  Setup s;
  check_refused(run_gridmap({"import", "grids", s.grids, "--db", s.db, "--code-field", "wgbm"}),
                "field 'wgbm'");
}

TEST_CASE("import with a layer name that the file lacks exits 2") {
  Setup s;
  check_refused(run_gridmap({"import", "grids", s.grids, "--db", s.db, "--layer", "rivers"}),
                "no layer 'rivers'");
}

TEST_CASE("import of unusable features exits 2 and lists them with their codes") {
  Setup s;
  std::string bad = s.dir.file("bad.geojson");
  gridmap::test::write_file(bad, kBadGrids);
  RunResult r = run_gridmap({"import", "grids", bad, "--db", s.db});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("feature 2 (G2): rejected: ") &&
                        Catch::Contains("nothing was imported"));
  RunResult skip = run_gridmap({"import", "grids", bad, "--db", s.db, "--skip-invalid"});
  CHECK(skip.exit_code == 0);
  CHECK_THAT(skip.out, Catch::Contains("imported 1 grids"));
}

TEST_CASE("import and export succeed with exit code 0") {
  Setup s;
  RunResult imp = run_gridmap({"import", "grids", s.grids, "--db", s.db});
  INFO(imp.err);
  CHECK(imp.exit_code == 0);
  CHECK_THAT(imp.out, Catch::Contains("imported 2 grids"));
  for (const char* name : {"out.geojson", "out.gpkg", "out.shp", "out.csv"}) {
    RunResult exp = run_gridmap({"export", "grids", s.dir.file(name), "--db", s.db});
    INFO(name << ": " << exp.err);
    CHECK(exp.exit_code == 0);
    CHECK_THAT(exp.out, Catch::Contains("exported 2 grids"));
  }
  RunResult gcj =
      run_gridmap({"export", "grids", s.dir.file("gcj.json"), "--db", s.db, "--crs", "gcj02"});
  CHECK(gcj.exit_code == 0);
  RunResult back =
      run_gridmap({"import", "grids", s.dir.file("out.csv"), "--db", s.dir.file("copy.db")});
  INFO(back.err);
  CHECK(back.exit_code == 0);
  CHECK_THAT(back.out, Catch::Contains("imported 2 grids"));
}

TEST_CASE("without its GDAL module gridmap runs, and import and export exit 2 naming the module") {
  Setup s;
  REQUIRE(run_gridmap({"import", "grids", s.grids, "--db", s.db}).exit_code == 0);
  // The program alone in a directory of its own: libgridmap_gdal.so is not next to it.
  std::string alone = s.dir.file("gridmap");
  std::filesystem::copy_file(GRIDMAP_BINARY, alone);
  const std::string module = s.dir.file("libgridmap_gdal.so");
  check_refused(run_program(alone, {"import", "grids", s.grids, "--db", s.db}), module);
  check_refused(run_program(alone, {"export", "grids", s.dir.file("g.geojson"), "--db", s.db}),
                module);
  CHECK_FALSE(std::filesystem::exists(s.dir.file("g.geojson")));
  RunResult tiles =
      run_program(alone, {"tiles", "export", "--layer", "grids", "--minzoom", "0", "--maxzoom", "3",
                          "--out", s.dir.file("g.mbtiles"), "--db", s.db});
  INFO(tiles.err);
  CHECK(tiles.exit_code == 0);
  RunResult locate = run_program(alone, {"locate", "--db", s.db, "111.705", "40.805"});
  CHECK(locate.exit_code == 0);
  CHECK_THAT(locate.out, Catch::Contains("150102001001001"));
  // A file that is not the module is refused the same way.
  gridmap::test::write_file(module, "not a shared object");
  check_refused(run_program(alone, {"import", "grids", s.grids, "--db", s.db}), module);
}

TEST_CASE("export to an unknown format exits 2") {
  Setup s;
  REQUIRE(run_gridmap({"import", "grids", s.grids, "--db", s.db}).exit_code == 0);
  check_refused(
      run_gridmap({"export", "grids", s.dir.file("out.kml"), "--db", s.db, "--format", "kml"}),
      "unknown format 'kml'");
}

TEST_CASE("export into a directory that does not exist exits 2") {
  Setup s;
  REQUIRE(run_gridmap({"import", "grids", s.grids, "--db", s.db}).exit_code == 0);
  check_refused(run_gridmap({"export", "grids", s.dir.file("no/such/dir/g.geojson"), "--db", s.db}),
                "does not exist");
}

TEST_CASE("export with a bad CRS exits 2") {
  Setup s;
  REQUIRE(run_gridmap({"import", "grids", s.grids, "--db", s.db}).exit_code == 0);
  check_refused(run_gridmap({"export", "grids", s.dir.file("g.geojson"), "--db", s.db, "--crs",
                             "EPSG:999999"}),
                "EPSG:999999");
}

// kill -9 in the middle of a bulk register import: the load's index and trigger drops and
// its rows are one transaction behind a rollback journal, so the next open finds the
// database exactly as before, spatial index included.
TEST_CASE("a bulk register import killed mid-write leaves the database as it was") {
  TempDir dir;
  std::string db = dir.file("city.sqlite"), csv = dir.file("register.csv");
  REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  auto ask = [&](const std::string& sql) {
    gridmap::data::Db d = gridmap::data::Db::open(db);
    gridmap::data::Statement st(d, sql);
    REQUIRE(st.step());
    return st.text(0);
  };
  std::string households = ask("SELECT count(*) FROM households");
  std::string schema =
      ask("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master ORDER BY name)");
  std::string text = "地址,经度,纬度,姓名\n";
  for (int i = 0; i < 300000; ++i)
    text += "解放路" + std::to_string(i / 48 + 1) + "号1栋1单元" + std::to_string(101 + i % 48) +
            "室,111.7" + std::to_string(1000 + i % 9000) + ",40.8" +
            std::to_string(1000 + i % 7000) + ",居民\n";
  gridmap::test::write_file(csv, text);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(GRIDMAP_BINARY, GRIDMAP_BINARY, "import", "register", csv.c_str(), "--db", db.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // The journal exists from the load's first write to its commit.
  bool writing = false;
  for (int i = 0; i < 60000 && !writing; ++i) {
    writing = std::filesystem::exists(db + "-journal");
    if (!writing) usleep(1000);
  }
  REQUIRE(writing);
  usleep(200000);  // well into the rows
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(ask("SELECT count(*) FROM households") == households);
  CHECK(ask("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master ORDER BY name)") ==
        schema);
  CHECK(ask("PRAGMA integrity_check") == "ok");
  CHECK(ask("SELECT rtreecheck('idx_households_geom')") == "ok");
  CHECK(ask("SELECT CheckSpatialIndex('households', 'geom')") == "1");
  // And the import goes through when run again.
  auto r = run_gridmap({"import", "register", csv, "--db", db});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(ask("SELECT CheckSpatialIndex('households', 'geom')") == "1");
}
