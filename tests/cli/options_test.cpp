// Options from the command line, GRIDMAP_<OPTION> environment variables and a config file;
// each command's --help; progress lines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "data/db.hpp"
#include "server/cli/progress.hpp"
#include "support/test_support.hpp"

using gridmap::test::run_gridmap;
using gridmap::test::run_gridmap_env;
using gridmap::test::RunResult;
using gridmap::test::TempDir;
using gridmap::test::write_file;

namespace {

const char* const kMissingDb = "/nonexistent/gridmap-options-test/x.sqlite";

// An empty gridmap database (schema only).
std::string empty_db(const TempDir& dir) {
  std::string path = dir.file("empty.sqlite");
  gridmap::data::Db::open(path);
  return path;
}

// One line on stderr naming the problem, exit code 2, nothing on stdout.
void check_refused(const RunResult& r, const std::vector<std::string>& reasons) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  for (const std::string& reason : reasons) CHECK(r.err.find(reason) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

bool is_calendar(const RunResult& r) {
  return r.exit_code == 0 && r.out.rfind("date,type,name\n", 0) == 0;
}

}  // namespace

TEST_CASE("an option comes from GRIDMAP_<OPTION> when the command line does not give it") {
  TempDir dir;
  std::string db = empty_db(dir);
  CHECK(is_calendar(run_gridmap_env({"calendar", "export"}, {{"GRIDMAP_DB", db}})));
  // An empty variable counts as unset.
  check_refused(run_gridmap_env({"calendar", "export"}, {{"GRIDMAP_DB", ""}}),
                {"--db is required"});
  // Variables that name no option of the command (GRIDMAP_OPTS of deploy/) are left alone.
  CHECK(is_calendar(
      run_gridmap_env({"calendar", "export"}, {{"GRIDMAP_DB", db}, {"GRIDMAP_OPTS", "--quiet"}})));
}

TEST_CASE("the command line beats the environment, and the environment beats the config file") {
  TempDir dir;
  std::string db = empty_db(dir);
  CHECK(is_calendar(
      run_gridmap_env({"calendar", "export", "--db", db}, {{"GRIDMAP_DB", kMissingDb}})));
  check_refused(run_gridmap_env({"calendar", "export", "--db", kMissingDb}, {{"GRIDMAP_DB", db}}),
                {kMissingDb, "does not exist"});
  write_file(dir.file("gridmap.conf"), std::string("db = ") + kMissingDb + "\n");
  CHECK(is_calendar(run_gridmap_env({"calendar", "export", "--config", dir.file("gridmap.conf")},
                                    {{"GRIDMAP_DB", db}})));
  check_refused(run_gridmap_env({"calendar", "export", "--config", dir.file("gridmap.conf")},
                                {{"GRIDMAP_DB", std::nullopt}}),
                {kMissingDb});
}

TEST_CASE(
    "a config file gives options: keys outside a section to every command, [COMMAND] to one") {
  TempDir dir;
  std::string db = empty_db(dir);
  std::string conf = dir.file("gridmap.conf");
  write_file(conf,
             "# gridmap settings\n"
             "listen = 127.0.0.1:9\n"  // serve's: locate and calendar have no --listen
             "\n"
             "[serve]\n"
             "db = " +
                 std::string(kMissingDb) +
                 "\n"
                 "max-body-mb = 64\n"
                 "[calendar]\n"
                 "  db = \"" +
                 db +
                 "\"  \n"
                 "[locate]\n"
                 "crs = gcj02\n");
  CHECK(is_calendar(run_gridmap({"calendar", "export", "--config", conf})));
  CHECK(is_calendar(run_gridmap_env({"calendar", "export"}, {{"GRIDMAP_CONFIG", conf}})));
  // serve reads its own section, and says where a bad value came from.
  write_file(dir.file("serve.conf"), "[serve]\nthreads = 4\nlisten = nowhere\n");
  check_refused(
      run_gridmap({"serve", "--db", kMissingDb, "--config", dir.file("serve.conf")}),
      {"--listen (from " + dir.file("serve.conf") + " line 3) must be ADDRESS:PORT", "nowhere"});
  write_file(dir.file("serve.conf"), "threads = lots\n");
  check_refused(run_gridmap({"serve", "--db", kMissingDb, "--config", dir.file("serve.conf")}),
                {"--threads (from " + dir.file("serve.conf") + " line 1) must be an integer"});
  check_refused(run_gridmap({"calendar", "export", "--config", dir.file("missing.conf")}),
                {"cannot read config file"});
}

TEST_CASE(
    "a config file key no command has, or one its own section's command lacks, is refused with its "
    "line") {
  TempDir dir;
  std::string db = empty_db(dir);
  std::string conf = dir.file("gridmap.conf");
  write_file(conf, "db = " + db + "\n# a comment\nlisen = 0.0.0.0:8080\n");
  check_refused(run_gridmap({"calendar", "export", "--config", conf}),
                {conf + " line 3", "unknown setting 'lisen'"});
  write_file(conf, "db = " + db + "\n[calendar]\nlisten = 0.0.0.0:8080\n");
  check_refused(run_gridmap({"calendar", "export", "--config", conf}),
                {conf + " line 3", "unknown setting 'listen' for calendar"});
  write_file(conf, "db = " + db + "\n[serv]\nlisten = 0.0.0.0:8080\n");
  check_refused(run_gridmap({"calendar", "export", "--config", conf}),
                {conf + " line 2", "unknown section"});
  write_file(conf, "db " + db + "\n");
  check_refused(run_gridmap({"calendar", "export", "--config", conf}),
                {conf + " line 1", "key = value"});
  // Another command's section may hold anything that command takes, and is not checked here.
  write_file(conf, "db = " + db + "\n[serve]\nlisten = 0.0.0.0:8080\n");
  CHECK(is_calendar(run_gridmap({"calendar", "export", "--config", conf})));
}

TEST_CASE("serve takes its settings from a config file, the command line winning") {
  TempDir dir;
  std::string db = empty_db(dir);
  std::string conf = dir.file("gridmap.conf");
  // ServerProcess passes --listen 127.0.0.1:0, which beats the file's port 9.
  write_file(conf,
             "[serve]\n"
             "listen = 127.0.0.1:9\n"
             "public-url = https://grid.example.gov.cn\n"
             "cors-origin = https://a.example, https://b.example\n"
             "quiet = yes\n");
  gridmap::test::ScopedEnv env({{"GRIDMAP_CONFIG", conf}});
  gridmap::test::ServerProcess server(db);
  CHECK(server.port() != 9);
  auto doc = gridmap::test::http(server.port(), "GET", "/problems/not_found");
  REQUIRE(doc.status == 200);
  CHECK(doc.body.find("https://grid.example.gov.cn/problems/not_found") != std::string::npos);
  for (const char* origin : {"https://a.example", "https://b.example"}) {
    auto pre =
        gridmap::test::http(server.port(), "OPTIONS", "/api/v1/petitions/1", "",
                            {{"Origin", origin}, {"Access-Control-Request-Method", "PATCH"}});
    INFO(origin);
    CHECK(pre.status == 204);
    CHECK(pre.headers["access-control-allow-origin"] == origin);
  }
}

TEST_CASE("a bad value from the environment is refused naming the variable") {
  check_refused(run_gridmap_env({"serve", "--db", kMissingDb}, {{"GRIDMAP_THREADS", "many"}}),
                {"--threads (from GRIDMAP_THREADS) must be an integer from 1 to 256, not 'many'"});
  check_refused(
      run_gridmap_env({"serve", "--db", kMissingDb}, {{"GRIDMAP_LISTEN", "127.0.0.1:http"}}),
      {"GRIDMAP_LISTEN", "must be an integer from 0 to 65535"});
  check_refused(run_gridmap_env({"demo", "--db", kMissingDb}, {{"GRIDMAP_SEED", "-1"}}),
                {"GRIDMAP_SEED"});
  check_refused(run_gridmap_env({"check", "--db", kMissingDb}, {{"GRIDMAP_JSON", "maybe"}}),
                {"--json (from GRIDMAP_JSON) must be 1, true, yes, 0, false or no, not 'maybe'"});
}

TEST_CASE(
    "flags come from the environment and the command line as 1, true or yes, and off as 0, false "
    "or no") {
  TempDir dir;
  std::string db = empty_db(dir);
  auto json = [&](const RunResult& r) {
    return r.exit_code <= 1 && !r.out.empty() && (r.out[0] == '[' || r.out[0] == '{');
  };
  for (const char* on : {"1", "true", "YES"}) {
    INFO(on);
    CHECK(json(run_gridmap_env({"check", "--db", db}, {{"GRIDMAP_JSON", on}})));
  }
  CHECK_FALSE(json(run_gridmap_env({"check", "--db", db}, {{"GRIDMAP_JSON", "no"}})));
  CHECK(json(run_gridmap_env({"check", "--db", db, "--json"}, {{"GRIDMAP_JSON", "0"}})));
  CHECK_FALSE(
      json(run_gridmap_env({"check", "--db", db, "--json=false"}, {{"GRIDMAP_JSON", "1"}})));
}

TEST_CASE("each command's --help lists every option it takes, and where else options come from") {
  const std::vector<std::string> commands{"demo",     "import", "export", "locate", "nearest",
                                          "check",    "serve",  "user",   "audit",  "catalogue",
                                          "calendar", "tiles",  "convert"};
  for (const std::string& c : commands) {
    INFO(c);
    auto help = run_gridmap({c, "--help"});
    REQUIRE(help.exit_code == 0);
    CHECK(help.out.rfind("usage: gridmap " + c, 0) == 0);
    CHECK(help.out.find("Every option may also come from GRIDMAP_<OPTION> or the config file") !=
          std::string::npos);
    CHECK(help.out.find("--config FILE") != std::string::npos);
    size_t at = help.out.find("\noptions:\n");
    REQUIRE(at != std::string::npos);
    std::istringstream lines(help.out.substr(at + 10));
    int listed = 0;
    for (std::string line; std::getline(lines, line) && !line.empty();) {
      if (line.rfind("  -", 0) != 0) continue;  // a wrapped description
      std::string name = line.substr(2, line.find_first_of(" ,", 2) - 2);
      if (name == "-h" || name == "--config") continue;
      ++listed;
      // Every option listed is one the command takes: never "unknown option". A value is
      // "x"; the run stops on it or on the missing database, before doing anything.
      bool has_value = line.size() > 3 + name.size() && line[2 + name.size()] == ' ' &&
                       line[3 + name.size()] != ' ';
      std::vector<std::string> args{c, name};
      if (has_value) args.push_back("x");
      if (c != "convert") args.insert(args.end(), {"--db", kMissingDb});
      auto r = run_gridmap(args);
      INFO(name << ": " << r.err);
      CHECK(r.err.find("unknown option") == std::string::npos);
      CHECK(r.err.find("needs a value") == std::string::npos);
    }
    CHECK(listed >= 1);
  }
  // Options that were once undocumented.
  auto serve = run_gridmap({"serve", "--help"});
  for (const char* o : {"--max-body-mb N", "--request-timeout-ms N", "--web DIR", "--log-format",
                        "--metrics-from-loopback", "--max-connections-per-address N",
                        "--patrol-retention-days N"}) {
    INFO(o);
    CHECK(serve.out.find(std::string("\n  ") + o) != std::string::npos);
  }
  CHECK(serve.out.find("(default: 127.0.0.1:8080)") != std::string::npos);
  auto top = run_gridmap({"--help"});
  CHECK(top.exit_code == 0);
  for (const std::string& c : commands) CHECK(top.out.find("gridmap " + c) != std::string::npos);
}

TEST_CASE(
    "the command line keeps its old forms: --opt=value, negative numbers, and -- before "
    "arguments") {
  TempDir dir;
  std::string db = empty_db(dir);
  auto r = run_gridmap({"locate", "--db=" + db, "151.21", "-33.86"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\n,,,false,") != std::string::npos);
  auto c = run_gridmap({"convert", "--from", "wgs84", "--to", "wgs84", "--", "-1.5", "2"});
  CHECK(c.exit_code == 0);
  CHECK(c.out == "-1.5,2\n");
  check_refused(run_gridmap({"locate", "--db"}), {"locate: option --db needs a value"});
  check_refused(run_gridmap({"locate", "--frobnicate=1", "--db", db}),
                {"unknown option --frobnicate (see 'gridmap locate --help')"});
  check_refused(run_gridmap({"check", "--db", db, "stray"}),
                {"check: unexpected argument 'stray'"});
  check_refused(run_gridmap({"serve", "--db", kMissingDb, "extra"}),
                {"serve: unexpected argument 'extra'"});
}

TEST_CASE("progress lines show done and total, percent, rate and time left") {
  using gridmap::cli::progress_line;
  CHECK(progress_line("importing households", 412000, 1000000, 412000 / 52100.0) ==
        "importing households: 412000/1000000 (41%) 52100/s, ETA 11 s");
  CHECK(progress_line("importing households", 1000000, 1000000, 19.19, true) ==
        "importing households: 1000000/1000000 (100%) 52100/s, done in 19 s");
  CHECK(progress_line("tiles", 30, 9030, 10) == "tiles: 30/9030 (0%) 3/s, ETA 50 min 0 s");
  CHECK(progress_line("generating city", 1, 4, 4) == "generating city: 1/4 (25%) 0.25/s, ETA 12 s");
  CHECK(progress_line("exporting petitions", 1234567, 0, 10) ==
        "exporting petitions: 1234567 123000/s");
  CHECK(progress_line("exporting grids", 0, 1500, 0) == "exporting grids: 0/1500 (0%)");
  CHECK(progress_line("tiles", 1, 100, 3600) == "tiles: 1/100 (1%) 0.000278/s, ETA 99 h 00 min");
  CHECK(gridmap::cli::progress_duration(7500) == "2 h 05 min");
  CHECK(gridmap::cli::progress_duration(0.24) == "0.2 s");
  CHECK(gridmap::cli::progress_duration(200) == "3 min 20 s");
  CHECK(gridmap::cli::progress_rate(99.96) == "100/s");
  CHECK(gridmap::cli::progress_rate(12.34) == "12.3/s");
}

TEST_CASE("import and export write plain progress lines when stderr is not a terminal") {
  TempDir dir;
  std::string db = dir.file("gridmap.sqlite");
  write_file(dir.file("grids.geojson"), R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"150102001001001","name":"一"},
 "geometry":{"type":"Polygon","coordinates":[[[111.70,40.80],[111.71,40.80],[111.71,40.81],[111.70,40.81],[111.70,40.80]]]}},
{"type":"Feature","properties":{"code":"150102001001002","name":"二"},
 "geometry":{"type":"Polygon","coordinates":[[[111.71,40.80],[111.72,40.80],[111.72,40.81],[111.71,40.81],[111.71,40.80]]]}}
]})");
  auto in = run_gridmap({"import", "grids", dir.file("grids.geojson"), "--db", db});
  REQUIRE(in.exit_code == 0);
  INFO(in.err);
  CHECK(in.err.rfind("importing grids: 2/2 (100%) ", 0) == 0);
  CHECK(in.err.find(", done in ") != std::string::npos);
  CHECK(in.err.find('\r') == std::string::npos);
  auto out = run_gridmap({"export", "grids", dir.file("out.csv"), "--db", db});
  REQUIRE(out.exit_code == 0);
  INFO(out.err);
  CHECK(out.err.rfind("exporting grids: 2/2 (100%) ", 0) == 0);
  CHECK(std::count(out.err.begin(), out.err.end(), '\n') == 1);
  CHECK(out.err.find('\r') == std::string::npos);
}
