// Open311 GeoReport v2 over the petitions, checked against the specification's example
// payloads (tests/data/open311/): every member of an example is in our answer, with the same
// JSON type where the example's is not null; the example POST is accepted as it is.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <string>

#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

rapidjson::Document example(const std::string& name) {
  rapidjson::Document d;
  d.Parse(test::read_file(GRIDMAP_TEST_DATA "/open311/" + name).c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

// Every member of `model` is in `ours`, of the same type unless one of them is null.
void check_shape(const rapidjson::Value& model, const rapidjson::Value& ours) {
  REQUIRE(model.IsObject());
  REQUIRE(ours.IsObject());
  for (auto& m : model.GetObject()) {
    std::string name = m.name.GetString();
    INFO("member " << name);
    REQUIRE(ours.HasMember(m.name));
    const rapidjson::Value& v = ours[m.name];
    if (m.value.IsNull() || v.IsNull()) continue;
    if (m.value.IsNumber())
      CHECK(v.IsNumber());
    else
      CHECK(v.GetType() == m.value.GetType());
  }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// An Open311 error: a list of {code, description} with the HTTP status as its code.
void check_error(const test::HttpResult& r, int status) {
  INFO(r.body);
  CHECK(r.status == status);
  auto d = test::json(r);
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 1);
  check_shape(example("errors.json")[0], d[0]);
  CHECK(d[0]["code"].GetInt() == status);
}

}  // namespace

TEST_CASE("Open311 services are the catalogue's reportable categories, in JSON and XML",
          "[engines]") {
  test::RoleServer s;
  uint16_t port = s.server->port();
  auto list = test::http(port, "GET", "/open311/v2/services.json");  // public
  REQUIRE(list.status == 200);
  auto d = test::json(list);
  REQUIRE(d.IsArray());
  auto model = example("services.json");
  bool noise = false;
  for (auto& svc : d.GetArray()) {
    check_shape(model[0], svc);
    std::string code = svc["service_code"].GetString();
    CHECK(code != "city_appearance");  // a 大类 with 小类 takes no petition
    if (code == "noise") {
      noise = true;
      CHECK(std::string(svc["service_name"].GetString()) == "噪声扰民");
      CHECK(std::string(svc["group"].GetString()) == "市容环境");
      CHECK(svc["metadata"].GetBool() == false);
      CHECK(std::string(svc["description"].GetString()).find("3") != std::string::npos);
    }
  }
  CHECK(noise);
  auto def = test::http(port, "GET", "/open311/v2/services/noise.json");
  REQUIRE(def.status == 200);
  check_shape(example("service_definition.json"), test::json(def));
  check_error(test::http(port, "GET", "/open311/v2/services/city_appearance.json"), 404);
  check_error(test::http(port, "GET", "/open311/v2/services/nothing.json"), 404);
  auto xml = test::http(port, "GET", "/open311/v2/services.xml");
  REQUIRE(xml.status == 200);
  CHECK(xml.headers.at("content-type").rfind("text/xml", 0) == 0);
  CHECK(xml.body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0) == 0);
  CHECK(xml.body.find("<services><service><service_code>") != std::string::npos);
  CHECK(xml.body.find("<service_code>noise</service_code><service_name>噪声扰民</service_name>") !=
        std::string::npos);
  auto discovery = test::json(test::http(port, "GET", "/open311/v2/discovery.json"));
  CHECK(std::string(discovery["endpoints"][0]["specification"].GetString()) ==
        "http://wiki.open311.org/GeoReport_v2");
  check_error(test::http(port, "GET", "/open311/v2/services.yaml"), 404);
}

