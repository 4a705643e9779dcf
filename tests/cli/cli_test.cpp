// The command line as a user meets it: exit codes and one-line messages.
#include <catch2/catch.hpp>

#include <sstream>

#include "data/db.hpp"
#include "data/households.hpp"
#include "support/test_support.hpp"

using gridmap::test::run_gridmap;
using gridmap::test::TempDir;
using gridmap::test::write_file;

namespace {
// One line on stderr naming the problem, exit code 2.
void check_refused(const std::vector<std::string>& args, const std::string& reason) {
  auto r = run_gridmap(args);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(reason) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

TempDir& tatabu_dir() {
  static TempDir dir;
  static bool made = false;
  if (!made) {
    auto r = run_gridmap({"demo", "--db", dir.file("t.sqlite"), "--preset", "tatabu"});
    REQUIRE(r.exit_code == 0);
    made = true;
  }
  return dir;
}
}  // namespace

TEST_CASE("an unknown command or no command is refused with usage") {
  check_refused({"frobnicate"}, "unknown command 'frobnicate'");
  auto r = run_gridmap({});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("usage") != std::string::npos);
  CHECK(run_gridmap({"help"}).exit_code == 0);
}

TEST_CASE("convert turns WGS84 into GCJ-02 and back") {
  auto r = run_gridmap({"convert", "--from", "wgs84", "--to", "gcj02", "116.404", "39.915"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "116.410244499,39.916404282\n");
  auto back = run_gridmap({"convert", "--from", "gcj02", "--to", "wgs84", "116.410244499", "39.916404282"});
  REQUIRE(back.exit_code == 0);
  CHECK(back.out == "116.404,39.915\n");  // the inverse is exact to 1e-9 degrees
}

TEST_CASE("convert --csv appends out_lon and out_lat and keeps the other columns") {
  TempDir dir;
  write_file(dir.file("in.csv"), "name,lon,lat\n\"天安门, 北京\",116.404,39.915\nparis,2.3522,48.8566\n");
  auto r = run_gridmap({"convert", "--from", "wgs84", "--to", "bd09", "--csv", dir.file("in.csv")});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("name,lon,lat,out_lon,out_lat\n\"天安门, 北京\",116.404,39.915,116.41", 0) == 0);
  CHECK(r.out.find("paris,2.3522,48.8566,2.35") != std::string::npos);
}

TEST_CASE("convert refuses bad CRSs, non-numeric coordinates and bad CSV rows") {
  check_refused({"convert", "--from", "mars", "--to", "wgs84", "1", "2"}, "unknown CRS 'mars'");
  check_refused({"convert", "--from", "EPSG:999999", "--to", "wgs84", "1", "2"}, "EPSG:999999");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "abc", "39.9"}, "longitude must be a finite number");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "116", "nan"}, "latitude must be a finite number");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "116"}, "give LON LAT");
  check_refused({"convert", "--to", "gcj02", "116", "39"}, "--from is required");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "--bogus", "1"}, "unknown option --bogus");
  TempDir dir;
  write_file(dir.file("bad.csv"), "lon,lat\n116.4,39.9\n116.5,north\n");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "--csv", dir.file("bad.csv")}, "line 3");
  write_file(dir.file("nolat.csv"), "lon,y\n116.4,39.9\n");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "--csv", dir.file("nolat.csv")}, "'lon' and 'lat'");
  check_refused({"convert", "--from", "wgs84", "--to", "gcj02", "--csv", dir.file("missing.csv")}, "cannot read");
}

TEST_CASE("demo refuses an unknown preset, a bad seed and a missing --db") {
  TempDir dir;
  check_refused({"demo", "--db", dir.file("x.sqlite"), "--preset", "atlantis"}, "unknown preset 'atlantis'");
  check_refused({"demo", "--db", dir.file("x.sqlite"), "--seed", "many"}, "--seed must be an integer");
  check_refused({"demo", "--preset", "tatabu"}, "--db is required");
}

TEST_CASE("demo refuses to overwrite a database that already holds grids") {
  check_refused({"demo", "--db", tatabu_dir().file("t.sqlite"), "--preset", "tatabu"}, "already holds grids");
}

