// The standard address parser: 200 hand-labelled addresses (tests/data/addresses_200.tsv),
// the canonical form's round trip, normalisation, and arbitrary bytes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "data/address.hpp"

using gridmap::data::AddressParse;
using gridmap::data::format_address;
using gridmap::data::parse_address;
using gridmap::data::StandardAddress;

namespace {

struct Row {
  int line = 0;
  std::vector<std::string> cols;  // text, ok, subdistrict, community, road, number, compound,
                                  // building, unit, room
};

std::vector<Row> fixture() {
  std::ifstream in(GRIDMAP_TEST_DATA "/addresses_200.tsv");
  REQUIRE(in);
  std::vector<Row> rows;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (!text.empty() && text[0] == '#') continue;
    Row r;
    r.line = line;
    std::stringstream fields(text);
    for (std::string f; std::getline(fields, f, '\t');) r.cols.push_back(f);
    r.cols.resize(10);
    rows.push_back(std::move(r));
  }
  return rows;
}

// The fixture's columns from a parse, in the fixture's order.
std::vector<std::string> columns(const std::string& text, const AddressParse& p) {
  std::vector<std::string> c{text, p.address ? "1" : "0"};
  if (!p.address) {
    c.resize(10);
    return c;
  }
  const StandardAddress& a = *p.address;
  for (auto* f : {&a.subdistrict, &a.community, &a.road, &a.number, &a.compound, &a.building,
                  &a.unit, &a.room})
    c.push_back(*f);
  return c;
}

std::string show(const std::vector<std::string>& cols) {
  std::string s;
  for (auto& c : cols) s += (s.empty() ? "" : " | ") + c;
  return s;
}

std::string problems(const AddressParse& p) {
  std::string s;
  for (auto& q : p.problems) s += "\n  problem: " + q;
  return s;
}

StandardAddress parsed(const std::string& text) {
  auto p = parse_address(text);
  INFO(text << problems(p));
  REQUIRE(p.address);
  return *p.address;
}

}  // namespace

TEST_CASE("every address of the fixture parses to its hand-labelled fields", "[address]") {
  const auto rows = fixture();
  REQUIRE(rows.size() == 200);
  int passed = 0;
  for (const Row& r : rows) {
    const auto p = parse_address(r.cols[0]);
    const auto got = columns(r.cols[0], p);
    INFO("addresses_200.tsv:" << r.line << "\n  expected: " << show(r.cols)
                              << "\n  parsed:   " << show(got) << problems(p));
    CHECK(got == r.cols);
    if (got == r.cols) ++passed;
    if (!p.address) CHECK_FALSE(p.problems.empty());
  }
  WARN(passed << " of " << rows.size() << " fixture rows parse as labelled");
}

TEST_CASE("the canonical form of every parsed fixture address parses to the same fields",
          "[address]") {
  for (const Row& r : fixture()) {
    const auto p = parse_address(r.cols[0]);
    if (!p.address) continue;
    const std::string canonical = format_address(*p.address);
    const auto again = parse_address(canonical);
    INFO("addresses_200.tsv:" << r.line << " " << r.cols[0] << "\n  canonical: " << canonical
                              << problems(again));
    REQUIRE(again.address);
    CHECK(again.address->same_place(*p.address));
    CHECK(again.problems.empty());
    CHECK(format_address(*again.address) == canonical);
  }
}

TEST_CASE("the canonical form lists the parts in register order with their markers", "[address]") {
  StandardAddress a;
  a.city = "武汉市";
  a.district = "武昌区";
  a.subdistrict = "中南路街道";
  a.community = "中南二路社区";
  a.road = "中南二路";
  a.number = "18-2";
  a.compound = "幸福小区";
  a.building = "3";
  a.unit = "2";
  a.room = "501";
  a.note = "东门";
  CHECK(format_address(a) ==
        "武汉市武昌区中南路街道中南二路社区中南二路18-2号幸福小区3栋2单元501室");
  CHECK(format_address(StandardAddress{}).empty());
  StandardAddress only_compound;
  only_compound.compound = "阳光花园";
  only_compound.room = "302";
  CHECK(format_address(only_compound) == "阳光花园302室");
}

TEST_CASE("province, city and district are kept in their own fields", "[address]") {
  auto a = parsed("湖北省武汉市江岸区大智街道大智路社区解放大道1118号");
  CHECK(a.province == "湖北省");
  CHECK(a.city == "武汉市");
  CHECK(a.district == "江岸区");
  a = parsed("江苏省苏州市昆山市玉山镇人民路3号");
  CHECK(a.city == "苏州市");
  CHECK(a.district == "昆山市");
  a = parsed("北京东城区东四六条35号");
  CHECK(a.city == "北京");
  CHECK(a.district == "东城区");
  a = parsed("广西壮族自治区南宁市青秀区民族大道100号");
  CHECK(a.province == "广西壮族自治区");
  a = parsed("幸福小区3栋");  // 小区 is no district
  CHECK(a.district.empty());
  CHECK(a.compound == "幸福小区");
}

