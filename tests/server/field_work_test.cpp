// Field work over HTTP: attachments (every type, lies about types, size cap, an upload cut
// short, metadata stripped, thumbnails, access), visits (scope, distance, form, a case
// raised in one step) and the work log (entries, versions, locking, supervisors).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "data/db.hpp"
#include "data/households.hpp"
#include "data/media.hpp"
#include "support/city_support.hpp"
#include "support/media_samples.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;
using test::check_problem;
using test::count_rows;
using test::household_in;
using test::http;
using test::HttpResult;
using test::json;
using test::RoleServer;

namespace {

HttpResult upload(RoleServer& s, const std::string& role, const std::string& target,
                  const std::string& bytes, const std::string& type) {
  return http(s.server->port(), "POST", target, bytes,
              {{"Authorization", "Bearer " + s.tokens.at(role)}, {"Content-Type", type}});
}

HttpResult get_as(RoleServer& s, const std::string& role, const std::string& target,
                  std::map<std::string, std::string> headers = {}) {
  headers["Authorization"] = "Bearer " + s.tokens.at(role);
  return http(s.server->port(), "GET", target, "", headers);
}

// The content files stored in the server's attachments directory (not its temp directory).
size_t stored_files(const std::string& files_dir) {
  size_t n = 0;
  std::filesystem::path dir = files_dir;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().parent_path().filename() != "tmp") ++n;
  return n;
}

// A point `metres` north of p.
LonLat north_of(LonLat p, double metres) {
  return {p.lon, p.lat + metres / 111320.0};
}

std::string visit_body(int64_t household, std::optional<LonLat> at, const std::string& more = "") {
  std::string b = "{\"household_id\":" + std::to_string(household);
  if (at) b += ",\"lon\":" + std::to_string(at->lon) + ",\"lat\":" + std::to_string(at->lat);
  return b + more + "}";
}

}  // namespace

