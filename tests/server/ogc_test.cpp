// OGC API - Features under /ogc, read by GDAL's own OAPIF driver (every collection, paging,
// a bbox) as a client that knows only the standard would, and checked on the wire: links,
// conformance, datetime, a worker's patch, bad parameters.
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "core/error.hpp"
#include "data/db.hpp"
#include "data/time.hpp"
#include "geo/crs.hpp"
#include "server/cql2.hpp"
#include "server/http/message.hpp"
#include "support/pg_support.hpp"
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
        s.db,
        s.serve_with({"--listen", "127.0.0.1:" + std::to_string(port), "--public-url", root}));
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

TEST_CASE("GDAL's OAPIF driver reads every collection, page by page, and with a bbox",
          "[engines]") {
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

TEST_CASE("the OGC API landing page, conformance, collections and items on the wire", "[engines]") {
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
    return o.count("SELECT created_at FROM petitions ORDER BY created_at LIMIT 1 OFFSET " +
                   std::to_string(k));
  };
  int64_t at1 = nth(200), at2 = nth(700);
  std::string t1 = data::format_time(at1), t2 = data::format_time(at2);
  int64_t between =
      o.count("SELECT count(*) FROM petitions WHERE created_at >= " + std::to_string(at1) +
              " AND created_at <= " + std::to_string(at2));
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

namespace {

std::string q(const std::string& s) {
  return server::percent_encode(s);
}

std::pair<double, double> first_point(const rapidjson::Value& geometry) {
  const rapidjson::Value* c = &geometry["coordinates"];
  while ((*c)[0].IsArray()) c = &(*c)[0];
  return {(*c)[0].GetDouble(), (*c)[1].GetDouble()};
}

}  // namespace

TEST_CASE(
    "OGC API Part 2: items in CRS84, EPSG:4326/4490 (latitude first), EPSG:3857 and GCJ-02, and a "
    "bbox in any of them",
    "[engines]") {
  OgcServer o;
  const std::string item = "/ogc/collections/grids/items/150102001001001";
  auto plain = o.s.get(item);
  REQUIRE(plain.status == 200);
  CHECK(header(plain, "content-crs") == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
  auto [lon, lat] = first_point(test::json(plain)["geometry"]);
  for (const char* epsg : {"4326", "4490"}) {
    std::string uri = std::string("http://www.opengis.net/def/crs/EPSG/0/") + epsg;
    auto r = o.s.get(item + "?crs=" + q(uri));
    REQUIRE(r.status == 200);
    CHECK(header(r, "content-crs") == "<" + uri + ">");
    auto [a, b] = first_point(test::json(r)["geometry"]);
    CHECK(a == Approx(lat).margin(1e-7));  // latitude first
    CHECK(b == Approx(lon).margin(1e-7));
  }
  auto merc = o.s.get(item + "?crs=" + q("http://www.opengis.net/def/crs/EPSG/0/3857"));
  REQUIRE(merc.status == 200);
  auto [x, y] = first_point(test::json(merc)["geometry"]);
  CHECK(x == Approx(lon * 20037508.342789244 / 180).epsilon(1e-9));
  CHECK(y > 4.9e6);
  auto gcj = o.s.get(item + "?crs=" + q("urn:gridmap:def:crs:GCJ-02"));
  REQUIRE(gcj.status == 200);
  auto [glon, glat] = first_point(test::json(gcj)["geometry"]);
  LonLat shifted = crs::wgs84_to_gcj02({lon, lat});
  CHECK(glon == Approx(shifted.lon).margin(1e-7));
  CHECK(glat == Approx(shifted.lat).margin(1e-7));
  CHECK(std::abs(glon - lon) > 1e-4);  // GCJ-02 is hundreds of metres off
  // The collection lists the CRSs; an unknown one is a 400.
  auto coll = test::json(o.s.get("/ogc/collections/grids"));
  std::string listed;
  for (const auto& c : coll["crs"].GetArray()) listed += std::string(c.GetString()) + " ";
  CHECK(listed.find("EPSG/0/4490") != std::string::npos);
  CHECK(listed.find("urn:gridmap:def:crs:BD-09") != std::string::npos);
  CHECK(std::string(coll["storageCrs"].GetString()) ==
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
  test::check_problem(o.s.get(item + "?crs=" + q("http://www.opengis.net/def/crs/EPSG/0/999999")),
                      400, "invalid_input");
  // One box, written in three CRSs, selects the same grids.
  data::Db db = data::Db::open(o.s.db);
  data::Statement st(db,
                     "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM grids "
                     "WHERE code = '150102001001001'");
  REQUIRE(st.step());
  double x0 = st.real(0), y0 = st.real(1), x1 = st.real(2), y1 = st.real(3);
  auto ids = [&](const std::string& query) {
    auto r = o.s.get("/ogc/collections/grids/items?limit=100&" + query);
    INFO(query << " " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    std::set<std::string> out;
    auto page = test::json(r);  // (a range-for over a temporary's member would outlive it)
    for (const auto& f : page["features"].GetArray()) out.insert(f["id"].GetString());
    return out;
  };
  auto num = [](double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.9f", v);
    return std::string(b);
  };
  auto crs84 = ids("bbox=" + num(x0) + "," + num(y0) + "," + num(x1) + "," + num(y1));
  REQUIRE(crs84.count("150102001001001") == 1);
  CHECK(crs84.size() < 41);
  CHECK(ids("bbox=" + num(y0) + "," + num(x0) + "," + num(y1) + "," + num(x1) +
            "&bbox-crs=" + q("http://www.opengis.net/def/crs/EPSG/0/4326")) == crs84);
  crs::Transformer to_merc(crs::Crs{}, crs::parse("EPSG:3857"));
  LonLat lo = to_merc({x0, y0}), hi = to_merc({x1, y1});
  CHECK(ids("bbox=" + num(lo.lon) + "," + num(lo.lat) + "," + num(hi.lon) + "," + num(hi.lat) +
            "&bbox-crs=" + q("http://www.opengis.net/def/crs/EPSG/0/3857")) == crs84);
  // CRS84 named explicitly works with a bbox too.
  CHECK(ids("bbox=" + num(x0) + "," + num(y0) + "," + num(x1) + "," + num(y1) +
            "&crs=" + q("http://www.opengis.net/def/crs/OGC/1.3/CRS84")) == crs84);
  test::check_problem(o.s.get("/ogc/collections/grids/items?bbox=1,2,3"), 400, "invalid_input");
}

TEST_CASE("OGC API Part 3: queryables, and a CQL2 text filter that selects as the database does",
          "[engines]") {
  OgcServer o;
  auto qs = o.s.get("/ogc/collections/petitions/queryables");
  REQUIRE(qs.status == 200);
  CHECK(header(qs, "content-type") == "application/schema+json");
  auto schema = test::json(qs);
  CHECK(std::string(schema["properties"]["status"]["type"].GetString()) == "string");
  CHECK(std::string(schema["properties"]["created_at"]["format"].GetString()) == "date-time");
  CHECK(std::string(schema["properties"]["reopened"]["type"].GetString()) == "integer");
  CHECK_FALSE(
      schema["properties"].HasMember("reporter_contact"));  // personal data is not a property
  auto conf = test::json(test::http(o.port, "GET", "/ogc/conformance"));
  std::string classes;
  for (const auto& c : conf["conformsTo"].GetArray()) classes += std::string(c.GetString()) + " ";
  CHECK(classes.find("ogcapi-features-3/1.0/conf/filter") != std::string::npos);
  CHECK(classes.find("cql2/1.0/conf/cql2-text") != std::string::npos);
  CHECK(classes.find("ogcapi-features-2/1.0/conf/crs") != std::string::npos);
  // The count of every page of a filtered list, as a worker or the admin.
  auto count = [&](const std::string& filter, const std::string& role = "admin") {
    int64_t n = 0;
    std::string next = "/ogc/collections/petitions/items?limit=1000&filter=" + q(filter);
    while (!next.empty()) {
      auto r = o.s.get(next, role);
      INFO(filter << ": " << r.body.substr(0, 300));
      REQUIRE(r.status == 200);
      auto page = test::json(r);
      n += page["numberReturned"].GetInt64();
      next.clear();
      for (const auto& link : page["links"].GetArray())
        if (std::string(link["rel"].GetString()) == "next")
          next = std::string(link["href"].GetString()).substr(o.root.size());
    }
    return n;
  };
  int64_t total = o.count("SELECT count(*) FROM petitions");
  int64_t closed = o.count("SELECT count(*) FROM petitions WHERE status = 'closed'");
  REQUIRE(closed > 0);
  CHECK(count("status = 'closed'") == closed);
  CHECK(count("NOT (status = 'closed')") == total - closed);
  CHECK(count("status <> 'closed'") == total - closed);
  CHECK(count("status='closed' and category = 'noise'") ==
        o.count("SELECT count(*) FROM petitions WHERE status = 'closed' AND category = 'noise'"));
  CHECK(count("\"category\" = 'noise' OR category = 'no such'") ==
        o.count("SELECT count(*) FROM petitions WHERE category = 'noise'"));
  CHECK(count("created_at >= TIMESTAMP('2026-06-01T00:00:00Z') AND reopened > 0") ==
        o.count("SELECT count(*) FROM petitions WHERE created_at >= " +
                std::to_string(*data::parse_time("2026-06-01T00:00:00Z")) + " AND reopened > 0"));
  CHECK(count("closed_at IS NULL") ==
        o.count("SELECT count(*) FROM petitions WHERE closed_at IS NULL"));
  CHECK(count("supervised = TRUE") ==
        o.count("SELECT count(*) FROM petitions WHERE supervised = 1"));
  // A filter cannot widen a worker's patch.
  CHECK(count("status = 'closed' OR status <> 'closed'", "worker") ==
        count("grid_code = '150102001001001' OR grid_code <> '150102001001001'", "worker"));
  CHECK(count("status = 'closed' OR status <> 'closed'", "worker") < total);
  // Refusals name what is wrong.
  auto bad = [&](const std::string& filter, const std::string& says) {
    auto r = o.s.get("/ogc/collections/petitions/items?filter=" + q(filter));
    INFO(filter << " -> " << r.body);
    test::check_problem(r, 400, "invalid_input");
    CHECK(r.body.find(says) != std::string::npos);
  };
  bad("reporter_contact = '138'", "queryables");
  bad("status = ", "offset");
  bad("status = 'closed", "unclosed");
  bad("(status = 'closed'", "')'");
  bad("created_at > TIMESTAMP('yesterday')", "time");
  bad(std::string(200, '(') + "status = 'x'" + std::string(200, ')'), "nested");
  std::string many = "status = 'x'";
  for (int i = 0; i < 100; ++i) many += " OR status = 'x'";
  bad(many, "conditions");
  test::check_problem(o.s.get("/ogc/collections/petitions/items?filter-lang=cql2-json&filter=x"),
                      400, "invalid_input");
}

TEST_CASE("the CQL2 text parser reads the basic grammar and nothing else") {
  auto c = server::parse_cql2_text("a = 1 AND (b <> 'it''s' OR NOT c IS NOT NULL) and d >= -2.5e3");
  REQUIRE(c.kind == data::Condition::Kind::all);
  REQUIRE(c.children.size() == 3);
  CHECK(c.children[0].property == "a");
  CHECK(std::get<int64_t>(c.children[0].value) == 1);
  const auto& any = c.children[1];
  REQUIRE(any.kind == data::Condition::Kind::any);
  CHECK(std::get<std::string>(any.children[0].value) == "it's");
  CHECK(any.children[1].kind == data::Condition::Kind::negate);
  CHECK(any.children[1].children[0].op == data::CompareOp::is_not_null);
  CHECK(std::get<double>(c.children[2].value) == -2500.0);
  CHECK(c.children[2].op == data::CompareOp::ge);
  CHECK(std::get<bool>(server::parse_cql2_text("\"flag\" = true").value));
  for (const char* broken : {"", "a", "a = ", "= 1", "a == 1", "a = 1 AND", "a = 1)", "1 = a",
                             "a = 'x", "a IS NOTHING", "a = 1 b = 2", "a = TIMESTAMP(1)"}) {
    INFO(broken);
    CHECK_THROWS_AS(server::parse_cql2_text(broken), gridmap::Error);
  }
  CHECK_THROWS_AS(server::parse_cql2_text(std::string(5000, ' ')), gridmap::Error);
}

namespace {

test::HttpResult send(OgcServer& o, const std::string& role, const std::string& method,
                      const std::string& target, const std::string& body,
                      std::map<std::string, std::string> headers = {}) {
  headers["Authorization"] = "Bearer " + o.s.tokens.at(role);
  headers["Content-Type"] = "application/geo+json";
  return test::http(o.port, method, target, body, headers);
}

std::string point(double lon, double lat) {
  char b[120];
  std::snprintf(b, sizeof b, "{\"type\":\"Point\",\"coordinates\":[%.8f,%.8f]}", lon, lat);
  return b;
}

}  // namespace

TEST_CASE(
    "OGC API Part 4: boundaries and households created, replaced, changed and removed, each "
    "against the version it was made on",
    "[engines]") {
  OgcServer o;
  const std::string grids = "/ogc/collections/grids/items";
  // A new grid, its corners sent in GCJ-02 (as a Chinese phone map gives them).
  LonLat corner = crs::wgs84_to_gcj02({111.60, 40.60});
  std::string feature =
      "{\"type\":\"Feature\",\"geometry\":" + test::square_polygon(corner.lon, corner.lat, 0.002) +
      ",\"properties\":{\"code\":\"150102001001099\",\"name\":\"试验网格\","
      "\"community_code\":\"150102001001\"}}";
  auto created =
      send(o, "admin", "POST", grids, feature, {{"Content-Crs", "<urn:gridmap:def:crs:GCJ-02>"}});
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(header(created, "location") == o.root + grids + "/150102001001099");
  CHECK(header(created, "etag") == "\"v1\"");
  auto stored = test::json(o.s.get(grids + "/150102001001099"));
  auto [lon, lat] = first_point(stored["geometry"]);
  CHECK(std::abs(lon - 111.60) + std::abs(lat - 40.60) < 1e-6);   // back in WGS84
  CHECK(send(o, "admin", "POST", grids, feature).status == 409);  // the code exists
  // Changes need the version they were made on.
  std::string rename = "{\"type\":\"Feature\",\"properties\":{\"name\":\"改名网格\"}}";
  CHECK(send(o, "admin", "PATCH", grids + "/150102001001099", rename).status == 428);
  auto patched =
      send(o, "admin", "PATCH", grids + "/150102001001099", rename, {{"If-Match", "\"v1\""}});
  REQUIRE(patched.status == 200);
  CHECK(std::string(test::json(patched)["properties"]["name"].GetString()) == "改名网格");
  CHECK(header(patched, "etag") == "\"v2\"");
  CHECK(send(o, "admin", "PATCH", grids + "/150102001001099", rename, {{"If-Match", "\"v1\""}})
            .status == 412);
  // A replacement gives everything.
  CHECK(send(o, "admin", "PUT", grids + "/150102001001099",
             "{\"type\":\"Feature\",\"geometry\":" + test::square_polygon(111.6, 40.6, 0.003) +
                 ",\"properties\":{}}",
             {{"If-Match", "\"v2\""}})
            .status == 400);
  auto replaced =
      send(o, "admin", "PUT", grids + "/150102001001099",
           "{\"type\":\"Feature\",\"geometry\":" + test::square_polygon(111.6, 40.6, 0.003) +
               ",\"properties\":{\"name\":\"试验网格\",\"community_code\":\"150102001001\"}}",
           {{"If-Match", "\"v2\""}});
  INFO(replaced.body);
  CHECK(replaced.status == 200);
  // Boundaries are an admin's; a grid that holds households is not removed.
  CHECK(send(o, "worker", "POST", grids, feature).status == 403);
  CHECK(send(o, "dispatcher", "POST", grids, feature).status == 403);
  auto busy = send(o, "admin", "DELETE", grids + "/150102001001001", "", {{"If-Match", "\"v1\""}});
  test::check_problem(busy, 409, "conflict");
  CHECK(busy.body.find("households") != std::string::npos);
  CHECK(send(o, "admin", "DELETE", grids + "/150102001001099", "").status == 428);
  CHECK(
      send(o, "admin", "DELETE", grids + "/150102001001099", "", {{"If-Match", "\"v2\""}}).status ==
      412);
  CHECK(
      send(o, "admin", "DELETE", grids + "/150102001001099", "", {{"If-Match", "\"v3\""}}).status ==
      204);
  CHECK(o.s.get(grids + "/150102001001099").status == 404);
  // Read-only collections say so.
  auto ro = send(o, "admin", "POST", "/ogc/collections/workers/items", "{}");
  CHECK(ro.status == 405);
  CHECK(header(ro, "allow") == "GET, HEAD");

  // Households: a worker adds one in their grid, not elsewhere, and cannot move it out.
  const std::string households = "/ogc/collections/households/items";
  auto [hlon, hlat] = o.s.point_in(test::RoleServer::kFirstGrid);
  auto [olon, olat] = o.s.point_in("150102001009001");
  auto mine = send(o, "worker", "POST", households,
                   "{\"type\":\"Feature\",\"geometry\":" + point(hlon + 1e-5, hlat) +
                       ",\"properties\":{\"address\":\"3号楼2单元501\"}}");
  INFO(mine.body);
  REQUIRE(mine.status == 201);
  std::string id = test::json(mine)["id"].IsString()
                       ? test::json(mine)["id"].GetString()
                       : std::to_string(test::json(mine)["id"].GetInt64());
  CHECK(std::string(test::json(mine)["properties"]["grid_code"].GetString()) ==
        test::RoleServer::kFirstGrid);
  CHECK(send(o, "worker", "POST", households,
             "{\"type\":\"Feature\",\"geometry\":" + point(olon, olat) + ",\"properties\":{}}")
            .status == 403);
  CHECK(send(o, "worker", "PATCH", households + "/" + id,
             "{\"type\":\"Feature\",\"geometry\":" + point(olon, olat) + "}",
             {{"If-Match", "\"v1\""}})
            .status == 403);
  // The admin moves it to the other grid: its grid follows the point.
  auto moved = send(o, "admin", "PATCH", households + "/" + id,
                    "{\"type\":\"Feature\",\"geometry\":" + point(olon, olat) + "}",
                    {{"If-Match", "\"v1\""}});
  INFO(moved.body);
  REQUIRE(moved.status == 200);
  CHECK(std::string(test::json(moved)["properties"]["grid_code"].GetString()) == "150102001009001");
  CHECK(o.s.get(households + "/" + id, "worker").status == 404);  // out of the worker's patch now
  // A household someone lives in is not removed; an empty one is.
  data::Db db = data::Db::open(o.s.db);
  data::Statement lived(db, "SELECT household_id FROM residents LIMIT 1");
  REQUIRE(lived.step());
  std::string occupied = std::to_string(lived.int64(0));
  auto v = header(o.s.get(households + "/" + occupied), "etag");
  test::check_problem(
      send(o, "admin", "DELETE", households + "/" + occupied, "", {{"If-Match", v}}), 409,
      "conflict");
  CHECK(send(o, "admin", "DELETE", households + "/" + id, "", {{"If-Match", "\"v2\""}}).status ==
        204);
  CHECK(o.s.get(households + "/" + id).status == 404);
  CHECK(send(o, "worker", "DELETE", households + "/" + occupied, "", {{"If-Match", v}}).status ==
        403);
}
