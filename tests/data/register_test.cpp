// The register (一标三实): checks of personal data, and the import of a register file —
// standard addresses, upserts, bad rows, GBK.
#include <catch2/catch.hpp>

#include <iconv.h>

#include <sstream>

#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/locator.hpp"
#include "data/register.hpp"
#include "data/stats.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "support/db_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

// An ID number with its GB 11643 check digit computed here (not by the code under test).
std::string id_with_check(const std::string& first17) {
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * w[i];
  return first17 + "10X98765432"[sum % 11];
}

std::string utf8_to_gbk(const std::string& s) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(s.size() * 2 + 4, '\0');
  char* in = const_cast<char*>(s.data());
  size_t in_left = s.size(), out_left = out.size();
  char* dst = out.data();
  REQUIRE(iconv(cd, &in, &in_left, &dst, &out_left) != static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

struct City {
  test::TempDir dir;
  std::string path = dir.file("city.sqlite");
  std::optional<data::Db> db;
  std::optional<data::Locator> locator;
  std::string lon, lat;  // a point inside a grid (one of the demo's households)
  City() {
    {
      data::Db db = data::Db::open(path);
      data::DemoOptions o;
      o.preset = data::Preset::tatabu;
      o.now = data::now_seconds();
      data::generate_demo(db, o);
    }
    db.emplace(data::Db::open(path));
    locator.emplace(data::Locator::load(*db));
    data::Statement st(
        *db,
        "SELECT X(geom), Y(geom) FROM households WHERE grid_code IS NOT NULL ORDER BY id LIMIT 1");
    REQUIRE(st.step());
    lon = std::to_string(st.real(0));
    lat = std::to_string(st.real(1));
  }
  data::RegisterImportReport import(const std::string& csv, bool skip = false,
                                    std::optional<std::string> enc = {}, bool bulk = false) {
    std::istringstream in(csv);
    data::RegisterImportOptions o;
    o.skip_invalid = skip;
    o.encoding = enc;
    o.bulk = bulk;
    o.now = 1800000000;
    return data::import_register(*db, *locator, in, o);
  }
};

}  // namespace

TEST_CASE("ID numbers carry their GB 11643 check digit, phones are mobiles or landlines") {
  CHECK(data::valid_id_number("11010519491231002X"));
  CHECK(data::valid_id_number(id_with_check("42010219900307123")));
  CHECK_FALSE(data::valid_id_number("110105194912310021"));  // the wrong check digit
  CHECK_FALSE(data::valid_id_number("11010519491231002"));
  CHECK_FALSE(data::valid_id_number("1101051949123100AX"));
  CHECK(data::valid_phone("13800001234"));
  CHECK(data::valid_phone("027-85881234"));
  CHECK(data::valid_phone("02785881234"));
  CHECK_FALSE(data::valid_phone("12800001234"));
  CHECK_FALSE(data::valid_phone("138000012345"));
  CHECK_FALSE(data::valid_phone("not a phone"));
}