TEST_CASE("a file that is not a gridmap database is refused, not damaged") {
  TempDir dir;
  write_file(dir.file("notes.txt"), "these are my notes, not a database\n");
  check_refused({"locate", "--db", dir.file("notes.txt"), "111.7", "40.8"}, "notes.txt");
  CHECK(gridmap::test::read_file(dir.file("notes.txt")) == "these are my notes, not a database\n");
}

TEST_CASE("locate answers the grid, community and subdistrict of a household") {
  std::string db = tatabu_dir().file("t.sqlite");
  gridmap::data::Household h;
  {
    gridmap::data::Db d = gridmap::data::Db::open(db, false);
    h = *gridmap::data::HouseholdRepo(d).get(1234);
  }
  auto r = run_gridmap({"locate", "--db", db, std::to_string(h.position.lon), std::to_string(h.position.lat)});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("grid_code,community_code,subdistrict_code,on_edge,other_grids,distance_to_edge_m,"
                    "nearest_grid_code,nearest_distance_m\n" + *h.grid_code + "," + *h.community_code + "," +
                        *h.subdistrict_code + ",false,,",
                    0) == 0);
  TempDir dir;
  write_file(dir.file("pts.csv"), "id,lon,lat\n1,0,0\n2," + std::to_string(h.position.lon) + "," +
                                      std::to_string(h.position.lat) + "\n");
  auto csv = run_gridmap({"locate", "--db", db, "--csv", dir.file("pts.csv")});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("id,lon,lat,grid_code,community_code,subdistrict_code,on_edge\n1,0,0,,,,false\n2,", 0) == 0);
  CHECK(csv.out.find("," + *h.grid_code + "," + *h.community_code) != std::string::npos);
}

TEST_CASE("locate refuses a missing database, bad coordinates and a bad CRS") {
  std::string db = tatabu_dir().file("t.sqlite");
  check_refused({"locate", "--db", "/nonexistent/x.sqlite", "111.7", "40.8"}, "does not exist");
  check_refused({"locate", "--db", db, "111.7", "forty"}, "latitude must be a finite number");
  check_refused({"locate", "--db", db, "--crs", "EPSG:abc", "111.7", "40.8"}, "unknown CRS");
  check_refused({"locate", "--db", db, "500", "40.8"}, "out of range");
}

TEST_CASE("a point just outside the city gets no grid but the nearest grid and its distance") {
  std::string db = tatabu_dir().file("t.sqlite");
  // West of every grid: take the westernmost household and step 0.05 degrees further west.
  gridmap::data::Household west;
  west.position.lon = 1e9;
  {
    gridmap::data::Db d = gridmap::data::Db::open(db, false);
    gridmap::data::HouseholdRepo(d).for_each([&](const gridmap::data::Household& h) {
      if (h.position.lon < west.position.lon) west = h;
    });
  }
  auto r = run_gridmap({"locate", "--db", db, std::to_string(west.position.lon - 0.02), std::to_string(west.position.lat)});
  REQUIRE(r.exit_code == 0);
  auto line = r.out.substr(r.out.find('\n') + 1);
  CHECK(line.rfind(",,,false,,,", 0) == 0);
  CHECK(line.find(",150102001") != std::string::npos);  // the nearest grid's code
  double d = std::stod(line.substr(line.rfind(',') + 1));
  CHECK(d > 1000);   // at least 0.02 degrees away
  CHECK(d < 2000);   // and not much more than that
}

TEST_CASE("nearest prints the k nearest on-duty workers as CSV, nearest first") {
  std::string db = tatabu_dir().file("t.sqlite");
  gridmap::data::Household h;
  {
    gridmap::data::Db d = gridmap::data::Db::open(db, false);
    h = *gridmap::data::HouseholdRepo(d).get(100);
  }
  auto r = run_gridmap({"nearest", "--db", db, std::to_string(h.position.lon), std::to_string(h.position.lat), "-k", "4"});
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  CHECK(line == "worker_id,distance_m,grid_code,name");
  double last = -1;
  int rows = 0;
  while (std::getline(in, line)) {
    double d = std::stod(line.substr(line.find(',') + 1));
    CHECK(d >= last);
    last = d;
    ++rows;
  }
  CHECK(rows == 4);
  check_refused({"nearest", "--db", db, "111.7", "40.8", "-k", "0"}, "-k must be an integer from 1");
  check_refused({"nearest", "--db", db, "111.7"}, "give LON LAT");
  check_refused({"nearest", "--db", db, "111.7", "40.8", "--grid", "999"}, "no grid with code 999");
}

