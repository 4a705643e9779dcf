// The category catalogue and the working calendar as an office sets them up: from the command
// line on a database built from its own boundaries, and through the admin API.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <fstream>

#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::http;
using test::json;
using test::run_gridmap;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

test::HttpResult as(test::RoleServer& s, const std::string& role, const std::string& method,
                    const std::string& target, const std::string& body = "") {
  return http(
      s.server->port(), method, target, body,
      {{"Authorization", "Bearer " + s.tokens.at(role)}, {"Content-Type", "application/json"}});
}

}  // namespace

TEST_CASE(
    "the demo ships 8 大类 with 40 小类, and a petition under a 大类 is refused naming the "
    "catalogue",
    "[engines]") {
  test::RoleServer s;
  rapidjson::Document d = json(s.get("/api/v1/catalogue", "worker"));
  REQUIRE(d["categories"].IsArray());
  int top = 0, sub = 0;
  for (const auto& c : d["categories"].GetArray()) (c["parent"].IsNull() ? top : sub)++;
  CHECK(top == 8);
  CHECK(sub == 40);
  rapidjson::Document noise = json(s.get("/api/v1/catalogue/noise", "planner"));
  CHECK(std::string(noise["parent"].GetString()) == "city_appearance");
  CHECK(std::string(noise["deadline"].GetString()) == "3d");
  auto report = [&](const std::string& category) {
    return as(s, "worker", "POST", "/api/v1/petitions",
              R"({"lon":111.70,"lat":40.80,"category":")" + category + R"(","description":"x"})");
  };
  test::HttpResult big = report("city_appearance");
  check_problem(big, 400, "invalid_input");
  CHECK_THAT(big.body, Catch::Contains("大类") && Catch::Contains("noise"));
  check_problem(report("no_such_thing"), 400, "invalid_input");
  CHECK(report("noise").status == 201);
  check_problem(s.get("/api/v1/catalogue/no_such_thing"), 404, "not_found");
}

TEST_CASE("an admin adds, changes and removes a category, nobody else may, and a used one stays",
          "[engines]") {
  test::RoleServer s;
  const std::string body =
      R"({"name":"井盖异响","name_en":"Rattling manhole covers","parent":"public_facilities",)"
      R"("level":"grid","deadline":"6h","on_site_close":false,"photos_to_close":true})";
  for (const char* role : {"dispatcher", "worker", "planner"})
    CHECK(as(s, role, "PUT", "/api/v1/catalogue/rattling_covers", body).status == 403);
  test::HttpResult created = as(s, "admin", "PUT", "/api/v1/catalogue/rattling_covers", body);
  REQUIRE(created.status == 201);
  CHECK(created.headers["location"] == "/api/v1/catalogue/rattling_covers");
  rapidjson::Document e = json(s.get("/api/v1/catalogue/rattling_covers", "worker"));
  CHECK(std::string(e["deadline"].GetString()) == "6h");
  CHECK_FALSE(e["on_site_close"].GetBool());
  CHECK(as(s, "admin", "PUT", "/api/v1/catalogue/rattling_covers",
           R"({"name":"井盖异响","parent":"public_facilities","deadline":"1d"})")
            .status == 200);
  // Bad entries: no name, a bad deadline, an unknown parent, a 小类 as parent, another code.
  for (const char* bad :
       {R"({"deadline":"1d"})", R"({"name":"x","deadline":"soon"})",
        R"({"name":"x","deadline":"0h"})", R"({"name":"x","deadline":"1d","parent":"nowhere"})",
        R"({"name":"x","deadline":"1d","parent":"noise"})",
        R"({"code":"other","name":"x","deadline":"1d"})",
        R"({"name":"x","deadline":"1d","level":"province"})", R"([1,2])"}) {
    INFO(bad);
    check_problem(as(s, "admin", "PUT", "/api/v1/catalogue/rattling_covers", bad), 400,
                  "invalid_input");
  }
  CHECK(std::string(json(s.get("/api/v1/catalogue/rattling_covers"))["deadline"].GetString()) ==
        "1d");
  // Removing: refused while petitions or 小类 use it.
  check_problem(as(s, "admin", "DELETE", "/api/v1/catalogue/noise"), 409, "conflict");
  check_problem(as(s, "admin", "DELETE", "/api/v1/catalogue/public_facilities"), 409, "conflict");
  CHECK(as(s, "dispatcher", "DELETE", "/api/v1/catalogue/rattling_covers").status == 403);
  CHECK(as(s, "admin", "DELETE", "/api/v1/catalogue/rattling_covers").status == 204);
  check_problem(s.get("/api/v1/catalogue/rattling_covers"), 404, "not_found");
}