TEST_CASE("the register import: standard addresses, upserts, every bad row named, all or nothing") {
  City c;
  std::string id1 = id_with_check("42010219900307123"), id2 = id_with_check("42010219920511452");
  std::string where = "," + c.lon + "," + c.lat;
  std::string header =
      "地址,经度,纬度,姓名,身份证号,联系电话,与户主关系,性别,出生日期,人员标签,备注\n";
  std::string good = "大智街道解放大道1118号3栋2单元502室" + where + ",王小明," + id1 +
                     ",13800001234,户主,男,1990-03-07,低保、残疾人,轮椅\n" +
                     "大智街道解放大道1118号3栋2单元502室" + where + ",李小红," + id2 +
                     ",,配偶,女,1992/05/11,,\n" + "解放大道1118号3栋2单元601室" + where +
                     ",,,,,,,,\n";
  std::string bad = "解放大道1118号3栋1单元101室" + where +
                    ",张三,110105194912310021,,,,,,\n" +                   // a bad ID number
                    "不详" + where + ",赵四,,,,,,,\n" +                    // no address
                    "解放大道1118号3栋1单元102室,abc,def,钱五,,,,,,,\n" +  // no position
                    "解放大道1118号3栋1单元103室" + where +
                    ",孙六,,,舅舅,,,,\n" +  // unknown relation
                    "解放大道1118号3栋1单元104室" + where + ",周七,,,,,,外星人,\n";  // unknown tag
  int64_t households = test::scalar(*c.db, "SELECT count(*) FROM households");
  int64_t residents = test::scalar(*c.db, "SELECT count(*) FROM residents");

  SECTION("a file with bad rows stores nothing and names every bad row") {
    auto r = c.import(header + good + bad);
    CHECK_FALSE(r.committed);
    CHECK(r.rows == 8);
    CHECK(r.rejected == 5);
    std::vector<int64_t> rows;
    for (const auto& i : r.issues)
      if (i.rejected) rows.push_back(i.row);
    CHECK(rows == std::vector<int64_t>{5, 6, 7, 8, 9});
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM households") == households);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM residents") == residents);
  }
  SECTION("with skip_invalid the good rows go in; importing again updates, never duplicates") {
    auto r = c.import(header + good + bad, true);
    CHECK(r.committed);
    CHECK(r.rejected == 5);
    CHECK(r.households_created == 2);  // rooms 502 and 601
    CHECK(r.households_matched == 1);
    CHECK(r.residents_created == 2);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM households") == households + 2);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM buildings") >= 1);
    data::Statement st(
        *c.db,
        "SELECT r.relation, r.gender, r.birth_date, h.unit, h.room, b.road, b.number, b.name, "
        "h.grid_code "
        "FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = "
        "h.building_id WHERE r.id_number = ?1");
    st.bind(1, id1);
    REQUIRE(st.step());
    CHECK(st.text(0) == "head");
    CHECK(st.text(1) == "male");
    CHECK(st.text(2) == "1990-03-07");
    CHECK(st.text(3) == "2");
    CHECK(st.text(4) == "502");
    CHECK(st.text(5) == "解放大道");
    CHECK(st.text(6) == "1118");
    CHECK(st.text(7) == "3");
    CHECK_FALSE(st.is_null(8));  // stamped with its grid
    data::Statement geom(
        *c.db,
        "SELECT X(h.geom), Y(h.geom), b.road FROM households h JOIN buildings b ON "
        "b.id = h.building_id WHERE h.room = '601'");
    REQUIRE(geom.step());
    CHECK(geom.real(0) == Approx(std::stod(c.lon)));
    CHECK(geom.real(1) == Approx(std::stod(c.lat)));
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM resident_tags") == 2);
    // Again, with a new phone for 王小明, found by his ID number.
    auto again = c.import(header + "大智街道解放大道1118号3栋2单元502室" + where + ",王小明," +
                          id1 + ",13900009999,,,,,\n");
    CHECK(again.committed);
    CHECK(again.residents_updated == 1);
    CHECK(again.residents_created == 0);
    CHECK(again.households_matched == 1);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM residents") == residents + 2);
    data::Statement ph(*c.db, "SELECT phone, relation FROM residents WHERE id_number = ?1");
    ph.bind(1, id1);
    REQUIRE(ph.step());
    CHECK(ph.text(0) == "13900009999");
    CHECK(ph.text(1) == "head");  // an empty cell keeps what is stored
  }
  SECTION("a GBK file reads as its UTF-8 twin, detected or named") {
    auto r = c.import(utf8_to_gbk(header + good));
    CHECK(r.committed);
    CHECK(r.residents_created == 2);
    data::Statement st(*c.db, "SELECT name FROM residents WHERE id_number = ?1");
    st.bind(1, id2);
    REQUIRE(st.step());
    CHECK(st.text(0) == "李小红");
    CHECK_THROWS_AS(c.import(utf8_to_gbk(header + good), false, "UTF-8"), Error);
  }
  SECTION("an export reads back as the same register: nothing new, nothing lost") {
    REQUIRE(c.import(header + good).committed);
    data::Sheet sheet = data::register_sheet(*c.db);
    std::string csv = data::sheet_csv(sheet);
    CHECK(csv.find("王小明") != std::string::npos);  // unmasked: an admin's export
    CHECK((csv.find("低保、残疾人") != std::string::npos ||
           csv.find("残疾人、低保") != std::string::npos));
    int64_t before_h =
        test::scalar(*c.db, "SELECT count(*) FROM households WHERE building_id IS NOT NULL");
    int64_t before_r = test::scalar(*c.db, "SELECT count(*) FROM residents");
    // The demo's own households have free-text addresses of their own: only the register's
    // rows (those with a standard address) are read back here.
    std::string ours = csv.substr(0, csv.find('\n') + 1);
    size_t at = 0;
    while ((at = csv.find("解放大道1118号", at)) != std::string::npos) {
      size_t start = csv.rfind('\n', at) + 1, end = csv.find('\n', at);
      ours += csv.substr(start, end - start + 1);
      at = end;
    }
    auto again = c.import(ours);
    CHECK(again.committed);
    CHECK(again.rejected == 0);
    CHECK(again.households_created == 0);
    CHECK(again.residents_created == 0);
    CHECK(again.residents_updated == 2);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM households WHERE building_id IS NOT NULL") ==
          before_h);
    CHECK(test::scalar(*c.db, "SELECT count(*) FROM residents") == before_r);
  }
  SECTION("a file without an address column or in a foreign shape is refused") {
    CHECK_THROWS_AS(c.import("姓名,电话\n王,1\n"), Error);
    CHECK_THROWS_AS(c.import(""), Error);
  }
}