TEST_CASE(
    "attachments: every type is stored clean, served with its thumbnail and deleted with its "
    "file",
    "[engines]") {
  RoleServer s;
  int64_t id = s.report(RoleServer::kFirstGrid);
  std::string base = "/api/v1/petitions/" + std::to_string(id) + "/attachments";
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  LonLat taken = north_of({lon, lat}, 12);
  struct Case {
    std::string name, type, bytes, stored_type;
    bool thumbnail;
  };
  std::vector<Case> cases = {
      {"jpeg", "image/jpeg", test::sample_jpeg(640, 480, {"2026:12:07 14:05:00", taken, 1}),
       "image/jpeg", true},
      {"png", "image/png", test::sample_png(300, 200), "image/png", true},
      {"webp", "image/webp", test::sample_webp(400, 300), "image/webp", true},
      {"pdf", "application/pdf", test::sample_pdf(), "application/pdf", false},
  };
  if (auto heic = test::sample_heic(64, 48))
    cases.push_back({"heic", "image/heic", *heic, "image/jpeg", true});
  else
    WARN("no HEIC encoder here: HEIC upload not tested");
  for (const Case& c : cases) {
    INFO(c.name);
    HttpResult r =
        upload(s, "worker", base + "?stage=before&name=" + c.name + ".bin", c.bytes, c.type);
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto a = json(r);
    CHECK(std::string(a["content_type"].GetString()) == c.stored_type);
    CHECK(std::string(a["stage"].GetString()) == "before");
    CHECK(std::string(a["uploaded_by"].GetString()) == "worker1");
    std::string url = a["url"].GetString();
    HttpResult f = get_as(s, "worker", url);
    REQUIRE(f.status == 200);
    CHECK(f.headers["content-type"] == c.stored_type);
    CHECK(f.headers["x-content-type-options"] == "nosniff");
    CHECK(!data::media::has_metadata(f.body));
    CHECK(data::media::sniff(f.body).has_value());
    if (c.name == "jpeg") {
      CHECK(test::has_exif(c.bytes));  // the upload carried EXIF ...
      CHECK(!test::has_exif(f.body));  // ... the stored copy none
      REQUIRE(a["taken_at"].IsString());
      CHECK(std::string(a["taken_at"].GetString()) == "2026-12-07T06:05:00Z");  // 14:05 China time
      REQUIRE(a["taken_distance_m"].IsNumber());
      CHECK(a["taken_distance_m"].GetDouble() == Approx(12).margin(1));
    }
    if (c.name == "pdf") CHECK(f.headers["content-disposition"].rfind("attachment", 0) == 0);
    if (c.thumbnail) {
      HttpResult t = get_as(s, "worker", a["thumbnail_url"].GetString());
      REQUIRE(t.status == 200);
      CHECK(t.headers["content-type"] == "image/jpeg");
      auto info = data::media::process(t.body);
      CHECK(std::max(info.width, info.height) <= 320);
      std::string etag = t.headers["etag"];
      REQUIRE(!etag.empty());
      HttpResult again =
          get_as(s, "worker", a["thumbnail_url"].GetString(), {{"If-None-Match", etag}});
      CHECK(again.status == 304);
      CHECK(again.body.empty());
    } else {
      CHECK(a["thumbnail_url"].IsNull());
    }
  }
  auto list = json(get_as(s, "dispatcher", base));
  REQUIRE(list.Size() == cases.size());
  size_t files = stored_files(s.files_dir);
  CHECK(files >= cases.size());
  // The same photo twice is stored once; deleting one reference keeps the file.
  std::string jpeg = cases[0].bytes;
  int64_t again = json(upload(s, "worker", base, jpeg, "image/jpeg"))["id"].GetInt64();
  CHECK(stored_files(s.files_dir) == files);
  CHECK(s.as("worker", "DELETE", "/api/v1/attachments/" + std::to_string(again)).status == 204);
  CHECK(stored_files(s.files_dir) == files);
  CHECK(get_as(s, "worker", list[0]["url"].GetString()).status == 200);
  // Deleting every attachment deletes every file.
  for (auto& a : list.GetArray())
    CHECK(s.as("dispatcher", "DELETE", "/api/v1/attachments/" + std::to_string(a["id"].GetInt64()))
              .status == 204);
  CHECK(stored_files(s.files_dir) == 0);
  CHECK(count_rows(s.db, "SELECT count(*) FROM attachments") == 0);
  check_problem(get_as(s, "worker", list[0]["url"].GetString()), 404, "not_found");
}

