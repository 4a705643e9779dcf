// Glyphs over HTTP from the real server: the public /fonts route, compression, ETags, bad
// ranges, the style's glyphs URL and label layers, and --font at startup.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "support/test_support.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/glyphs_decode.hpp"
#include "tiles/gzip.hpp"

using namespace gridmap;
using test::check_problem;
using test::http;
using test::HttpResult;

namespace {

const std::string kStack = "/fonts/WenQuanYi%20Micro%20Hei/";

struct Fixture {
  test::TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  std::string token;
  Fixture() {
    REQUIRE(test::run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
    token = test::make_user(db, "planner", "planner");
    test::set_default_headers({});
  }
};

}  // namespace

TEST_CASE("glyph ranges answer without credentials, gzip-compressed on request, with an ETag") {
  Fixture f;
  test::ServerProcess server(f.db);
  HttpResult plain = http(server.port(), "GET", kStack + "20736-20991.pbf");
  REQUIRE(plain.status == 200);
  CHECK(plain.headers["content-type"] == "application/x-protobuf");
  CHECK(plain.headers.count("content-encoding") == 0);
  CHECK(plain.headers["cache-control"].find("max-age") != std::string::npos);
  auto stacks = test::decode_glyphs(plain.body);
  REQUIRE(stacks.size() == 1);
  CHECK(stacks[0].range == "20736-20991");
  REQUIRE(stacks[0].find(0x5149));  // 光
  std::string etag = plain.headers["etag"];
  REQUIRE(etag.size() > 2);
  HttpResult gz =
      http(server.port(), "GET", kStack + "20736-20991.pbf", "", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz.status == 200);
  CHECK(gz.headers["content-encoding"] == "gzip");
  CHECK(gz.headers["etag"] == etag);
  CHECK(gz.body.size() < plain.body.size());
  CHECK(tiles::gunzip(gz.body, plain.body.size()) == plain.body);
  HttpResult again =
      http(server.port(), "GET", kStack + "20736-20991.pbf", "", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  // A stack that names our font among others is ours too; the same bytes.
  HttpResult listed = http(server.port(), "GET",
                           "/fonts/Open%20Sans%20Regular,WenQuanYi%20Micro%20Hei/20736-20991.pbf");
  CHECK(listed.status == 200);
  CHECK(listed.headers["etag"] == etag);
  // Another range: other glyphs, another ETag.
  HttpResult latin = http(server.port(), "GET", kStack + "0-255.pbf");
  REQUIRE(latin.status == 200);
  CHECK(latin.headers["etag"] != etag);
  CHECK(test::decode_glyphs(latin.body).at(0).find('A'));
}

TEST_CASE("bad glyph ranges are 400 problems, unknown font stacks 404") {
  Fixture f;
  test::ServerProcess server(f.db);
  for (const char* bad : {"1-256", "0-254", "0-511", "65536-65791", "x-255", "0255"}) {
    INFO(bad);
    check_problem(http(server.port(), "GET", kStack + bad + ".pbf"), 400);
  }
  check_problem(http(server.port(), "GET", "/fonts/Arial%20Unicode%20MS/0-255.pbf"), 404);
  check_problem(http(server.port(), "GET", "/fonts/WenQuanYi%20Micro%20Hei/0-255.png"), 404);
}

TEST_CASE("the style asks this server for glyphs and names areas in the served font") {
  Fixture f;
  test::ServerProcess server(f.db);
  HttpResult r =
      http(server.port(), "GET", "/style.json", "", {{"Authorization", "Bearer " + f.token}});
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  REQUIRE(d.HasMember("glyphs"));
  // Relative to the page (the web map makes it absolute for MapLibre): never taken from
  // the request's Host header.
  // With the label alphabet's version: a renamed area's new characters come under a new URL.
  std::string glyphs = d["glyphs"].GetString();
  CHECK(glyphs.rfind("/fonts/{fontstack}/{range}.pbf?v=", 0) == 0);
  CHECK(glyphs.size() == std::string("/fonts/{fontstack}/{range}.pbf?v=").size() + 16);
  std::vector<std::string> labels;
  for (const auto& l : d["layers"].GetArray()) {
    if (std::string(l["type"].GetString()) != "symbol") continue;
    labels.push_back(l["id"].GetString());
    std::string source = l["source"].GetString();
    CHECK(d["sources"].HasMember(source.c_str()));
    CHECK(std::string(l["source-layer"].GetString()) == source + "_label");
    CHECK(std::string(l["layout"]["text-font"][0].GetString()) == "WenQuanYi Micro Hei");
    CHECK(l["paint"]["text-halo-width"].GetDouble() > 0);
  }
  CHECK(labels ==
        std::vector<std::string>{"subdistricts-label", "communities-label", "grids-label"});
  // The font stack the style names is served.
  CHECK(http(server.port(), "GET", kStack + "0-255.pbf").status == 200);
}

TEST_CASE(
    "a glyph range holds only the characters the areas' names use, and a new name's characters "
    "come under a new version") {
  Fixture f;
  std::string admin = test::make_user(f.db, "admin", "admin");
  test::ServerProcess server(f.db);
  auto version = [&]() {
    HttpResult r =
        http(server.port(), "GET", "/style.json", "", {{"Authorization", "Bearer " + f.token}});
    REQUIRE(r.status == 200);
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    std::string glyphs = d["glyphs"].GetString();
    return glyphs.substr(glyphs.find("?v=") + 3);
  };
  auto glyphs_of = [&](const std::string& range) {
    HttpResult r = http(server.port(), "GET", kStack + range + ".pbf?v=" + version());
    REQUIRE(r.status == 200);
    auto stacks = test::decode_glyphs(r.body);
    REQUIRE(stacks.size() == 1);
    return stacks[0];
  };
  // U+5100-51FF: 光 (光明社区) is in a name, 儿 is not; the font has both.
  tiles::GlyphFont font{std::string(tiles::kDefaultFontPath)};
  auto whole = test::decode_glyphs(font.render(0x5100)).at(0);
  REQUIRE(whole.find(0x5149));
  REQUIRE(whole.find(0x513F));
  std::string before = version();
  auto subset = glyphs_of("20736-20991");
  CHECK(subset.find(0x5149));
  CHECK_FALSE(subset.find(0x513F));
  CHECK(subset.glyphs.size() * 10 < whole.glyphs.size());
  // Latin and digits are always there (codes label areas without a name).
  auto latin = glyphs_of("0-255");
  CHECK(latin.find('7'));
  CHECK(latin.find('A'));
  // A grid renamed 儿童乐园网格: its characters join, under another version.
  HttpResult grid = http(server.port(), "GET", "/api/v1/grids/150102001001001", "",
                         {{"Authorization", "Bearer " + admin}});
  REQUIRE(grid.status == 200);
  HttpResult renamed = http(server.port(), "PATCH", "/api/v1/grids/150102001001001",
                            "{\"type\":\"Feature\",\"properties\":{\"name\":\"儿童乐园网格\"}}",
                            {{"Authorization", "Bearer " + admin},
                             {"Content-Type", "application/json"},
                             {"If-Match", grid.headers["etag"]}});
  INFO(renamed.body);
  REQUIRE(renamed.status == 200);
  std::string after;
  for (int i = 0; i < 50 && (after = version()) == before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(after != before);
  CHECK(glyphs_of("20736-20991").find(0x513F));
}

TEST_CASE("serve --font takes another font, and refuses a missing or unreadable one at startup") {
  Fixture f;
  const std::string dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (!std::filesystem::exists(dejavu)) {
    WARN("no DejaVu Sans here; skipping the other font");
  } else {
    test::ServerProcess server(f.db, {"--font", dejavu});
    HttpResult style =
        http(server.port(), "GET", "/style.json", "", {{"Authorization", "Bearer " + f.token}});
    CHECK(style.body.find("\"text-font\":[\"DejaVu Sans\"]") != std::string::npos);
    CHECK(http(server.port(), "GET", "/fonts/DejaVu%20Sans/0-255.pbf").status == 200);
    check_problem(http(server.port(), "GET", kStack + "0-255.pbf"), 404);
  }
  std::string missing = f.dir.file("missing.ttf"), text = f.dir.file("text.ttf");
  test::write_file(text, "not a font");
  for (const std::string& font : {missing, text}) {
    auto r = test::run_gridmap({"serve", "--db", f.db, "--listen", "127.0.0.1:0", "--font", font});
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(font) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}
