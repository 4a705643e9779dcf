#include "data/import.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <memory>

#include "data/catalogue.hpp"
#include "data/time.hpp"
#include "data/areas.hpp"
#include "data/households.hpp"
#include "data/petitions.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

// ---- fixtures: GeoJSON text, and any format through the GDAL C API -------------------

std::string num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string ring_json(const std::vector<LonLat>& pts) {
  std::string s = "[";
  for (const LonLat& p : pts)
    s += (s.size() > 1 ? "," : "") + ("[" + num(p.lon) + "," + num(p.lat) + "]");
  return s + "]";
}

std::vector<LonLat> square_ring(double x, double y, double size) {
  return {{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}, {x, y}};
}

std::string polygon_json(const std::vector<LonLat>& ring) {
  return R"({"type":"Polygon","coordinates":[)" + ring_json(ring) + "]}";
}

std::string point_json(LonLat p) {
  return R"({"type":"Point","coordinates":[)" + num(p.lon) + "," + num(p.lat) + "]}";
}

std::string feature(const std::string& props, const std::string& geometry) {
  return R"({"type":"Feature","properties":{)" + props + R"(},"geometry":)" + geometry + "}";
}

std::string collection(const std::vector<std::string>& features, const std::string& crs = "") {
  std::string s = R"({"type":"FeatureCollection",)" + crs + R"("features":[)";
  for (size_t i = 0; i < features.size(); ++i) s += (i ? "," : "") + features[i];
  return s + "]}";
}

std::string area_props(const std::string& code, const std::string& name,
                       const std::string& parent = "") {
  std::string s = R"("code":")" + code + R"(","name":")" + name + "\"";
  if (!parent.empty()) s += R"(,"parent":")" + parent + "\"";
  return s;
}

struct Field {
  std::string name;
  OGRFieldType type = OFTString;
};

struct Row {
  std::vector<std::string> values;  // "" leaves the field unset
  std::string wkt;                  // "" for no geometry
};

struct GdalLayer {
  std::string name;
  std::vector<Field> fields;
  std::vector<Row> rows;
  OGRwkbGeometryType type = wkbUnknown;
  int epsg = 4326;                        // 0: no spatial reference
  std::vector<std::string> options = {};  // layer creation options
};

using DatasetPtr = std::unique_ptr<void, void (*)(void*)>;

DatasetPtr create(const std::string& driver, const std::string& path) {
  GDALAllRegister();
  GDALDriverH drv = GDALGetDriverByName(driver.c_str());
  REQUIRE(drv != nullptr);
  DatasetPtr ds(GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr),
                [](void* p) { GDALClose(p); });
  REQUIRE(ds != nullptr);
  return ds;
}

void add_row(OGRLayerH layer, const Row& row) {
  OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
  REQUIRE(f != nullptr);
  for (size_t i = 0; i < row.values.size(); ++i)
    if (!row.values[i].empty()) OGR_F_SetFieldString(f, static_cast<int>(i), row.values[i].c_str());
  if (!row.wkt.empty()) {
    char* wkt = const_cast<char*>(row.wkt.c_str());
    OGRGeometryH g = nullptr;
    REQUIRE(OGR_G_CreateFromWkt(&wkt, nullptr, &g) == OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, g);
  }
  OGRErr err = OGR_L_CreateFeature(layer, f);
  OGR_F_Destroy(f);
  REQUIRE(err == OGRERR_NONE);
}

void add_layer(void* ds, const GdalLayer& spec) {
  OGRSpatialReferenceH srs = nullptr;
  if (spec.epsg) {
    srs = OSRNewSpatialReference(nullptr);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    REQUIRE(OSRImportFromEPSG(srs, spec.epsg) == OGRERR_NONE);
  }
  std::vector<char*> options;
  for (const std::string& o : spec.options) options.push_back(const_cast<char*>(o.c_str()));
  options.push_back(nullptr);
  OGRLayerH layer = GDALDatasetCreateLayer(ds, spec.name.c_str(), srs, spec.type, options.data());
  if (srs) OSRRelease(srs);
  REQUIRE(layer != nullptr);
  for (const Field& fd : spec.fields) {
    OGRFieldDefnH h = OGR_Fld_Create(fd.name.c_str(), fd.type);
    OGRErr err = OGR_L_CreateField(layer, h, TRUE);
    OGR_Fld_Destroy(h);
    REQUIRE(err == OGRERR_NONE);
  }
  for (const Row& r : spec.rows) add_row(layer, r);
}

void write_with_gdal(const std::string& driver, const std::string& path,
                     const std::vector<GdalLayer>& layers) {
  DatasetPtr ds = create(driver, path);
  for (const GdalLayer& l : layers) add_layer(ds.get(), l);
}