TEST_CASE(
    "the specification's example POST reports a petition, read back by GET requests without the "
    "reporter's details",
    "[engines]") {
  test::RoleServer s;
  uint16_t port = s.server->port();
  auto [lon, lat] = s.point_in(test::RoleServer::kFirstGrid);
  std::string body = test::read_file(GRIDMAP_TEST_DATA "/open311/post_request.txt");
  while (!body.empty() && body.back() == '\n') body.pop_back();
  body = replace(body, "API_KEY", s.tokens["dispatcher"]);
  body = replace(body, "SERVICE_CODE", "noise");
  body = replace(body, "LAT", std::to_string(lat));
  body = replace(body, "LONG", std::to_string(lon));
  auto posted = test::http(port, "POST", "/open311/v2/requests.json", body,
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  INFO(posted.body);
  REQUIRE(posted.status == 200);
  auto p = test::json(posted);
  REQUIRE(p.IsArray());
  REQUIRE(p.Size() == 1);
  check_shape(example("post_response.json")[0], p[0]);
  std::string id = p[0]["service_request_id"].GetString();
  CHECK(std::stoll(id) > 0);

  // GET request/{id}, the key in the query.
  auto one = test::http(port, "GET",
                        "/open311/v2/requests/" + id + ".json?api_key=" + s.tokens["dispatcher"]);
  REQUIRE(one.status == 200);
  auto r = test::json(one);
  REQUIRE(r.Size() == 1);
  check_shape(example("requests.json")[0], r[0]);
  CHECK(std::string(r[0]["service_request_id"].GetString()) == id);
  CHECK(std::string(r[0]["status"].GetString()) == "open");
  CHECK(std::string(r[0]["status_notes"].GetString()) == "gridmap: reported");
  CHECK(std::string(r[0]["service_code"].GetString()) == "noise");
  CHECK(std::abs(r[0]["lat"].GetDouble() - lat) < 1e-6);
  CHECK(std::abs(r[0]["long"].GetDouble() - lon) < 1e-6);
  CHECK(std::string(r[0]["description"].GetString()).find("sinkhole") != std::string::npos);
  CHECK(std::string(r[0]["address_id"].GetString()) == test::RoleServer::kFirstGrid);
  CHECK(std::string(r[0]["requested_datetime"].GetString()).back() == 'Z');
  CHECK(!r[0]["expected_datetime"].IsNull());
  // The reporter's name, phone and e-mail went to the protected contact, not to answers.
  for (const char* secret : {"smith", "111111111", "sfgov"})
    CHECK(one.body.find(secret) == std::string::npos);
  auto native = s.get("/api/v1/petitions/" + id, "dispatcher");
  REQUIRE(native.status == 200);
  for (const char* secret : {"smith", "111111111", "sfgov"})
    CHECK(native.body.find(secret) == std::string::npos);

  // GET requests with the standard filters, newest first.
  auto has = [&](const std::string& query) {
    auto list = test::http(port, "GET", "/open311/v2/requests.json?" + query, "",
                           {{"Authorization", "Bearer " + s.tokens["dispatcher"]}});
    INFO(query << " -> " << list.body.substr(0, 300));
    REQUIRE(list.status == 200);
    auto d = test::json(list);
    REQUIRE(d.IsArray());
    CHECK(d.Size() <= 1000);
    for (auto& x : d.GetArray())
      if (std::string(x["service_request_id"].GetString()) == id) return true;
    return false;
  };
  CHECK(has("service_code=noise&status=open"));
  CHECK(has("service_code=noise,environment"));
  CHECK(has("service_request_id=1," + id));
  CHECK_FALSE(has("status=closed"));
  CHECK_FALSE(has("service_code=environment"));
  CHECK_FALSE(has("start_date=2099-01-01&end_date=2099-02-01"));
  CHECK(has("start_date=2020-01-01"));

  // XML too.
  auto xml = test::http(port, "GET",
                        "/open311/v2/requests/" + id + ".xml?api_key=" + s.tokens["dispatcher"]);
  REQUIRE(xml.status == 200);
  CHECK(xml.body.find("<service_requests><request><service_request_id>" + id +
                      "</service_request_id>") != std::string::npos);

  // The same report as JSON.
  auto json_post =
      test::http(port, "POST", "/open311/v2/requests.json",
                 "{\"api_key\":\"" + s.tokens["dispatcher"] +
                     "\",\"service_code\":\"noise\",\"lat\":" + std::to_string(lat) +
                     ",\"long\":" + std::to_string(lon) + ",\"description\":\"深夜施工\"}",
                 {{"Content-Type", "application/json"}});
  INFO(json_post.body);
  CHECK(json_post.status == 200);
}

TEST_CASE(
    "Open311 refuses bad reports and keys with its own error list, and holds workers to their "
    "patch",
    "[engines]") {
  test::RoleServer s;
  uint16_t port = s.server->port();
  auto [lon, lat] = s.point_in(test::RoleServer::kFirstGrid);
  std::string place = "&lat=" + std::to_string(lat) + "&long=" + std::to_string(lon);
  auto form = [&](const std::string& body) {
    return test::http(port, "POST", "/open311/v2/requests.json", body,
                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  };
  std::string key = "api_key=" + s.tokens["dispatcher"];
  check_error(form("service_code=noise" + place), 401);                            // no key
  check_error(form("api_key=not-a-token&service_code=noise" + place), 401);        // a wrong one
  check_error(form(key + place), 400);                                             // no service
  check_error(form(key + "&service_code=city_appearance" + place), 400);           // not reportable
  check_error(form(key + "&service_code=noise&lat=" + std::to_string(lat)), 400);  // no long
  check_error(form(key + "&service_code=noise&lat=north&long=1"), 400);
  check_error(form(key + "&service_code=noise&colour=red" + place), 400);  // not a GeoReport field
  auto xml = test::http(port, "POST", "/open311/v2/requests.xml", "service_code=noise" + place,
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(xml.status == 401);
  CHECK(xml.body.find("<errors><error><code>401</code><description>") != std::string::npos);
  check_error(test::http(port, "GET", "/open311/v2/requests.json?status=pending&" + key), 400);
  check_error(test::http(port, "GET", "/open311/v2/requests.json?colour=red&" + key), 400);
  check_error(test::http(port, "GET", "/open311/v2/requests.json"), 401);
  check_error(test::http(port, "GET", "/open311/v2/requests.json?api_key=" + s.tokens["planner"]),
              403);
  // A worker sees their grid's requests, not another grid's.
  int64_t other = s.report("150102001009001");
  int64_t own = s.report(test::RoleServer::kFirstGrid);
  std::string worker = "?api_key=" + s.tokens["worker"];
  check_error(
      test::http(port, "GET", "/open311/v2/requests/" + std::to_string(other) + ".json" + worker),
      404);
  CHECK(test::http(port, "GET", "/open311/v2/requests/" + std::to_string(own) + ".json" + worker)
            .status == 200);
  auto mine = test::json(test::http(port, "GET", "/open311/v2/requests.json" + worker));
  REQUIRE(mine.IsArray());
  CHECK(mine.Size() > 0);
  for (auto& x : mine.GetArray())
    CHECK(std::string(x["service_request_id"].GetString()) != std::to_string(other));
}