namespace {

// A workbook of one worksheet, written with GDAL's XLSX driver as an office's spreadsheet would be.
void write_xlsx(const std::string& path, const std::vector<std::vector<std::string>>& rows) {
  GDALAllRegister();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("XLSX");
  REQUIRE(driver);
  GDALDatasetUniquePtr ds(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  REQUIRE(ds);
  OGRLayer* layer = ds->CreateLayer("事项目录", nullptr, wkbNone, nullptr);
  REQUIRE(layer);
  for (const std::string& h : rows[0]) {
    OGRFieldDefn field(h.c_str(), OFTString);
    REQUIRE(layer->CreateField(&field) == OGRERR_NONE);
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    OGRFeatureUniquePtr f(OGRFeature::CreateFeature(layer->GetLayerDefn()));
    for (size_t c = 0; c < rows[r].size(); ++c)
      if (!rows[r][c].empty()) f->SetField(static_cast<int>(c), rows[r][c].c_str());
    REQUIRE(layer->CreateFeature(f.get()) == OGRERR_NONE);
  }
}

}  // namespace

TEST_CASE("a catalogue comes from an office's .xlsx workbook, bad rows named by their row",
          "[engines]") {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  std::string bad = dir.file("bad.xlsx");
  write_xlsx(bad, {{"code", "name", "parent", "deadline"},
                   {"roads", "道路", "", "5d"},
                   {"potholes", "坑槽", "roads", "2x"}});
  test::RunResult r = run_gridmap({"catalogue", "import", bad, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("line 3") && Catch::Contains("nothing was imported"));
  CHECK(run_gridmap({"catalogue", "export", "--db", db}).out.find("potholes") == std::string::npos);
  std::string good = dir.file("good.XLSX");
  write_xlsx(good, {{"code", "name", "name_en", "parent", "deadline", "on_site_close"},
                    {"roads", "道路", "Roads", "", "5d", "yes"},
                    {"potholes", "坑槽", "Potholes", "roads", "16h", "no"}});
  r = run_gridmap({"catalogue", "import", good, "--db", db});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 added"));
  CHECK_THAT(run_gridmap({"catalogue", "export", "--db", db}).out,
             Catch::Contains("potholes,坑槽,Potholes,roads,grid,16h,no,no"));
  // Not a workbook at all: one line, exit 2, nothing imported.
  std::string fake = dir.file("fake.xlsx");
  write_file(fake, "code,name\nx,y\n");
  r = run_gridmap({"catalogue", "import", fake, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("spreadsheet"));
}

TEST_CASE(
    "an office with its own boundaries imports a catalogue and a calendar from the command line",
    "[engines]") {
  test::TempDir dir;
  test::TatabuDb city{dir};  // on the engine under test
  std::string db = city.db;
  // A file with bad rows is reported row by row and changes nothing.
  std::string bad = dir.file("bad.csv");
  write_file(bad,
             "code,name,parent,deadline\n"
             "roads,道路,,5d\n"
             "potholes,坑槽,roads,2x\n"
             "signs,标志,nowhere,1d\n");
  test::RunResult r = run_gridmap({"catalogue", "import", bad, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("line 3") && Catch::Contains("line 4") &&
                        Catch::Contains("nothing was imported"));
  CHECK(run_gridmap({"catalogue", "export", "--db", db}).out.find("potholes") == std::string::npos);
  std::string good = dir.file("good.csv");
  write_file(good,
             "code,name,parent,deadline\n"
             "roads,道路,,5d\n"
             "potholes,坑槽,roads,16h\n");
  r = run_gridmap({"catalogue", "import", good, "--db", db});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 added"));
  std::string out = dir.file("out.csv");
  REQUIRE(run_gridmap({"catalogue", "export", out, "--db", db}).exit_code == 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::StartsWith(
                       "code,name,name_en,parent,level,deadline,on_site_close,photos_to_close"));
  CHECK_THAT(text, Catch::Contains("potholes,坑槽,,roads,grid,16h,yes,no"));
  // The calendar: a bad file names its line; a good one replaces the built-in calendar.
  std::string badcal = dir.file("badcal.csv");
  write_file(badcal, "date,type,name\n2027-02-06,workday,调休\n2027-02-08,workday,周一\n");
  r = run_gridmap({"calendar", "import", badcal, "--db", db});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("line 3"));
  std::string cal = dir.file("cal.csv");
  write_file(cal, "date,type,name\n2027-02-06,workday,春节调休\n2027-02-10,holiday,春节\n");
  REQUIRE(run_gridmap({"calendar", "import", cal, "--db", db}).exit_code == 0);
  CHECK_THAT(run_gridmap({"calendar", "export", "--db", db}).out,
             Catch::Contains("2027-02-10,holiday"));
  CHECK(run_gridmap({"catalogue", "frobnicate", "--db", db}).exit_code != 0);
}
