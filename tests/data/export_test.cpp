#include "data/catalogue.hpp"
#include "data/work_calendar.hpp"
#include "data/export.hpp"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include <filesystem>

#include "data/areas.hpp"
#include "data/households.hpp"
#include "data/import.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
namespace fs = std::filesystem;

namespace {

const data::Layer kLayers[] = {data::Layer::subdistricts, data::Layer::communities,
                               data::Layer::grids,        data::Layer::workers,
                               data::Layer::households,   data::Layer::petitions};

// Irregular steps so that coordinates have many significant digits.
constexpr double kX0 = 111.70123456789, kY0 = 40.80098765432, kStep = 0.0123456789;

std::string box_wkb(int x_from, int x_to, double y_from = 0, double y_to = 1) {
  double x0 = kX0 + kStep * x_from, x1 = kX0 + kStep * x_to;
  double y0 = kY0 + kStep * y_from, y1 = kY0 + kStep * y_to;
  geos::GeomPtr p = geos::polygon({{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}});
  return geos::to_wkb(geos::to_multipolygon(p.get()).get());
}

LonLat inside(double i, double j = 0.5) {
  return {kX0 + kStep * i, kY0 + kStep * j};
}

template <class T>
void stamp(const data::Locator& loc, T& item) {
  const data::GridLineage* g = loc.locate(item.position);
  if (!g) return;
  item.grid_code = g->grid_code.value;
  item.community_code = g->community_code;
  item.subdistrict_code = g->subdistrict_code;
}

// 2 subdistricts, 3 communities, 6 grids as adjacent squares; workers, households and
// petitions, with personal data that must never leave the database.
void build_city(data::Db& db) {
  data::AreaRepo subs(db, data::Layer::subdistricts), comms(db, data::Layer::communities),
      grids(db, data::Layer::grids);
  subs.upsert({"150102001", "海拉尔东路街道", {}, box_wkb(0, 4)});
  subs.upsert({"150102002", "锡林南路街道", {}, box_wkb(4, 6)});
  comms.upsert({"150102001001", "光明社区", "150102001", box_wkb(0, 2)});
  comms.upsert({"150102001002", "团结社区", "150102001", box_wkb(2, 4)});
  comms.upsert({"150102002001", "新华社区", "150102002", box_wkb(4, 6)});
  const char* const communities[] = {"150102001001", "150102001002", "150102002001"};
  for (int i = 0; i < 6; ++i) {
    std::string c = communities[i / 2];
    grids.upsert({c + "00" + std::to_string(i % 2 + 1), "第" + std::to_string(i + 1) + "网格", c,
                  box_wkb(i, i + 1)});
  }
  data::WorkerRepo workers(db);
  workers.upsert({11,
                  "王芳",
                  "13900000001",
                  true,
                  inside(0.5),
                  1740816000,
                  {"150102001001001", "150102001001002"}});
  workers.upsert(
      {12, "李强", "13900000002", false, std::nullopt, std::nullopt, {"150102001002001"}});
  workers.upsert({13, "赵敏", std::nullopt, true, inside(5.25, 0.75), 1740820000, {}});
  data::Locator loc = data::Locator::load(db);
  data::HouseholdRepo households(db);
  std::vector<data::Household> hs{{21, "光明路1号", inside(0.3), {}, {}, {}},
                                  {22, "团结街, \"8\"号", inside(2.7, 0.2), {}, {}, {}},
                                  {23, "新华路3号", inside(5.5), {}, {}, {}},
                                  {24, "城外", inside(9.0), {}, {}, {}}};
  for (data::Household& h : hs) {
    stamp(loc, h);
    int64_t id = households.upsert(h);
    households.add_resident({std::nullopt,
                             id,
                             "居民" + std::to_string(id),
                             "1380000" + std::to_string(id),
                             "150102199001011234",
                             {}});
  }
  data::PetitionRepo petitions(db);
  data::Catalogue(db).put(data::simple_category("环境卫生", "环境卫生", 72));
  auto petition = [&](int64_t id, const char* kind, const char* status, LonLat p, int64_t created) {
    data::Petition x;
    x.id = PetitionId{id};
    x.kind = data::parse_kind(kind).value();
    x.category = "环境卫生";
    x.description = "楼道堆放杂物,\n影响通行 \"急\"";
    x.reporter_contact = "13700000000";
    x.status = data::parse_status(status).value();
    x.created_at = created;
    x.deadline_at = created + 72 * 3600;
    x.position = p;
    stamp(loc, x);
    return x;
  };
  petitions.upsert(petition(31, "appeal", "reported", inside(1.5), 1740787200));
  data::Petition closed = petition(32, "incident", "closed", inside(3.5), 1740790000);
  closed.closed_at = 1740800000;
  closed.handler_level = data::Level::community;
  petitions.upsert(closed);
  data::Petition open = petition(33, "appeal", "in_progress", inside(4.5), 1740795000);
  open.deadline_at.reset();
  petitions.upsert(open);
}

std::string extension(data::ExportFormat f) {
  switch (f) {
    case data::ExportFormat::geojson:
      return ".geojson";
    case data::ExportFormat::gpkg:
      return ".gpkg";
    case data::ExportFormat::shp:
      return ".shp";
    case data::ExportFormat::csv:
      return ".csv";
  }
  return "";
}

int64_t export_to(data::Db& db, data::Layer l, const std::string& out, data::ExportFormat f,
                  crs::Crs c = {}) {
  data::ExportOptions o;
  o.layer = l;
  o.out = out;
  o.format = f;
  o.crs = c;
  return data::export_layer(db, o);
}

data::ImportReport import_from(data::Db& db, data::Layer l, const std::string& file,
                               std::optional<crs::Crs> c = std::nullopt) {
  data::ImportOptions o;
  o.layer = l;
  o.file = file;
  o.crs = c;
  return data::import_layer(db, o);
}

bool same_geometry(const std::string& a_wkb, const std::string& b_wkb, double tol) {
  geos::GeomPtr a = geos::from_wkb(a_wkb), b = geos::from_wkb(b_wkb);
  REQUIRE(GEOSNormalize_r(geos::ctx(), a.get()) == 0);
  REQUIRE(GEOSNormalize_r(geos::ctx(), b.get()) == 0);
  return GEOSEqualsExact_r(geos::ctx(), a.get(), b.get(), tol) == 1;
}

void check_close(LonLat a, LonLat b, double tol) {
  CHECK(a.lon == Approx(b.lon).margin(tol));
  CHECK(a.lat == Approx(b.lat).margin(tol));
}

void compare_areas(data::Db& a, data::Db& b, double tol) {
  for (data::Layer l : {data::Layer::subdistricts, data::Layer::communities, data::Layer::grids}) {
    std::vector<data::Area> x = data::AreaRepo(a, l).all(), y = data::AreaRepo(b, l).all();
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO(x[i].code);
      CHECK(x[i].code == y[i].code);
      CHECK(x[i].name == y[i].name);
      CHECK(x[i].parent == y[i].parent);
      CHECK(same_geometry(x[i].wkb, y[i].wkb, tol));
    }
  }
}