TEST_CASE(
    "attachments: lies about the type, an over-size body and an upload cut short store nothing",
    "[engines]") {
  RoleServer s;
  int64_t id = s.report(RoleServer::kFirstGrid);
  std::string base = "/api/v1/petitions/" + std::to_string(id) + "/attachments";
  // A PNG signature on garbage, a script named a photo, a JPEG sent as a PNG, nothing at all.
  std::string fake_png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(200, 'x');
  check_problem(upload(s, "worker", base, fake_png, "image/png"), 400);
  check_problem(
      upload(s, "worker", base + "?name=photo.jpg", "#!/bin/sh\nrm -rf /\n", "image/jpeg"), 415);
  check_problem(upload(s, "worker", base, test::sample_jpeg(32, 32, {}), "image/png"), 415);
  check_problem(upload(s, "worker", base, "", "image/jpeg"), 400);
  std::string truncated = test::sample_jpeg(256, 256, {});
  truncated.resize(truncated.size() / 2);
  check_problem(upload(s, "worker", base, truncated, "image/jpeg"), 400);
  check_problem(upload(s, "worker", base + "?stage=yesterday", test::sample_png(8, 8), "image/png"),
                400);
  // Past the 10 MB cap: 413, whatever the content.
  check_problem(upload(s, "worker", base, std::string((10u << 20) + 1, '\xff'), "image/jpeg"), 413);
  // A client that goes away midway through its body.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(s.server->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string photo = test::sample_jpeg(1024, 768, {});
    std::string head =
        "POST " + base + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.tokens.at("worker") +
        "\r\nContent-Type: image/jpeg\r\nContent-Length: " + std::to_string(photo.size()) +
        "\r\n\r\n";
    std::string half = head + photo.substr(0, photo.size() / 2);
    REQUIRE(::send(fd, half.data(), half.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(half.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(count_rows(s.db, "SELECT count(*) FROM attachments") == 0);
  CHECK(stored_files(s.files_dir) == 0);
  CHECK(s.get("/healthz").status == 200);
}

TEST_CASE("attachments: a multipart form works, and a record out of reach hides its files",
          "[engines]") {
  RoleServer s;
  int64_t mine = s.report(RoleServer::kFirstGrid);
  std::string boundary = "----gridmapBoundary7MA4YWxk";
  std::string photo = test::sample_png(50, 40);
  std::string form = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\nafter\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"现场.png\"\r\n"
                     "Content-Type: image/png\r\n\r\n" +
                     photo + "\r\n--" + boundary + "--\r\n";
  HttpResult r = upload(s, "worker", "/api/v1/petitions/" + std::to_string(mine) + "/attachments",
                        form, "multipart/form-data; boundary=" + boundary);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto a = json(r);
  CHECK(std::string(a["stage"].GetString()) == "after");
  CHECK(std::string(a["file_name"].GetString()) == "现场.png");
  std::string url = a["url"].GetString();
  // A malformed form is refused.
  check_problem(
      upload(s, "worker", "/api/v1/petitions/" + std::to_string(mine) + "/attachments",
             "--" + boundary + "\r\ngarbage", "multipart/form-data; boundary=" + boundary),
      400);
  // A case of another grid: its files do not exist for the worker, as a missing one.
  data::Household theirs = household_in(s.db, RoleServer::kFirstGrid, false);
  HttpResult other = s.as("dispatcher", "POST", "/api/v1/petitions",
                          "{\"lon\":" + std::to_string(theirs.position.lon) + ",\"lat\":" +
                              std::to_string(theirs.position.lat) + ",\"category\":\"noise\"}");
  int64_t theirs_id = json(other)["id"].GetInt64();
  auto d = json(upload(s, "dispatcher",
                       "/api/v1/petitions/" + std::to_string(theirs_id) + "/attachments",
                       test::sample_png(20, 20), "image/png"));
  std::string their_url = d["url"].GetString();
  for (const std::string& target :
       {their_url, their_url + "/thumbnail",
        "/api/v1/petitions/" + std::to_string(theirs_id) + "/attachments"}) {
    INFO(target);
    auto out = get_as(s, "worker", target);
    check_problem(out, 404, "not_found");
  }
  check_problem(get_as(s, "worker", "/api/v1/attachments/99999999"), 404, "not_found");
  check_problem(
      upload(s, "worker", "/api/v1/petitions/" + std::to_string(theirs_id) + "/attachments",
             test::sample_png(20, 20), "image/png"),
      404, "not_found");
  CHECK(s.as("worker", "DELETE", their_url.c_str()).status == 404);
  // Planners read no single case, so no file of one.
  CHECK(get_as(s, "planner", url).status == 403);
  CHECK(get_as(s, "dispatcher", url).status == 200);
}

TEST_CASE("a category that closes on evidence needs a photo of the result first", "[engines]") {
  RoleServer s;
  auto [lon, lat] = s.point_in(RoleServer::kFirstGrid);
  HttpResult r = s.as("worker", "POST", "/api/v1/petitions",
                      "{\"lon\":" + std::to_string(lon) + ",\"lat\":" + std::to_string(lat) +
                          ",\"category\":\"environment\",\"description\":\"垃圾堆放\"}");
  int64_t id = json(r)["id"].GetInt64();
  std::string close = "{\"to\":\"closed\",\"note\":\"已清理\"}";
  HttpResult refused = s.move(id, close, "worker");
  check_problem(refused, 409);
  CHECK(json(refused)["detail"].GetString() != std::string());
  std::string base = "/api/v1/petitions/" + std::to_string(id) + "/attachments";
  REQUIRE(
      upload(s, "worker", base + "?stage=before", test::sample_png(20, 20), "image/png").status ==
      201);
  check_problem(s.move(id, close, "worker"), 409);  // a photo before handling is not the result
  REQUIRE(
      upload(s, "worker", base + "?stage=after", test::sample_png(21, 20), "image/png").status ==
      201);
  CHECK(s.move(id, close, "worker").status == 200);
  // A closed case keeps its files as they are.
  check_problem(upload(s, "worker", base + "?stage=after", test::sample_png(22, 20), "image/png"),
                409);
  auto files = json(get_as(s, "worker", base));
  check_problem(
      s.as("worker", "DELETE", "/api/v1/attachments/" + std::to_string(files[0]["id"].GetInt64())),
      409);
}

TEST_CASE(
    "visits: in the worker's grids only, near the household or with a reason, with the form's "
    "answers",
    "[engines]") {
  RoleServer s;
  data::Household mine = household_in(s.db, RoleServer::kFirstGrid, true);
  data::Household theirs = household_in(s.db, RoleServer::kFirstGrid, false);
  std::string route = "/api/v1/workers/1/visits";
  // On the doorstep: recorded with the distance and the answers typed as the form says.
  HttpResult ok =
      s.as("worker", "POST", route,
           visit_body(*mine.id, north_of(mine.position, 15),
                      ",\"duration_min\":20,\"note\":\"老人身体好\",\"form\":{\"residents_met\":2,"
                      "\"risk_flags\":[\"独居老人无人照料\"],\"household_present\":true}"));
  INFO(ok.body);
  REQUIRE(ok.status == 201);
  auto v = json(ok);
  CHECK(v["distance_m"].GetDouble() == Approx(15).margin(1));
  CHECK(v["form"]["residents_met"].GetInt64() == 2);
  CHECK(std::string(v["form"]["risk_flags"][0].GetString()) == "独居老人无人照料");
  CHECK(v["form"]["household_present"].GetBool());
  CHECK(v["duration_min"].GetInt64() == 20);
  // 500 m away without a reason: refused; with one: kept, with the reason.
  check_problem(s.as("worker", "POST", route, visit_body(*mine.id, north_of(mine.position, 500))),
                400);
  check_problem(s.as("worker", "POST", route, visit_body(*mine.id, std::nullopt)), 400);
  HttpResult away =
      s.as("worker", "POST", route,
           visit_body(*mine.id, north_of(mine.position, 500), ",\"off_site_reason\":\"电话走访\""));
  REQUIRE(away.status == 201);
  CHECK(std::string(json(away)["off_site_reason"].GetString()) == "电话走访");
  // Out of the patch: the same 404 as a household that does not exist.
  HttpResult outside = s.as("worker", "POST", route, visit_body(*theirs.id, theirs.position));
  HttpResult missing = s.as("worker", "POST", route, visit_body(99999999, theirs.position));
  check_problem(outside, 404, "not_found");
  check_problem(missing, 404, "not_found");
  CHECK(json(outside)["detail"].GetString() == "no household " + std::to_string(*theirs.id));
  CHECK(json(missing)["detail"].GetString() == std::string("no household 99999999"));
  // The form: unknown fields, wrong types and options are refused.
  LonLat door = mine.position;
  check_problem(
      s.as("worker", "POST", route, visit_body(*mine.id, door, ",\"form\":{\"mood\":\"good\"}")),
      400);
  check_problem(s.as("worker", "POST", route,
                     visit_body(*mine.id, door, ",\"form\":{\"residents_met\":\"two\"}")),
                400);
  check_problem(s.as("worker", "POST", route,
                     visit_body(*mine.id, door, ",\"form\":{\"risk_flags\":[\"外星人\"]}")),
                400);
  // Time: not in the future, not a year back.
  check_problem(
      s.as("worker", "POST", route, visit_body(*mine.id, door, ",\"at\":\"2099-01-01T00:00:00Z\"")),
      400);
  check_problem(
      s.as("worker", "POST", route, visit_body(*mine.id, door, ",\"at\":\"2020-01-01T00:00:00Z\"")),
      400);
  // A subdistrict's own form, with a required field.
  std::string sub = mine.subdistrict_code.value();
  HttpResult put = s.send("PUT", "/api/v1/visit-form",
                          "{\"subdistrict\":\"" + sub +
                              "\",\"fields\":[{\"key\":\"elderly\",\"label\":\"老人人数\","
                              "\"type\":\"integer\",\"required\":true}]}");
  INFO(put.body);
  REQUIRE(put.status == 200);
  check_problem(s.as("worker", "POST", route, visit_body(*mine.id, door)), 400);
  CHECK(s.as("worker", "POST", route, visit_body(*mine.id, door, ",\"form\":{\"elderly\":1}"))
            .status == 201);
  auto form = json(s.as("worker", "GET", "/api/v1/visit-form?subdistrict=" + sub));
  CHECK(std::string(form["fields"][0]["key"].GetString()) == "elderly");
  CHECK(s.as("worker", "PUT", "/api/v1/visit-form", "{\"fields\":[]}").status == 403);
  // A visit raises a case in one step, at the household.
  HttpResult raised =
      s.as("worker", "POST", route,
           visit_body(*mine.id, door,
                      ",\"form\":{\"elderly\":0},\"petition\":{\"category\":\"welfare\","
                      "\"description\":\"需要助餐服务\"}"));
  REQUIRE(raised.status == 201);
  auto rv = json(raised);
  REQUIRE(rv["petition_id"].IsInt64());
  auto p = json(s.get("/api/v1/petitions/" + std::to_string(rv["petition_id"].GetInt64())));
  CHECK(std::string(p["properties"]["category"].GetString()) == "welfare");
  CHECK(p["geometry"]["coordinates"][0].GetDouble() == Approx(mine.position.lon));
  // A bad case leaves no visit behind.
  int64_t before = count_rows(s.db, "SELECT count(*) FROM visits");
  check_problem(
      s.as("worker", "POST", route,
           visit_body(*mine.id, door,
                      ",\"form\":{\"elderly\":0},\"petition\":{\"category\":\"no_such\"}")),
      400);
  CHECK(count_rows(s.db, "SELECT count(*) FROM visits") == before);
  // Read back: the worker's own, a household's history, one visit; not another worker's.
  auto list = json(s.as("worker", "GET", route));
  CHECK(list.Size() >= 4);
  CHECK(json(s.as("worker", "GET", "/api/v1/households/" + std::to_string(*mine.id) + "/visits"))
            .Size() == list.Size());
  CHECK(s.as("admin", "GET", "/api/v1/visits/" + std::to_string(v["id"].GetInt64())).status == 200);
  // What residents said at home is not the centre's to read: the coverage figures are.
  CHECK(s.as("dispatcher", "GET", "/api/v1/visits/" + std::to_string(v["id"].GetInt64())).status ==
        403);
  CHECK(s.as("dispatcher", "GET", "/api/v1/households/" + std::to_string(*mine.id) + "/visits")
            .status == 403);
  check_problem(
      s.as("worker", "GET", "/api/v1/households/" + std::to_string(*theirs.id) + "/visits"), 404);
}

TEST_CASE(
    "the work log: entries through the day, versions kept, locked after three days, read by "
    "supervisors",
    "[engines]") {
  RoleServer s;
  std::string route = "/api/v1/workers/1/worklog";
  auto first = s.as("worker", "POST", route, "{\"text\":\"上午巡查3个小区\"}");
  auto second = s.as("worker", "POST", route, "{\"text\":\"下午入户走访5户\"}");
  REQUIRE(first.status == 201);
  REQUIRE(second.status == 201);
  int64_t entry = json(first)["id"].GetInt64();
  auto list = json(s.as("worker", "GET", "/api/v1/worklog?worker=1"));
  CHECK(list.Size() == 2);  // two entries, nothing overwritten
  // An edit keeps the old text as a version; a stale version is refused.
  std::string item = "/api/v1/worklog/" + std::to_string(entry);
  HttpResult edited =
      http(s.server->port(), "PATCH", item, "{\"text\":\"上午巡查4个小区\"}",
           {{"Authorization", "Bearer " + s.tokens.at("worker")}, {"If-Match", "\"v1\""}});
  REQUIRE(edited.status == 200);
  CHECK(json(edited)["version"].GetInt64() == 2);
  check_problem(
      http(s.server->port(), "PATCH", item, "{\"text\":\"改\"}",
           {{"Authorization", "Bearer " + s.tokens.at("worker")}, {"If-Match", "\"v1\""}}),
      412);
  auto versions = json(s.as("worker", "GET", item + "/versions"));
  REQUIRE(versions.Size() == 2);
  CHECK(std::string(versions[0]["text"].GetString()) == "上午巡查3个小区");
  CHECK(std::string(versions[1]["text"].GetString()) == "上午巡查4个小区");
  // Back-dating: a day or two is fine (an offline phone), a year is not.
  check_problem(
      s.as("worker", "POST", route, "{\"text\":\"补记\",\"at\":\"2025-01-01T09:00:00+08:00\"}"),
      400);
  // An entry four days old is locked, and takes no more files.
  {
    data::Db d = data::Db::open(s.db, false);
    data::Statement st(d, "UPDATE work_log_entries SET at = at - 4 * 86400 WHERE id = ?1");
    st.bind(1, json(second)["id"].GetInt64()).run();
  }
  std::string old_item = "/api/v1/worklog/" + std::to_string(json(second)["id"].GetInt64());
  check_problem(s.as("worker", "PATCH", old_item, "{\"text\":\"改\"}"), 428);  // no If-Match
  check_problem(
      http(s.server->port(), "PATCH", old_item, "{\"text\":\"改\"}",
           {{"Authorization", "Bearer " + s.tokens.at("worker")}, {"If-Match", "\"v1\""}}),
      409);
  check_problem(
      upload(s, "worker", old_item + "/attachments", test::sample_png(10, 10), "image/png"), 409);
  CHECK(json(s.as("worker", "GET", old_item))["locked"].GetBool());
  // The old day route adds an entry or edits the day's last one: never a silent overwrite.
  std::string today = json(first)["day"].GetString();
  REQUIRE(s.as("worker", "PUT", route + "/" + today, "{\"text\":\"全天小结\"}").status == 200);
  auto day = json(s.as("worker", "GET", route + "/" + today));
  CHECK(day["entries"].Size() >= 1);
  CHECK(count_rows(s.db, "SELECT count(*) FROM work_log_versions") >= 2);
  // Supervisors: the dispatcher everyone's, the community's office its area's workers, a
  // worker only their own; planners none.
  s.add_user("community", "community",
             {"--area", std::string(RoleServer::kFirstGrid).substr(0, 12)});
  s.add_user("far_community", "community", {"--area", "150102001009"});
  CHECK(json(s.as("dispatcher", "GET", "/api/v1/worklog?worker=1")).Size() >= 2);
  CHECK(json(s.as("community", "GET", "/api/v1/worklog?worker=1")).Size() >= 2);
  CHECK(json(s.as("far_community", "GET", "/api/v1/worklog?worker=1")).Size() == 0);
  CHECK(s.as("community", "GET", item).status == 200);
  check_problem(s.as("far_community", "GET", item), 404, "not_found");
  CHECK(s.as("planner", "GET", "/api/v1/worklog").status == 403);
  CHECK(s.as("worker", "GET", "/api/v1/worklog?worker=2").status == 403);
  check_problem(s.as("worker", "GET", "/api/v1/worklog?from=yesterday"), 400);
}
