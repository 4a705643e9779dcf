// OGC API - Features under /ogc, read by GDAL's own OAPIF driver (every collection, paging,
// a bbox) as a client that knows only the standard would, and checked on the wire: links,
// conformance, datetime, a worker's patch, bad parameters.
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "data/db.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

// The tatabu demo served with --public-url (absolute links, as GDAL follows `next`).
struct OgcServer {
  test::RoleServer s;
  uint16_t port = 0;
  std::string root;
  OgcServer() {
    port = test::free_port();
    root = "http://127.0.0.1:" + std::to_string(port);
    s.server.reset();
    s.server = std::make_unique<test::ServerProcess>(
        s.db, std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port),
                                       "--public-url", root});
    REQUIRE(s.server->port() == port);
  }
  int64_t count(const std::string& sql) {
    data::Db db = data::Db::open(s.db);
    data::Statement st(db, sql);
    REQUIRE(st.step());
    return st.int64(0);
  }
};

// Every feature of each layer GDAL finds at OAPIF:<root>/ogc, as the holder of `token`.
std::map<std::string, int64_t> read_with_gdal(const std::string& root, const std::string& token,
                                              const test::TempDir& dir,
                                              const double* bbox = nullptr) {
  std::string headers = dir.file("headers-" + std::to_string(token.size()) + ".txt");
  test::write_file(headers, "Authorization: Bearer " + token + "\n");
  CPLSetConfigOption("GDAL_HTTP_HEADER_FILE", headers.c_str());
  CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "60");
  GDALAllRegister();
  const char* options[] = {"PAGE_SIZE=1000", nullptr};
  GDALDatasetH ds =
      GDALOpenEx(("OAPIF:" + root + "/ogc").c_str(), GDAL_OF_VECTOR, nullptr, options, nullptr);
  INFO(CPLGetLastErrorMsg());
  REQUIRE(ds != nullptr);
  std::map<std::string, int64_t> out;
  for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
    OGRLayerH layer = GDALDatasetGetLayer(ds, i);
    if (bbox) OGR_L_SetSpatialFilterRect(layer, bbox[0], bbox[1], bbox[2], bbox[3]);
    int64_t n = 0;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
      if (bbox) {
        OGREnvelope e;
        OGR_G_GetEnvelope(OGR_F_GetGeometryRef(f), &e);
        CHECK(e.MaxX >= bbox[0]);
        CHECK(e.MinX <= bbox[2]);
      }
      ++n;
      OGR_F_Destroy(f);
    }
    out[OGR_L_GetName(layer)] = n;
  }
  GDALClose(ds);
  CPLSetConfigOption("GDAL_HTTP_HEADER_FILE", nullptr);
  return out;
}