void compare_workers(data::Db& a, data::Db& b, double tol) {
  data::WorkerRepo rb(b);
  int64_t n = 0;
  data::WorkerRepo(a).for_each([&](const data::Worker& w) {
    ++n;
    INFO("worker " << *w.id);
    std::optional<data::Worker> v = rb.get(*w.id);
    REQUIRE(v);
    CHECK(v->name == w.name);
    CHECK(v->on_duty == w.on_duty);
    CHECK(v->grids == w.grids);
    CHECK(v->position_at == w.position_at);
    CHECK(v->position.has_value() == w.position.has_value());
    if (w.position && v->position) check_close(*v->position, *w.position, tol);
  });
  CHECK(rb.count() == n);
}

void compare_households(data::Db& a, data::Db& b, double tol) {
  data::HouseholdRepo rb(b);
  data::HouseholdRepo(a).for_each([&](const data::Household& h) {
    INFO("household " << *h.id);
    std::optional<data::Household> v = rb.get(*h.id);
    REQUIRE(v);
    CHECK(v->address == h.address);
    check_close(v->position, h.position, tol);
    CHECK(v->grid_code == h.grid_code);
    CHECK(v->subdistrict_code == h.subdistrict_code);
  });
  CHECK(rb.count() == data::HouseholdRepo(a).count());
  CHECK(rb.count_residents() == 0);
}

