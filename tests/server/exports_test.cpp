// Layers exported over HTTP: streamed, readable by GDAL in every format, without personal
// data, for admins (every layer) and planners (boundaries), audited.
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <catch2/catch.hpp>

#include <string>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

std::string header(const test::HttpResult& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// The body of a chunked answer (the test client hands it over as sent).
std::string unchunk(const std::string& body) {
  std::string out;
  size_t at = 0;
  while (at < body.size()) {
    size_t eol = body.find("\r\n", at);
    REQUIRE(eol != std::string::npos);
    size_t n = std::stoul(body.substr(at, eol - at), nullptr, 16);
    if (n == 0) break;
    out.append(body, eol + 2, n);
    at = eol + 2 + n + 2;
  }
  return out;
}

// Features GDAL finds in the first layer of a file.
int64_t features_in(const std::string& path) {
  GDALAllRegister();
  // Our sheets have a header row (read when the rows are, so the option stays set till then).
  CPLSetConfigOption("OGR_XLSX_HEADERS", "FORCE");
  GDALDatasetH ds =
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  REQUIRE(ds);
  int64_t n = OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), TRUE);
  GDALClose(ds);
  CPLSetConfigOption("OGR_XLSX_HEADERS", nullptr);
  return n;
}

}  // namespace

TEST_CASE("a layer is exported over HTTP as CSV, XLSX, GeoPackage or GeoJSON, streamed and audited",
          "[engines]") {
  test::RoleServer s;
  test::TempDir dir;
  int64_t grids = 0, households = 0;
  {
    data::Db db = data::Db::open(s.db, false);
    data::Statement g(db, "SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM households)");
    REQUIRE(g.step());
    grids = g.int64(0);
    households = g.int64(1);
  }
  for (const char* format : {"csv", "xlsx", "gpkg", "geojson"}) {
    INFO(format);
    auto r = s.get(std::string("/api/v1/export/grids?format=") + format);
    REQUIRE(r.status == 200);
    CHECK(header(r, "transfer-encoding") == "chunked");  // streamed, not held whole
    CHECK(header(r, "content-disposition") ==
          std::string("attachment; filename=\"grids.") + format + "\"");
    CHECK(header(r, "x-export-rows") == std::to_string(grids));
    std::string file = dir.file(std::string("grids.") + format);
    test::write_file(file, unchunk(r.body));
    CHECK(features_in(file) == grids);
  }
  // The households (an admin's), a megabyte and more: many chunks, nothing personal.
  auto all = s.get("/api/v1/export/households?format=csv");
  REQUIRE(all.status == 200);
  std::string csv = unchunk(all.body);
  CHECK(csv.size() > (size_t{1} << 20));
  test::write_file(dir.file("households.csv"), csv);
  CHECK(features_in(dir.file("households.csv")) == households);
  data::Db db = data::Db::open(s.db, false);
  {
    data::Statement person(
        db, "SELECT phone, id_number FROM residents WHERE phone IS NOT NULL LIMIT 1");
    REQUIRE(person.step());
    CHECK(csv.find(person.text(0)) == std::string::npos);
    CHECK(csv.find(person.text(1)) == std::string::npos);
  }
  // Another CRS, as the CLI offers.
  auto gcj = s.get("/api/v1/export/grids?format=geojson&crs=gcj02");
  REQUIRE(gcj.status == 200);
  CHECK(unchunk(gcj.body).find("NOT RFC 7946") != std::string::npos);
  // Audited: who exported what.
  data::Statement audit(
      db,
      "SELECT count(*), group_concat(detail, '; ') FROM audit_log WHERE action = 'export_layer'");
  REQUIRE(audit.step());
  INFO(audit.text(1));
  CHECK(audit.int64(0) == 6);
  // A planner exports boundaries, not households or cases; a worker nothing.
  CHECK(s.get("/api/v1/export/communities?format=gpkg", "planner").status == 200);
  test::check_problem(s.get("/api/v1/export/households", "planner"), 403, "forbidden");
  test::check_problem(s.get("/api/v1/export/petitions", "planner"), 403, "forbidden");
  test::check_problem(s.get("/api/v1/export/grids", "worker"), 403, "forbidden");
  test::check_problem(s.get("/api/v1/export/grids", "dispatcher"), 403, "forbidden");
  test::check_problem(s.get("/api/v1/export/grids?format=shp"), 400, "invalid_input");
  test::check_problem(s.get("/api/v1/export/parcels"), 404, "not_found");
  test::check_problem(s.get("/api/v1/export/grids?crs=mars"), 400, "invalid_input");
}