std::string header(const test::HttpResult& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("GDAL's OAPIF driver reads every collection, page by page, and with a bbox") {
  OgcServer o;
  test::TempDir dir;
  auto all = read_with_gdal(o.root, o.s.tokens.at("admin"), dir);
  CHECK(all.size() == 6);
  CHECK(all["subdistricts"] == o.count("SELECT count(*) FROM subdistricts"));
  CHECK(all["communities"] == o.count("SELECT count(*) FROM communities"));
  CHECK(all["grids"] == 41);
  CHECK(all["workers"] == o.count("SELECT count(*) FROM workers"));
  CHECK(all["households"] == 12000);  // twelve pages of 1,000
  CHECK(all["petitions"] == o.count("SELECT count(*) FROM petitions"));
  // A bbox over part of the subdistrict: some grids, not all.
  data::Db db = data::Db::open(o.s.db);
  data::Statement st(db,
                     "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM grids "
                     "WHERE code = '150102001001001'");
  REQUIRE(st.step());
  double box[4] = {st.real(0), st.real(1), st.real(2), st.real(3)};
  auto some = read_with_gdal(o.root, o.s.tokens.at("admin"), dir, box);
  CHECK(some["grids"] >= 1);
  CHECK(some["grids"] < 41);
  // A worker reads their own patch: the households of their grid only.
  auto mine = read_with_gdal(o.root, o.s.tokens.at("worker"), dir);
  CHECK(mine["households"] ==
        o.count("SELECT count(*) FROM households WHERE grid_code = '150102001001001'"));
  CHECK(mine["households"] < 12000);
}

TEST_CASE("the OGC API landing page, conformance, collections and items on the wire") {
  OgcServer o;
  auto landing = test::http(o.port, "GET", "/ogc");  // public
  REQUIRE(landing.status == 200);
  auto l = test::json(landing);
  std::map<std::string, std::string> rels;
  for (const auto& link : l["links"].GetArray())
    rels[link["rel"].GetString()] = link["href"].GetString();
  CHECK(rels["data"] == o.root + "/ogc/collections");
  CHECK(rels["conformance"] == o.root + "/ogc/conformance");
  auto conf = test::json(test::http(o.port, "GET", "/ogc/conformance"));
  std::string classes;
  for (const auto& c : conf["conformsTo"].GetArray()) classes += std::string(c.GetString()) + " ";
  CHECK(classes.find("ogcapi-features-1/1.0/conf/core") != std::string::npos);
  CHECK(classes.find("ogcapi-features-1/1.0/conf/geojson") != std::string::npos);
  // Collections need a signed-in caller, like the layers they are.
  CHECK(test::http(o.port, "GET", "/ogc/collections").status == 401);
  auto items = o.s.get("/ogc/collections/grids/items?limit=10");
  REQUIRE(items.status == 200);
  CHECK(header(items, "content-type") == "application/geo+json");
  auto page = test::json(items);
  CHECK(page["numberReturned"].GetInt() == 10);
  std::string next;
  for (const auto& link : page["links"].GetArray())
    if (std::string(link["rel"].GetString()) == "next") next = link["href"].GetString();
  REQUIRE(next.rfind(o.root + "/ogc/collections/grids/items?limit=10&cursor=", 0) == 0);
  auto second = test::json(o.s.get(next.substr(o.root.size())));
  CHECK(second["numberReturned"].GetInt() == 10);
  CHECK(std::string(second["features"][0]["id"].GetString()) >
        std::string(page["features"][9]["id"].GetString()));
  auto one = o.s.get("/ogc/collections/grids/items/150102001001001");
  CHECK(one.status == 200);
  CHECK(header(one, "content-type") == "application/geo+json");
  CHECK(o.s.get("/ogc/collections/grids/items/nonexistent").status == 404);
  CHECK(o.s.get("/ogc/collections/parcels").status == 404);
  // datetime: the petitions reported in an interval (ends included), open ends allowed.
  auto nth = [&](int k) {
    data::Db db = data::Db::open(o.s.db);
    data::Statement st(
        db,
        "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') FROM petitions "
        "ORDER BY created_at LIMIT 1 OFFSET " +
            std::to_string(k));
    REQUIRE(st.step());
    return st.text(0);
  };
  std::string t1 = nth(200), t2 = nth(700);
  int64_t between = o.count("SELECT count(*) FROM petitions WHERE created_at >= unixepoch('" + t1 +
                            "') AND created_at <= unixepoch('" + t2 + "')");
  REQUIRE(between > 0);
  auto window =
      test::json(o.s.get("/ogc/collections/petitions/items?limit=1000&datetime=" + t1 + "/" + t2));
  CHECK(window["numberReturned"].GetInt64() == between);
  CHECK(o.s.get("/ogc/collections/petitions/items?datetime=../" + t2).status == 200);
  test::check_problem(o.s.get("/ogc/collections/petitions/items?datetime=yesterday"), 400,
                      "invalid_input");
  test::check_problem(o.s.get("/ogc/collections/grids/items?datetime=2025-01-01T00:00:00Z"), 400,
                      "invalid_input");
  test::check_problem(o.s.get("/ogc/collections/grids/items?crs=EPSG:3857"), 400, "invalid_input");
  test::check_problem(o.s.get("/ogc/collections/grids/items?limit=0"), 400, "invalid_input");
  test::check_problem(o.s.get("/ogc/collections/grids/items?colour=red"), 400, "invalid_input");
  // A worker's household outside their grid does not exist for them.
  data::Db db = data::Db::open(o.s.db);
  data::Statement other(db,
                        "SELECT id FROM households WHERE grid_code <> '150102001001001' LIMIT 1");
  REQUIRE(other.step());
  CHECK(o.s.get("/ogc/collections/households/items/" + std::to_string(other.int64(0)), "worker")
            .status == 404);
  CHECK(o.s.get("/ogc/collections/households/items/" + std::to_string(other.int64(0)), "dispatcher")
            .status == 200);
}