void compare_petitions(data::Db& a, data::Db& b, double tol) {
  data::PetitionRepo rb(b);
  data::PetitionRepo(a).for_each([&](const data::Petition& p) {
    INFO("petition " << p.id->value);
    std::optional<data::Petition> v = rb.get(*p.id);
    REQUIRE(v);
    CHECK(v->kind == p.kind);
    CHECK(v->category == p.category);
    CHECK(v->description == p.description);
    CHECK(v->status == p.status);
    CHECK(v->handler_level == p.handler_level);
    CHECK(v->created_at == p.created_at);
    if (p.deadline_at)
      CHECK(v->deadline_at == p.deadline_at);
    else  // an import gives a petition without one its category's deadline
      CHECK(v->deadline_at == data::due_at(*data::Catalogue(b).get(p.category), p.created_at,
                                           data::WorkCalendar::china_default()));
    CHECK(v->closed_at == p.closed_at);
    CHECK(v->grid_code == p.grid_code);
    CHECK_FALSE(v->reporter_contact);
    check_close(v->position, p.position, tol);
  });
  CHECK(rb.count() == data::PetitionRepo(a).count());
}

void compare_all(data::Db& a, data::Db& b, double tol) {
  compare_areas(a, b, tol);
  compare_workers(a, b, tol);
  compare_households(a, b, tol);
  compare_petitions(a, b, tol);
}

// Exports every layer, imports them into a fresh database in dependency order.
void round_trip(data::Db& source, const test::TempDir& dir, data::ExportFormat f, crs::Crs out_crs,
                std::optional<crs::Crs> in_crs, double tol) {
  data::Db copy = data::Db::open(dir.file("copy" + extension(f) + ".db"));
  {  // petitions need their categories: the catalogue goes first
    std::stringstream catalogue;
    data::Catalogue(source).export_csv(catalogue);
    data::Transaction tx(copy);
    REQUIRE(data::Catalogue(copy).import_csv(catalogue).committed());
    tx.commit();
  }
  for (data::Layer l : kLayers) {
    INFO(to_string(l));
    std::string file = dir.file(std::string(to_string(l)) + extension(f));
    int64_t n = export_to(source, l, file, f, out_crs);
    data::ImportReport r = import_from(copy, l, file, in_crs);
    for (const data::ImportIssue& i : r.issues)
      INFO(i.feature << " " << i.code << ": " << i.message);
    CHECK(r.issues.empty());
    CHECK(r.committed);
    CHECK(r.imported == n);
  }
  compare_all(source, copy, tol);
}

}  // namespace

TEST_CASE("export formats are named and implied by the file extension") {
  CHECK(data::parse_format("geojson") == data::ExportFormat::geojson);
  CHECK(data::parse_format("gpkg") == data::ExportFormat::gpkg);
  CHECK(data::parse_format("shp") == data::ExportFormat::shp);
  CHECK(data::parse_format("csv") == data::ExportFormat::csv);
  CHECK_FALSE(data::parse_format("kml"));
  CHECK(data::format_from_path("out/grids.GeoJSON") == data::ExportFormat::geojson);
  CHECK(data::format_from_path("grids.json") == data::ExportFormat::geojson);
  CHECK(data::format_from_path("/tmp/a.gpkg") == data::ExportFormat::gpkg);
  CHECK(data::format_from_path("a.shp") == data::ExportFormat::shp);
  CHECK(data::format_from_path("a.csv") == data::ExportFormat::csv);
  CHECK_FALSE(data::format_from_path("a.txt"));
  CHECK_FALSE(data::format_from_path("grids"));
}