std::string square_wkt(double x, double y, double size) {
  geos::GeomPtr p = geos::polygon({square_ring(x, y, size)});
  return geos::to_wkt(p.get(), 15);
}

// ---- the database under test ----------------------------------------------------------

struct Store {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("gridmap.db"));

  data::ImportReport import(data::Layer layer, const std::string& file,
                            data::ImportOptions o = {}) {
    o.layer = layer;
    o.file = file;
    return data::import_layer(db, o);
  }
  std::string write(const std::string& name, const std::string& content) {
    test::write_file(dir.file(name), content);
    return dir.file(name);
  }
  std::optional<data::Area> area(data::Layer l, const std::string& code) {
    return data::AreaRepo(db, l).get(code);
  }
  int64_t count(data::Layer l) { return data::AreaRepo(db, l).count(); }

  // Two subdistricts side by side, three communities, each community two grids.
  void city() {
    std::vector<std::string> subs{
        feature(area_props("S1", "一街道"), polygon_json(square_ring(111.70, 40.80, 0.04))),
        feature(area_props("S2", "二街道"), polygon_json(square_ring(111.74, 40.80, 0.04)))};
    REQUIRE(import(data::Layer::subdistricts, write("subs.geojson", collection(subs))).committed);
    std::vector<std::string> comms{
        feature(area_props("C1", "一社区", "S1"), polygon_json(square_ring(111.70, 40.80, 0.02))),
        feature(area_props("C2", "二社区", "S1"), polygon_json(square_ring(111.72, 40.80, 0.02))),
        feature(area_props("C3", "三社区", "S2"), polygon_json(square_ring(111.74, 40.80, 0.02)))};
    REQUIRE(import(data::Layer::communities, write("comms.geojson", collection(comms))).committed);
    std::vector<std::string> grids;
    for (int i = 0; i < 6; ++i) {
      std::string c = "C" + std::to_string(i / 2 + 1);
      grids.push_back(feature(area_props(c + "G" + std::to_string(i % 2 + 1), "网格", c),
                              polygon_json(square_ring(111.70 + 0.01 * i, 40.80, 0.01))));
    }
    REQUIRE(import(data::Layer::grids, write("grids.geojson", collection(grids))).committed);
  }
};

double area_of(const std::string& wkb) {
  geos::GeomPtr g = geos::from_wkb(wkb);
  double a = 0;
  REQUIRE(GEOSArea_r(geos::ctx(), g.get(), &a) == 1);
  return a;
}

bool same_shape(const std::string& wkb, const std::string& wkt) {
  geos::GeomPtr a = geos::from_wkb(wkb), b = geos::from_wkt(wkt);
  geos::GeomPtr d = geos::own(GEOSSymDifference_r(geos::ctx(), a.get(), b.get()), "difference");
  double area = 1;
  GEOSArea_r(geos::ctx(), d.get(), &area);
  return area < 1e-14;
}

const data::ImportIssue* issue_of(const data::ImportReport& r, const std::string& code) {
  for (const data::ImportIssue& i : r.issues)
    if (i.code == code) return &i;
  return nullptr;
}

}  // namespace

// ---- formats ----------------------------------------------------------------------------