TEST_CASE("check exits 0 on the clean demo, 1 with findings and 2 on error") {
  TempDir dir;
  std::string db = dir.file("c.sqlite");
  REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
  auto clean = run_gridmap({"check", "--db", db});
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.find("clean") != std::string::npos);
  {
    gridmap::data::Db d = gridmap::data::Db::open(db, false);
    d.exec("DELETE FROM worker_grids WHERE grid_code = (SELECT min(code) FROM grids)");
  }
  auto found = run_gridmap({"check", "--db", db, "--json"});
  CHECK(found.exit_code == 1);
  CHECK(found.out.find("\"kind\":\"no_worker\"") != std::string::npos);
  CHECK(found.out.find("\"clean\":false") != std::string::npos);
  check_refused({"check", "--db", dir.file("missing.sqlite")}, "does not exist");
  check_refused({"check", "--db", db, "--sliver-m2", "-5"}, "must not be negative");
}

TEST_CASE("the demo creates one sign-in per role, listed by user list") {
  auto r = run_gridmap({"user", "list", "--db", tatabu_dir().file("t.sqlite")});
  REQUIRE(r.exit_code == 0);
  for (const char* who : {"demo-admin\tadmin", "demo-dispatcher\tdispatcher", "demo-planner\tplanner", "demo-worker\tworker"})
    CHECK(r.out.find(who) != std::string::npos);
  check_refused({"user", "add", "demo-admin", "--role", "admin", "--db", tatabu_dir().file("t.sqlite")}, "exists");
  check_refused({"user", "add", "x", "--role", "emperor", "--db", tatabu_dir().file("t.sqlite")}, "unknown role");
  check_refused({"user", "add", "y", "--role", "worker", "--db", tatabu_dir().file("t.sqlite")}, "at least one --grid");
}

TEST_CASE("gridmap --version names the release and the commit, and each command's --help lists its options") {
  for (const char* v : {"--version", "version"}) {
    auto r = run_gridmap({v});
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind("gridmap 0.", 0) == 0);
    CHECK(r.out.find('(') != std::string::npos);
  }
  auto serve = run_gridmap({"serve", "--help"});
  CHECK(serve.exit_code == 0);
  // Every option serve takes (server/cli/serve.cpp), the ones once undocumented included.
  for (const char* o : {"--db", "--create", "--listen", "--threads", "--public-url", "--cors-origin", "--web",
                        "--font", "--basemap", "--files", "--max-upload-mb", "--max-body-mb",
                        "--request-timeout-ms", "--max-connections", "--max-connections-per-address",
                        "--sse-heartbeat-ms", "--sse-lifetime-ms", "--notify-check-ms",
                        "--deadline-warning-hours", "--webhook-retry-ms", "--webhook-retry-max-ms",
                        "--patrol-retention-days", "--quiet"}) {
    INFO(o);
    CHECK(serve.out.find(std::string(o) + (std::string(o) == "--max-connections" ? " " : "")) !=
          std::string::npos);
  }
  for (const char* c : {"demo", "import", "export", "locate", "nearest", "check", "user", "audit",
                        "catalogue", "calendar", "tiles", "convert"}) {
    auto r = run_gridmap({c, "--help"});
    INFO(c);
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind(std::string("usage: gridmap ") + c, 0) == 0);
  }
  auto unknown = run_gridmap({"serve", "--db", "x.sqlite", "--frobnicate", "1"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("see 'gridmap serve --help'") != std::string::npos);
}

TEST_CASE("serve refuses a --cors-origin that is not an origin, '*' included") {
  for (const char* bad : {"*", "portal.example.gov.cn", "https://portal.example.gov.cn/path"}) {
    auto r = run_gridmap({"serve", "--db", "/nonexistent/x.sqlite", "--cors-origin", bad});
    INFO(bad);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--cors-origin") != std::string::npos);
  }
}