TEST_CASE("every layer survives export and import in every format") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  for (data::ExportFormat f : {data::ExportFormat::geojson, data::ExportFormat::gpkg,
                               data::ExportFormat::shp, data::ExportFormat::csv}) {
    DYNAMIC_SECTION("format " << extension(f)) {
      // GeoJSON keeps 7 decimals (RFC 7946's ~1 cm: a vertex moves up to 0.7e-7 degrees); the
      // others every digit.
      round_trip(db, dir, f, crs::Crs{}, std::nullopt,
                 f == data::ExportFormat::geojson ? 1e-7 : 1e-9);
    }
  }
}

TEST_CASE("a GeoJSON export follows RFC 7946 in WGS84 and says it does not in another CRS") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  std::string file = dir.file("grids.geojson");
  export_to(db, data::Layer::grids, file, data::ExportFormat::geojson, crs::Crs{});
  std::string text = test::read_file(file);
  CHECK(text.find("\"crs\"") == std::string::npos);
  CHECK(text.find("NOT RFC 7946") == std::string::npos);
  // No coordinate has more than 7 decimals.
  size_t at = text.find("\"coordinates\"");
  REQUIRE(at != std::string::npos);
  size_t longest = 0;
  for (size_t i = at; i < text.size(); ++i)
    if (text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      size_t n = 0;
      while (i + 1 + n < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1 + n]))) ++n;
      longest = std::max(longest, n);
    }
  CHECK(longest > 0);
  CHECK(longest <= 7);
  for (const char* other : {"gcj02", "bd09", "EPSG:3857"}) {
    INFO(other);
    std::string marked = dir.file(std::string("grids-") + other + ".geojson");
    export_to(db, data::Layer::grids, marked, data::ExportFormat::geojson, crs::parse(other));
    rapidjson::Document d;
    d.Parse(test::read_file(marked).c_str());
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("description"));
    CHECK(std::string(d["description"].GetString()).find("NOT RFC 7946") == 0);
    CHECK(std::string(d["description"].GetString()).find(crs::parse(other).name()) != std::string::npos);
  }
}

TEST_CASE("an export in a projected CRS carries it, and comes back through import") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  crs::Crs merc = crs::parse("EPSG:3857");
  for (data::ExportFormat f :
       {data::ExportFormat::geojson, data::ExportFormat::gpkg, data::ExportFormat::shp}) {
    DYNAMIC_SECTION("format " << extension(f)) {
      round_trip(db, dir, f, merc, std::nullopt, 1e-9);
    }
  }
  SECTION("CSV has no CRS of its own: import names it") {
    round_trip(db, dir, data::ExportFormat::csv, merc, merc, 1e-9);
  }
}

TEST_CASE("an export in GCJ-02 is shifted, has no CRS label, and comes back with --crs gcj02") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  std::string file = dir.file("households.geojson");
  export_to(db, data::Layer::households, file, data::ExportFormat::geojson, crs::parse("gcj02"));
  CHECK(test::read_file(file).find("\"crs\"") == std::string::npos);
  {
    // Read as if it were WGS84, the file holds the shifted coordinates.
    data::Db plain = data::Db::open(dir.file("plain.db"));
    REQUIRE(import_from(plain, data::Layer::households, file).committed);
    check_close(data::HouseholdRepo(plain).get(21)->position,
                crs::wgs84_to_gcj02(data::HouseholdRepo(db).get(21)->position), 1e-12);
  }
  for (data::ExportFormat f : {data::ExportFormat::geojson, data::ExportFormat::gpkg,
                               data::ExportFormat::shp, data::ExportFormat::csv}) {
    DYNAMIC_SECTION("format " << extension(f)) {
      round_trip(db, dir, f, crs::parse("gcj02"), crs::parse("gcj02"), 1e-8);
    }
  }
  SECTION("a Shapefile in GCJ-02 has no .prj") {
    export_to(db, data::Layer::grids, dir.file("g.shp"), data::ExportFormat::shp,
              crs::parse("gcj02"));
    CHECK_FALSE(fs::exists(dir.file("g.prj")));
  }
}