TEST_CASE("a GeoJSON grid layer is imported with codes, names and geometry") {
  Store s;
  std::string file = s.write("grids.geojson",
                             collection({feature(area_props("G1", "光明社区第一网格"),
                                                 polygon_json(square_ring(111.7, 40.8, 0.01))),
                                         feature(R"("code":150102001001002,"name":"二")",
                                                 polygon_json(square_ring(111.71, 40.8, 0.01)))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.read == 2);
  CHECK(r.imported == 2);
  CHECK(r.issues.empty());
  std::optional<data::Area> g1 = s.area(data::Layer::grids, "G1");
  REQUIRE(g1);
  CHECK(g1->name == "光明社区第一网格");
  CHECK_FALSE(g1->parent);  // a flat layer of grids is allowed
  CHECK(same_shape(g1->wkb, square_wkt(111.7, 40.8, 0.01)));
  CHECK(geos::type_id(geos::from_wkb(g1->wkb).get()) == GEOS_MULTIPOLYGON);
  // An integer code comes back as its digits, without ".0".
  CHECK(s.area(data::Layer::grids, "150102001001002"));
}

TEST_CASE("a Shapefile with integer codes and a parent field is imported") {
  Store s;
  s.city();
  std::string file = s.dir.file("grids.shp");
  write_with_gdal("ESRI Shapefile", file,
                  {{"grids",
                    {{"grid_code", OFTInteger64}, {"name"}, {"community_"}},
                    {{{"150102001001001", "一网格", "C1"}, square_wkt(111.70, 40.80, 0.01)},
                     {{"150102001001002", "二网格", "C1"}, square_wkt(111.71, 40.80, 0.01)}},
                    wkbPolygon,
                    4326,
                    {"ENCODING=UTF-8"}}});
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  std::optional<data::Area> g = s.area(data::Layer::grids, "150102001001002");
  REQUIRE(g);
  CHECK(g->name == "二网格");
  CHECK(g->parent == "C1");
  CHECK(same_shape(g->wkb, square_wkt(111.71, 40.80, 0.01)));
}

TEST_CASE("a GBK Shapefile without a .cpg gives correct Chinese names with the encoding given") {
  Store s;
  std::string file = s.dir.file("gbk.shp");
  write_with_gdal("ESRI Shapefile", file,
                  {{"gbk",
                    {{"code"}, {"name"}},
                    {{{"150102001001001", "光明社区第一网格"}, square_wkt(111.70, 40.80, 0.01)},
                     {{"150102001001002", "光明社区第二网格"}, square_wkt(111.71, 40.80, 0.01)}},
                    wkbPolygon,
                    4326,
                    {"ENCODING=GBK"}}});
  REQUIRE(std::filesystem::remove(s.dir.file("gbk.cpg")));
  // Without the encoding the names are not UTF-8: refused, with the way out named.
  CHECK_THROWS_WITH(s.import(data::Layer::grids, file), Catch::Contains("--encoding"));
  CHECK(s.count(data::Layer::grids) == 0);
  data::ImportOptions o;
  o.encoding = "GBK";
  data::ImportReport r = s.import(data::Layer::grids, file, o);
  CHECK(r.committed);
  CHECK(s.area(data::Layer::grids, "150102001001001")->name == "光明社区第一网格");
  CHECK(s.area(data::Layer::grids, "150102001001002")->name == "光明社区第二网格");
}

TEST_CASE("a GBK CSV is read with the encoding given") {
  Store s;
  std::string utf8 =
      "code,name,wkt\nG1,光明社区第一网格,\"" + square_wkt(111.70, 40.80, 0.01) + "\"\n";
  std::unique_ptr<char, void (*)(void*)> gbk(CPLRecode(utf8.c_str(), CPL_ENC_UTF8, "GBK"), VSIFree);
  REQUIRE(gbk);
  std::string file = s.write("gbk.csv", gbk.get());
  CHECK_THROWS_WITH(s.import(data::Layer::grids, file), Catch::Contains("--encoding"));
  data::ImportOptions o;
  o.encoding = "GBK";
  REQUIRE(s.import(data::Layer::grids, file, o).committed);
  CHECK(s.area(data::Layer::grids, "G1")->name == "光明社区第一网格");
}

TEST_CASE("a layer is picked by name from a multi-layer GeoPackage") {
  Store s;
  std::string file = s.dir.file("city.gpkg");
  write_with_gdal("GPKG", file,
                  {{"roads", {{"code"}}, {}, wkbLineString},
                   {"grids",
                    {{"code"}, {"名称"}},
                    {{{"G1", "一网格"}, square_wkt(111.70, 40.80, 0.01)},
                     {{"G2", "二网格"}, square_wkt(111.71, 40.80, 0.01)}},
                    wkbPolygon}});
  data::ImportOptions o;
  o.source_layer = "grids";
  data::ImportReport r = s.import(data::Layer::grids, file, o);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  CHECK(s.area(data::Layer::grids, "G2")->name == "二网格");
  o.source_layer = "rivers";
  CHECK_THROWS_WITH(s.import(data::Layer::grids, file, o),
                    Catch::Contains("no layer 'rivers'") && Catch::Contains("grids"));
}

TEST_CASE("a KML layer is imported with its names and extended data") {
  Store s;
  std::string file = s.dir.file("grids.kml");
  write_with_gdal("LIBKML", file,
                  {{"grids",
                    {{"name"}, {"code"}},
                    {{{"一网格", "G1"}, square_wkt(111.70, 40.80, 0.01)},
                     {{"二网格", "G2"}, square_wkt(111.71, 40.80, 0.01)}},
                    wkbPolygon}});
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  std::optional<data::Area> g = s.area(data::Layer::grids, "G1");
  REQUIRE(g);
  CHECK(g->name == "一网格");
  CHECK(same_shape(g->wkb, square_wkt(111.70, 40.80, 0.01)));
}

TEST_CASE("a CSV of households with lon/lat columns is imported and stamped with grids") {
  Store s;
  s.city();
  std::string file = s.write("households.csv",
                             "id,address,Longitude,LAT\n"
                             "1,光明路1号,111.705,40.805\n"
                             "2,\"光明路2号, 后院\",111.745,40.805\n"
                             "3,城外,112.5,41.5\n");
  data::ImportReport r = s.import(data::Layer::households, file);
  CHECK(r.committed);
  CHECK(r.imported == 3);
  data::HouseholdRepo repo(s.db);
  CHECK(repo.get(1)->grid_code == "C1G1");
  CHECK(repo.get(1)->subdistrict_code == "S1");
  CHECK(repo.get(2)->address == "光明路2号, 后院");
  CHECK(repo.get(2)->grid_code == "C3G1");
  CHECK(repo.get(2)->community_code == "C3");
  CHECK_FALSE(repo.get(3)->grid_code);
  CHECK(repo.get(3)->position.lon == 112.5);
}

TEST_CASE("an XLSX sheet of households with lon/lat columns is imported") {
  Store s;
  s.city();
  std::string file = s.dir.file("households.xlsx");
  write_with_gdal("XLSX", file,
                  {{"households",
                    {{"id", OFTInteger}, {"address"}, {"lng", OFTReal}, {"lat", OFTReal}},
                    {{{"7", "光明路7号", "111.715", "40.805"}, ""},
                     {{"8", "光明路8号", "111.755", "40.801"}, ""}},
                    wkbNone,
                    0}});
  data::ImportReport r = s.import(data::Layer::households, file);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  data::HouseholdRepo repo(s.db);
  REQUIRE(repo.get(7));
  CHECK(repo.get(7)->address == "光明路7号");
  CHECK(repo.get(7)->grid_code == "C1G2");
  CHECK(repo.get(8)->position.lat == Approx(40.801).margin(1e-12));
}

TEST_CASE("an XLSX sheet of text only keeps its header and its WKT boundaries") {
  Store s;
  std::string file = s.dir.file("grids.xlsx");
  write_with_gdal("XLSX", file,
                  {{"grids",
                    {{"code"}, {"name"}, {"WKT"}},
                    {{{"G1", "一网格", square_wkt(111.70, 40.80, 0.01)}, ""},
                     {{"G2", "二网格", square_wkt(111.71, 40.80, 0.01)}, ""}},
                    wkbNone,
                    0}});
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  REQUIRE(s.area(data::Layer::grids, "G2"));
  CHECK(same_shape(s.area(data::Layer::grids, "G2")->wkb, square_wkt(111.71, 40.80, 0.01)));
}

TEST_CASE("a CSV of areas with a WKT column is imported") {
  Store s;
  std::string file =
      s.write("grids.csv", "code,name,wkt\nG1,一网格,\"" + square_wkt(111.70, 40.80, 0.01) +
                               "\"\nG2,二网格,\"" + square_wkt(111.71, 40.80, 0.01) + "\"\n");
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.imported == 2);
  CHECK(same_shape(s.area(data::Layer::grids, "G1")->wkb, square_wkt(111.70, 40.80, 0.01)));
}

// ---- messy data -------------------------------------------------------------------------

TEST_CASE("a self-intersecting boundary is repaired and reported") {
  Store s;
  std::vector<LonLat> bowtie{
      {111.70, 40.80}, {111.71, 40.81}, {111.71, 40.80}, {111.70, 40.81}, {111.70, 40.80}};
  std::string file = s.write("bowtie.geojson",
                             collection({feature(area_props("G1", "蝴蝶"), polygon_json(bowtie))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  CHECK(r.imported == 1);
  CHECK(r.repaired == 1);
  REQUIRE(r.issues.size() == 1);
  CHECK_FALSE(r.issues[0].rejected);
  CHECK(r.issues[0].code == "G1");
  CHECK(r.issues[0].feature == 1);
  CHECK_THAT(r.issues[0].message, Catch::Contains("repaired: Self-intersection"));
  std::optional<data::Area> g = s.area(data::Layer::grids, "G1");
  REQUIRE(g);
  geos::GeomPtr geom = geos::from_wkb(g->wkb);
  CHECK(geos::invalid_reason(geom.get()).empty());
  CHECK(area_of(g->wkb) == Approx(0.5 * 0.01 * 0.01).epsilon(1e-9));  // the two triangles
}

TEST_CASE("duplicate vertices are removed and reported") {
  Store s;
  std::vector<LonLat> ring{{111.70, 40.80}, {111.71, 40.80}, {111.71, 40.80},
                           {111.71, 40.81}, {111.70, 40.81}, {111.70, 40.80}};
  std::string file =
      s.write("dup.geojson", collection({feature(area_props("G1", "一"), polygon_json(ring))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.committed);
  REQUIRE(r.issues.size() == 1);
  CHECK_THAT(r.issues[0].message, Catch::Contains("removed 1 duplicate vertices"));
  CHECK(geos::num_coordinates(geos::from_wkb(s.area(data::Layer::grids, "G1")->wkb).get()) == 5);
}

TEST_CASE("a ring of three points is rejected with its code and nothing is stored") {
  Store s;
  std::vector<LonLat> sliver{{111.72, 40.80}, {111.73, 40.81}, {111.72, 40.80}};
  std::string file = s.write(
      "bad.geojson",
      collection(
          {feature(area_props("G1", "一"), polygon_json(square_ring(111.70, 40.80, 0.01))),
           feature(area_props("G2", "坏"), polygon_json(sliver)),
           feature(area_props("G3", "三"), polygon_json(square_ring(111.73, 40.80, 0.01)))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK_FALSE(r.committed);
  CHECK(r.read == 3);
  CHECK(r.rejected == 1);
  CHECK(r.imported == 0);
  const data::ImportIssue* i = issue_of(r, "G2");
  REQUIRE(i != nullptr);
  CHECK(i->rejected);
  CHECK(i->feature == 2);
  CHECK_THAT(i->message, Catch::Contains("3 points"));
  CHECK(s.count(data::Layer::grids) == 0);  // all or nothing

  SECTION("with skip_invalid the rest is stored") {
    data::ImportOptions o;
    o.skip_invalid = true;
    data::ImportReport r2 = s.import(data::Layer::grids, file, o);
    CHECK(r2.committed);
    CHECK(r2.imported == 2);
    CHECK(r2.rejected == 1);
    CHECK(s.count(data::Layer::grids) == 2);
    CHECK_FALSE(s.area(data::Layer::grids, "G2"));
  }
}

TEST_CASE("a district's degenerate MultiPolygon parts are dropped and reported, the district kept") {
  Store s;
  // A real boundary's outer ring of 157 points, and two 3-point slivers beside it (as public
  // district sets have them).
  std::vector<LonLat> outer;
  for (int i = 0; i < 156; ++i) {
    double a = 2 * M_PI * i / 156;
    outer.push_back({111.75 + 0.02 * std::cos(a), 40.80 + 0.015 * std::sin(a)});
  }
  outer.push_back(outer.front());
  std::string multi = R"({"type":"MultiPolygon","coordinates":[[)" + ring_json(outer) + "],[" +
                      ring_json({{111.80, 40.80}, {111.801, 40.801}, {111.80, 40.80}}) + "],[" +
                      ring_json({{111.81, 40.80}, {111.811, 40.80}, {111.81, 40.80}}) + "]]}";
  std::string file = s.write("district.geojson", collection({feature(area_props("S1", "区"), multi)}));
  data::ImportReport r = s.import(data::Layer::subdistricts, file);
  CHECK(r.committed);
  CHECK(r.imported == 1);
  CHECK(r.rejected == 0);
  const data::ImportIssue* i = issue_of(r, "S1");
  REQUIRE(i != nullptr);
  CHECK_FALSE(i->rejected);
  CHECK_THAT(i->message, Catch::Contains("dropped 2 degenerate part(s)"));
  std::optional<data::Area> a = s.area(data::Layer::subdistricts, "S1");
  REQUIRE(a);
  CHECK(geos::num_coordinates(geos::from_wkb(a->wkb).get()) == 157);
  // A polygon whose only outer ring is degenerate is still refused.
  std::string bad = s.write("bad.geojson", collection({feature(area_props("S2", "坏"),
      R"({"type":"MultiPolygon","coordinates":[[)" + ring_json({{111.80, 40.80}, {111.801, 40.801}, {111.80, 40.80}}) +
      "]]}")}));
  data::ImportReport r2 = s.import(data::Layer::subdistricts, bad);
  CHECK_FALSE(r2.committed);
  CHECK(r2.rejected == 1);
}

TEST_CASE("a polygon of zero area is rejected with its reason") {
  Store s;
  std::vector<LonLat> flat{{111.70, 40.80}, {111.71, 40.80}, {111.72, 40.80}, {111.70, 40.80}};
  std::string file =
      s.write("flat.geojson", collection({feature(area_props("G9", "扁"), polygon_json(flat))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK_FALSE(r.committed);
  REQUIRE(issue_of(r, "G9"));
  CHECK(issue_of(r, "G9")->rejected);
  CHECK_THAT(issue_of(r, "G9")->message, Catch::Contains("zero area"));
}

TEST_CASE("missing codes, missing geometry and duplicate codes are rejected, never dropped") {
  Store s;
  std::string file = s.write(
      "messy.geojson",
      collection({feature(area_props("G1", "一"), polygon_json(square_ring(111.70, 40.80, 0.01))),
                  feature(R"("name":"无编码")", polygon_json(square_ring(111.71, 40.80, 0.01))),
                  feature(area_props("G3", "无形"), "null"),
                  feature(area_props("G1", "重复"), polygon_json(square_ring(111.72, 40.80, 0.01))),
                  feature(area_props("G5", "线"),
                          R"({"type":"LineString","coordinates":[[111.7,40.8],[111.8,40.9]]})")}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK(r.read == 5);
  CHECK(r.rejected == 4);
  REQUIRE(r.issues.size() == 4);
  CHECK(r.issues[0].feature == 2);
  CHECK_THAT(r.issues[0].message, Catch::Contains("missing code"));
  CHECK(r.issues[1].code == "G3");
  CHECK_THAT(r.issues[1].message, Catch::Contains("missing geometry"));
  CHECK(r.issues[2].code == "G1");
  CHECK_THAT(r.issues[2].message, Catch::Contains("duplicate code G1"));
  CHECK_THAT(r.issues[3].message, Catch::Contains("expected a polygon"));
}

TEST_CASE("a parent code that is not in the database is rejected") {
  Store s;
  s.city();
  std::string file =
      s.write("g.geojson", collection({feature(area_props("X1", "外", "C9"),
                                               polygon_json(square_ring(111.70, 40.80, 0.01)))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK_FALSE(r.committed);
  REQUIRE(issue_of(r, "X1"));
  CHECK_THAT(issue_of(r, "X1")->message, Catch::Contains("parent C9"));
}

// ---- linking, updating, CRS ---------------------------------------------------------------

TEST_CASE("re-importing the same codes updates them") {
  Store s;
  std::string first =
      s.write("a.geojson", collection({feature(area_props("G1", "旧名"),
                                               polygon_json(square_ring(111.70, 40.80, 0.01)))}));
  std::string second =
      s.write("b.geojson", collection({feature(area_props("G1", "新名"),
                                               polygon_json(square_ring(111.80, 40.80, 0.02)))}));
  REQUIRE(s.import(data::Layer::grids, first).committed);
  REQUIRE(s.import(data::Layer::grids, second).committed);
  CHECK(s.count(data::Layer::grids) == 1);
  CHECK(s.area(data::Layer::grids, "G1")->name == "新名");
  CHECK(same_shape(s.area(data::Layer::grids, "G1")->wkb, square_wkt(111.80, 40.80, 0.02)));
}

TEST_CASE("a community without a parent field is linked to the subdistrict containing it") {
  Store s;
  s.city();
  std::string file = s.write(
      "c.geojson",
      collection({feature(area_props("C7", "东"), polygon_json(square_ring(111.75, 40.81, 0.01))),
                  feature(area_props("C8", "西"), polygon_json(square_ring(111.71, 40.81, 0.01))),
                  feature(area_props("C9", "外"), polygon_json(square_ring(112.5, 41.5, 0.01)))}));
  REQUIRE(s.import(data::Layer::communities, file).committed);
  CHECK(s.area(data::Layer::communities, "C7")->parent == "S2");
  CHECK(s.area(data::Layer::communities, "C8")->parent == "S1");
  CHECK_FALSE(s.area(data::Layer::communities, "C9")->parent);
}

TEST_CASE("a grid without a parent is linked to the community containing it") {
  Store s;
  s.city();
  std::string file = s.write(
      "g.geojson", collection({feature(area_props("N1", "新"),
                                       polygon_json(square_ring(111.741, 40.801, 0.005)))}));
  REQUIRE(s.import(data::Layer::grids, file).committed);
  CHECK(s.area(data::Layer::grids, "N1")->parent == "C3");
}

TEST_CASE("import with crs gcj02 shifts points back to WGS84") {
  Store s;
  s.city();
  LonLat wgs{111.7051, 40.8052};
  LonLat gcj = crs::wgs84_to_gcj02(wgs);
  std::string file =
      s.write("h.geojson", collection({feature(R"("id":5,"address":"高德")", point_json(gcj))}));
  data::ImportOptions o;
  o.crs = crs::parse("gcj02");
  REQUIRE(s.import(data::Layer::households, file, o).committed);
  data::Household h = *data::HouseholdRepo(s.db).get(5);
  LonLat expected = crs::gcj02_to_wgs84(gcj);
  CHECK(h.position.lon == Approx(expected.lon).margin(1e-12));
  CHECK(h.position.lat == Approx(expected.lat).margin(1e-12));
  CHECK(h.position.lon == Approx(wgs.lon).margin(1e-7));
  CHECK(h.grid_code == "C1G1");
}

TEST_CASE("a projected CRS in the file is identified and converted") {
  Store s;
  crs::Transformer to_merc(crs::Crs{}, crs::parse("EPSG:3857"));
  std::vector<LonLat> ring;
  for (LonLat p : square_ring(111.70, 40.80, 0.01)) ring.push_back(to_merc(p));
  std::string file = s.write(
      "merc.geojson",
      collection({feature(area_props("G1", "一"), polygon_json(ring))},
                 R"("crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},)"));
  REQUIRE(s.import(data::Layer::grids, file).committed);
  geos::GeomPtr g = geos::from_wkb(s.area(data::Layer::grids, "G1")->wkb);
  Box b = geos::envelope(g.get());
  CHECK(b.min_lon == Approx(111.70).margin(1e-9));
  CHECK(b.max_lat == Approx(40.81).margin(1e-9));
}

TEST_CASE("a CRS that cannot be identified asks for --crs") {
  Store s;
  std::string file = s.dir.file("odd.shp");
  write_with_gdal("ESRI Shapefile", file,
                  {{"odd", {{"code"}}, {{{"G1"}, square_wkt(1000, 2000, 500)}}, wkbPolygon, 0}});
  test::write_file(
      s.dir.file("odd.prj"),
      R"(PROJCS["odd",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],)"
      R"(PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],)"
      R"(PARAMETER["False_Easting",123.0],PARAMETER["False_Northing",456.0],PARAMETER["Central_Meridian",111.3],)"
      R"(PARAMETER["Standard_Parallel_1",39.1],PARAMETER["Standard_Parallel_2",41.7],)"
      R"(PARAMETER["Latitude_Of_Origin",40.2],UNIT["Meter",1.0]])");
  try {
    s.import(data::Layer::grids, file);
    FAIL("imported a layer in an unknown CRS");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("--crs"));
  }
}

TEST_CASE("coordinates that are not longitude/latitude are rejected with the reason") {
  Store s;
  std::string file =
      s.write("m.geojson", collection({feature(area_props("G1", "米"),
                                               polygon_json(square_ring(500000, 4500000, 100)))}));
  data::ImportReport r = s.import(data::Layer::grids, file);
  CHECK_FALSE(r.committed);
  REQUIRE(issue_of(r, "G1"));
  CHECK_THAT(issue_of(r, "G1")->message, Catch::Contains("not a longitude/latitude"));
}

// ---- fields -------------------------------------------------------------------------------

TEST_CASE("an explicitly named field that does not exist is refused with the fields listed") {
  Store s;
  std::string file = s.write(
      "g.geojson",
      collection({feature(area_props("G1", "一"), polygon_json(square_ring(111.7, 40.8, 0.01)))}));
  data::ImportOptions o;
  o.code_field = "wgbm";
  try {
    s.import(data::Layer::grids, file, o);
    FAIL("accepted a field that does not exist");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("'wgbm'") && Catch::Contains("code, name"));
  }
}

TEST_CASE("fields may be named explicitly") {
  Store s;
  std::string file =
      s.write("g.geojson", collection({feature(R"("WGBM":"G1","WGMC":"一网格")",
                                               polygon_json(square_ring(111.7, 40.8, 0.01)))}));
  data::ImportOptions o;
  o.code_field = "WGBM";
  o.name_field = "wgmc";
  REQUIRE(s.import(data::Layer::grids, file, o).committed);
  CHECK(s.area(data::Layer::grids, "G1")->name == "一网格");
}

TEST_CASE("a missing file is refused with invalid_input") {
  Store s;
  try {
    s.import(data::Layer::grids, s.dir.file("nope.geojson"));
    FAIL("opened a missing file");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::StartsWith("cannot open " + s.dir.file("nope.geojson")));
  }
}

TEST_CASE("a file GDAL cannot read is refused with invalid_input") {
  Store s;
  std::string file = s.write("junk.geojson", "{ this is not json");
  CHECK_THROWS_AS(s.import(data::Layer::grids, file), Error);
}

// ---- point layers ---------------------------------------------------------------------------

TEST_CASE("workers are imported with their grids, duty flag and position") {
  Store s;
  s.city();
  std::string file = s.write("w.csv",
                             "id,name,phone,on_duty,grids,lon,lat,pos_at\n"
                             "3,王芳,13900000000,1,C1G1;C1G2,111.705,40.805,2025-03-01T08:00:00Z\n"
                             "4,李强,,否,C2G1,,,\n");
  data::ImportReport r = s.import(data::Layer::workers, file);
  REQUIRE(r.committed);
  data::WorkerRepo repo(s.db);
  data::Worker w = *repo.get(3);
  CHECK(w.name == "王芳");
  CHECK(w.phone == "13900000000");
  CHECK(w.on_duty);
  CHECK(w.grids == std::vector<std::string>{"C1G1", "C1G2"});
  CHECK(w.position->lat == 40.805);
  CHECK(w.position_at == 1740816000);
  CHECK_FALSE(repo.get(4)->on_duty);
  CHECK_FALSE(repo.get(4)->position);

  SECTION("a grid that is not stored is rejected") {
    std::string bad = s.write("w2.csv", "id,name,grid_code\n5,赵六,C9G9\n");
    data::ImportReport r2 = s.import(data::Layer::workers, bad);
    CHECK_FALSE(r2.committed);
    REQUIRE(issue_of(r2, "5"));
    CHECK_THAT(issue_of(r2, "5")->message, Catch::Contains("grid C9G9"));
  }
  SECTION("re-importing without a phone column keeps the stored phone") {
    std::string again = s.write("w3.csv", "id,name,on_duty\n3,王芳芳,0\n");
    REQUIRE(s.import(data::Layer::workers, again).committed);
    CHECK(repo.get(3)->name == "王芳芳");
    CHECK(repo.get(3)->phone == "13900000000");
    CHECK_FALSE(repo.get(3)->on_duty);
  }
}

TEST_CASE("petitions are validated and get their deadline from the category") {
  Store s;
  s.city();
  data::PetitionRepo repo(s.db);
  data::Catalogue(s.db).put(data::simple_category("env", "环境卫生", 48));
  data::Catalogue(s.db).put(data::simple_category("road", "道路", 2, data::DeadlineUnit::working_days));
  std::string file = s.write(
      "p.geojson",
      collection(
          {feature(
               R"("id":1,"kind":"appeal","category":"env","description":"垃圾","status":"reported","created_at":"2025-03-01 08:00")",
               point_json({111.715, 40.805})),
           feature(
               R"("id":2,"kind":"incident","category":"road","status":"closed","created_at":"2025-03-01T00:00:00Z","deadline":"2025-03-02T00:00:00Z","closed_at":"2025-03-01T06:00:00Z")",
               point_json({111.745, 40.805}))}));
  data::ImportReport r = s.import(data::Layer::petitions, file);
  REQUIRE(r.committed);
  data::Petition p1 = *repo.get(PetitionId{1});
  CHECK(p1.created_at == 1740787200);  // 08:00 China time
  // 48 working hours from Saturday 08:00: the clock starts Monday 09:00 (7.5 hours a day),
  // five days make 37.5, the next Monday 7.5 more, and 3 hours of Tuesday the rest.
  CHECK(p1.deadline_at == *data::parse_time("2025-03-11 12:00"));
  CHECK(p1.grid_code == "C1G2");
  CHECK(p1.subdistrict_code == "S1");
  data::Petition p2 = *repo.get(PetitionId{2});
  CHECK(p2.kind == data::Kind::incident);
  CHECK(p2.deadline_at == 1740873600);
  CHECK(p2.closed_at == 1740808800);
  CHECK(p2.community_code == "C3");

  SECTION("a bad kind, status or time is rejected") {
    std::string bad = s.write(
        "bad.geojson",
        collection(
            {feature(R"("id":3,"kind":"complaint","category":"env","created_at":"2025-03-01")",
                     point_json({111.7, 40.8})),
             feature(R"("id":4,"category":"env","status":"done","created_at":"2025-03-01")",
                     point_json({111.7, 40.8})),
             feature(R"("id":5,"category":"env","created_at":"yesterday")",
                     point_json({111.7, 40.8})),
             feature(R"("id":6,"category":"env")", point_json({111.7, 40.8}))}));
    data::ImportReport r2 = s.import(data::Layer::petitions, bad);
    CHECK_FALSE(r2.committed);
    CHECK(r2.rejected == 4);
    CHECK_THAT(issue_of(r2, "3")->message, Catch::Contains("kind 'complaint'"));
    CHECK_THAT(issue_of(r2, "4")->message, Catch::Contains("status 'done'"));
    CHECK_THAT(issue_of(r2, "5")->message, Catch::Contains("created_at"));
    CHECK_THAT(issue_of(r2, "6")->message, Catch::Contains("missing created_at"));
    CHECK(repo.count() == 2);
  }
}

TEST_CASE("progress is reported up to the number of features") {
  Store s;
  std::vector<std::string> features;
  for (int i = 0; i < 300; ++i)
    features.push_back(feature(R"("id":)" + std::to_string(i + 1) + R"(,"address":"a")",
                               point_json({111.7 + i * 1e-5, 40.8})));
  std::string file = s.write("h.geojson", collection(features));
  data::ImportOptions o;
  std::vector<std::pair<int64_t, int64_t>> calls;
  o.progress = [&](int64_t done, int64_t total) { calls.push_back({done, total}); };
  REQUIRE(s.import(data::Layer::households, file, o).committed);
  REQUIRE(calls.size() >= 2);
  CHECK(calls.back().first == 300);
  CHECK(calls.back().second == 300);
}