TEST_CASE("full-width characters, spaces and Chinese numerals are normalised", "[address]") {
  auto a = parsed("解放路１８号　三栋 二单元 五零一室");
  CHECK(a.number == "18");
  CHECK(a.building == "3");
  CHECK(a.unit == "2");
  CHECK(a.room == "501");
  CHECK(parsed("新华家园二十三栋十单元").building == "23");
  CHECK(parsed("新华家园二十三栋十单元").unit == "10");
  CHECK(parsed("和平路十八号").number == "18");
  CHECK(parsed("ａｂｃ花园ｂ座").building == "B");
  CHECK(parsed("人民路１２３－５号").number == "123-5");
}

TEST_CASE("a hash stands for the door number after a road and for the building after an estate",
          "[address]") {
  auto a = parsed("解放路5#");
  CHECK(a.number == "5");
  CHECK(a.building.empty());
  a = parsed("金桥花园5#602");
  CHECK(a.building == "5");
  CHECK(a.room == "602");
  a = parsed("幸福小区3#楼2单元501");
  CHECK(a.building == "3");
  CHECK(a.unit == "2");
}

TEST_CASE("notes in parentheses and trailing words are kept apart", "[address]") {
  auto a = parsed("解放大道1277号(协和医院东门)");
  CHECK(a.note == "协和医院东门");
  CHECK(a.road == "解放大道");
  a = parsed("中山路18号附近");
  CHECK(a.note == "附近");
  a = parsed("（暂住）民主路45号（后门）附近");
  CHECK(a.note == "附近; 暂住; 后门");
  CHECK(a.number == "45");
  a = parsed("幸福小区(东区");  // an unclosed parenthesis runs to the end
  CHECK(a.note == "东区");
}

TEST_CASE("a floor is not a building", "[address]") {
  auto a = parsed("幸福小区3楼302");
  CHECK(a.building.empty());
  CHECK(a.room == "302");
  auto p = parse_address("光谷广场5楼");
  REQUIRE(p.address);
  CHECK(p.problems.size() == 1);
}

TEST_CASE("leftover text is reported but does not fail the parse", "[address]") {
  auto p = parse_address("解放路18号3栋2单元501室xyz");
  REQUIRE(p.address);
  CHECK(p.address->room == "501");
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0].find("XYZ") != std::string::npos);
  p = parse_address("解放路18号3栋4栋");
  REQUIRE(p.address);
  CHECK(p.address->building == "3");
  CHECK(p.problems.size() == 1);
}

TEST_CASE("text without a locatable base fails with a reason", "[address]") {
  for (const char* text : {"", "   ", "不详", "同上", "12345", "解放路", "3栋2单元501",
                           "湖北省武汉市", "No. 18 Jiefang Avenue, Wuhan", "（东门）"}) {
    const auto p = parse_address(text);
    INFO("'" << text << "'" << problems(p));
    CHECK_FALSE(p.address);
    CHECK_FALSE(p.problems.empty());
  }
}

TEST_CASE("invalid UTF-8 is a failure with a problem", "[address]") {
  for (const char* text :
       {"解放路\xff号", "\xe8\xa7", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const auto p = parse_address(text);
    CHECK_FALSE(p.address);
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].find("UTF-8") != std::string::npos);
  }
}

TEST_CASE("random bytes and random address pieces never break the parser", "[address]") {
  const auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces{
      "路", "街道", "社区", "村", "组", "号",   "栋", "单元", "室",   "小区", "花园", "#",
      "-",  "1",    "23",   "五", "十", "(",    ")",  "附近", "市",   "区",   "省",   "镇",
      "弄", "段",   "楼",   "A",  "甲", "号楼", "１", "　",   "新村", "院",   "\xe4", "\x80"};
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (rng() % 8 == 0) {
        text += static_cast<char>(rng() % 256);
      } else {
        text += pieces[rng() % pieces.size()];
      }
    }
    const auto p = parse_address(text);
    INFO("text: " << text << problems(p));
    if (!p.address) {
      CHECK_FALSE(p.problems.empty());
      continue;
    }
    CHECK(
        (!p.address->compound.empty() || (!p.address->road.empty() && !p.address->number.empty())));
    CHECK_FALSE(format_address(*p.address).empty());
  }
}