TEST_CASE("an export never contains personal data") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  for (data::ExportFormat f :
       {data::ExportFormat::geojson, data::ExportFormat::csv, data::ExportFormat::shp}) {
    for (data::Layer l : kLayers) {
      std::string file = dir.file(std::string(to_string(l)) + extension(f));
      export_to(db, l, file, f);
      std::string all = test::read_file(file);
      if (f == data::ExportFormat::shp)
        all += test::read_file(fs::path(file).replace_extension(".dbf").string());
      INFO(file);
      for (const char* secret :
           {"1390000000", "13700000000", "1380000", "150102199001011234", "居民"})
        CHECK(all.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("a Shapefile export has short field names and a UTF-8 .cpg") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  std::string file = dir.file("petitions.shp");
  CHECK(export_to(db, data::Layer::petitions, file, data::ExportFormat::shp) == 3);
  CHECK(test::read_file(dir.file("petitions.cpg")).find("UTF-8") != std::string::npos);
  CHECK(fs::exists(dir.file("petitions.prj")));
  std::string dbf = test::read_file(dir.file("petitions.dbf"));
  for (const char* name : {"descr", "created_at", "closed_at", "grid_code", "handler"})
    CHECK(dbf.find(name) != std::string::npos);
  CHECK(dbf.find("环境卫生") != std::string::npos);  // stored as UTF-8
}

TEST_CASE("an existing output file is overwritten") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  for (data::ExportFormat f : {data::ExportFormat::geojson, data::ExportFormat::gpkg,
                               data::ExportFormat::shp, data::ExportFormat::csv}) {
    std::string file = dir.file("grids" + extension(f));
    test::write_file(file, "old content");
    CHECK(export_to(db, data::Layer::grids, file, f) == 6);
    CHECK(export_to(db, data::Layer::subdistricts, file, f) == 2);
    data::Db copy = data::Db::open(dir.file("copy" + extension(f) + ".db"));
    data::ImportReport r = import_from(copy, data::Layer::subdistricts, file);
    CHECK(r.committed);
    CHECK(r.imported == 2);
  }
}

TEST_CASE("an output directory that does not exist is refused") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  try {
    export_to(db, data::Layer::grids, dir.file("missing/grids.geojson"),
              data::ExportFormat::geojson);
    FAIL("wrote into a directory that does not exist");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("does not exist"));
  }
  CHECK_THROWS_AS(export_to(db, data::Layer::grids, dir.file("grids.dat"), data::ExportFormat::shp),
                  Error);
  CHECK_THROWS_AS(export_to(db, data::Layer::grids, dir.file("x.geojson"),
                            data::ExportFormat::geojson, crs::parse("EPSG:999999")),
                  Error);
  CHECK_FALSE(fs::exists(dir.file("x.geojson")));
  CHECK_THROWS_WITH(
      export_to(db, data::Layer::grids, dir.file("city.db"), data::ExportFormat::gpkg),
      Catch::Contains("is the database itself"));
  CHECK(data::AreaRepo(db, data::Layer::grids).count() == 0);
}

TEST_CASE("CSV exports carry WKT for areas and lon/lat for points") {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("city.db"));
  build_city(db);
  export_to(db, data::Layer::grids, dir.file("g.csv"), data::ExportFormat::csv);
  export_to(db, data::Layer::workers, dir.file("w.csv"), data::ExportFormat::csv);
  export_to(db, data::Layer::petitions, dir.file("p.csv"), data::ExportFormat::csv);
  CHECK_THAT(test::read_file(dir.file("g.csv")),
             Catch::StartsWith("code,name,parent,wkt\n150102001001001,"));
  CHECK_THAT(test::read_file(dir.file("w.csv")),
             Catch::StartsWith("id,lon,lat,name,on_duty,grids,position_at\n11,") &&
                 Catch::Contains("150102001001001;150102001001002") &&
                 Catch::Contains("2025-03-01T08:00:00Z"));
  CHECK_THAT(test::read_file(dir.file("p.csv")),
             Catch::StartsWith("id,lon,lat,kind,category,description,status,handler,created_at,"
                               "deadline,closed_at,grid_code\n"));
}