namespace {

// What the register holds, row by row, ids left out (a bulk and a plain import give their
// own): each resident with their household's room and building, and the tags.
std::vector<std::string> register_rows(data::Db& db) {
  std::vector<std::string> out;
  data::Statement st(
      db,
      "SELECT coalesce(r.name, '') || '|' || coalesce(r.phone, '') || '|' || "
      "coalesce(r.id_number, '') || '|' || coalesce(r.relation, '') || '|' || h.address || '|' || "
      "printf('%.7f %.7f', X(h.geom), Y(h.geom)) || '|' || coalesce(h.grid_code, '') || '|' || "
      "coalesce(b.road, '') || b.number || b.name || h.unit || h.room || '|' || "
      "coalesce((SELECT group_concat(tag) FROM (SELECT tag FROM resident_tags t WHERE "
      "t.resident_id = r.id ORDER BY tag)), '') "
      "FROM households h LEFT JOIN residents r ON r.household_id = h.id "
      "LEFT JOIN buildings b ON b.id = h.building_id ORDER BY 1");
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace

TEST_CASE("a bulk import stores what a plain one does, over many chunks, indexes rebuilt") {
  City plain, bulk;
  std::string where = "," + plain.lon + "," + plain.lat;
  std::string csv = "地址,经度,纬度,姓名,身份证号,联系电话,与户主关系,人员标签\n";
  // 9,000 rows (the import works in chunks of 4,096): a person met again 6,000 rows later
  // (updated, not added twice), a second person in a room, tags, a bad row.
  for (int i = 0; i < 9000; ++i) {
    int building = i / 48, room = i % 48;
    std::string addr = "解放路" + std::to_string(building % 300 + 1) + "号" +
                       std::to_string(building / 300 + 1) + "栋" + std::to_string(room / 24 + 1) +
                       "单元" + std::to_string((room % 24) / 4 * 100 + 101 + room % 4) + "室";
    std::string id = id_with_check("4201021990" + std::to_string(1000000 + i));
    std::string phone = "13" + std::to_string(800000000 + i);
    std::string tags = i % 97 == 0 ? "独居老人、低保" : "";
    csv += addr + where + ",居民" + std::to_string(i) + "," + id + "," + phone + ",户主," + tags +
           "\n";
    if (i == 10) csv += addr + where + ",居民配偶10,,,配偶,\n";
  }
  csv += "解放路1号1栋1单元101室" + where + ",居民6000," +
         id_with_check("4201021990" + std::to_string(1000000 + 6000)) +
         ",13912345678,户主,残疾人\n";
  csv += "不详" + where + ",无地址,,,,\n";
  auto a = plain.import(csv, true, {}, false);
  auto b = bulk.import(csv, true, {}, true);
  REQUIRE(a.committed);
  REQUIRE(b.committed);
  CHECK(a.rejected == 1);
  CHECK(b.rejected == a.rejected);
  CHECK(b.households_created == a.households_created);
  CHECK(b.residents_created == a.residents_created);
  CHECK(b.residents_updated == 1);
  CHECK(a.residents_updated == 1);
  CHECK(b.residents_created == 9001);
  CHECK(register_rows(*bulk.db) == register_rows(*plain.db));
  // The person met twice moved to the later room with the later phone and one more tag.
  CHECK(test::scalar(
            *bulk.db,
            "SELECT count(*) FROM residents WHERE name = '居民6000' AND phone = '13912345678'") ==
        1);
  CHECK(test::scalar(*bulk.db, "SELECT count(*) FROM residents WHERE name = '居民6000'") == 1);
  // The indexes and triggers are back and right.
  data::Statement check(*bulk.db,
                        "SELECT rtreecheck('idx_households_geom'), CheckSpatialIndex('households', "
                        "'geom'), CheckSpatialIndex('buildings', 'geom')");
  REQUIRE(check.step());
  CHECK(check.text(0) == "ok");
  CHECK(check.int64(1) == 1);
  CHECK(check.int64(2) == 1);
  for (const char* name :
       {"households_grid", "households_building", "residents_household", "residents_id_number",
        "ggi_households_geom", "gii_households_geom", "tmi_households_geom", "buildings_address"})
    CHECK(test::scalar(*bulk.db, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") +
                                     name + "'") == 1);
  data::Statement integrity(*bulk.db, "PRAGMA integrity_check");
  REQUIRE(integrity.step());
  CHECK(integrity.text(0) == "ok");
}

TEST_CASE("a UTF-8 register with a GBK row past its first megabyte is refused, naming the row") {
  City c;
  std::string where = "," + c.lon + "," + c.lat;
  std::string csv = "地址,经度,纬度,姓名\n";
  int rows = 0;
  while (csv.size() < (1u << 20) + 4096) {
    csv += "解放路" + std::to_string(rows / 48 + 1) + "号1栋1单元" +
           std::to_string(101 + rows % 48) + "室" + where + ",居民\n";
    ++rows;
  }
  int64_t households = test::scalar(*c.db, "SELECT count(*) FROM households");
  std::string gbk_row =
      utf8_to_gbk("解放路9999号1栋1单元101室") + where + "," + utf8_to_gbk("王五") + "\n";
  CHECK_THROWS_WITH(c.import(csv + gbk_row),
                    Catch::Contains("row " + std::to_string(rows + 2) + " is not UTF-8"));
  CHECK(test::scalar(*c.db, "SELECT count(*) FROM households") == households);
  // Without that row the same file goes in.
  CHECK(c.import(csv).committed);
}
