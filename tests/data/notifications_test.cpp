// Notifications from petition events and deadlines, and the webhooks' signature and URLs.
#include "data/notifications.hpp"

#include <catch2/catch.hpp>

#include "data/webhooks.hpp"
#include "support/pg_support.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

std::vector<std::string> kinds(const std::vector<data::Notification>& v) {
  std::vector<std::string> out;
  for (const auto& n : v) out.emplace_back(data::to_string(n.kind));
  return out;
}

}  // namespace

TEST_CASE(
    "petition events become notifications once, a due deadline once per kind, old ones pruned",
    "[engines]") {
  test::TempDir dir;
  data::Db db = data::Db::open(test::test_database(dir.path(), "n.sqlite"));
  data::Notifications store(db);
  store.start();
  db.exec(
      "INSERT INTO petitions(id, kind, category, status, reporter_contact, created_at, "
      "deadline_at, geom) "
      "VALUES (1, 'appeal', 'noise', 'in_progress', '13800000000', 100, 1000, MakePoint(111.7, "
      "40.8, 4326))");
  db.exec(
      "INSERT INTO petition_events(petition_id, at, actor, action, from_status, to_status) VALUES "
      "(1, 100, 'a', 'report', NULL, 'reported'), (1, 110, 'a', 'transition', 'reported', "
      "'registered'), "
      "(1, 120, 'a', 'transition', 'registered', 'dispatched'), "
      "(1, 130, 'a', 'escalate', 'dispatched', 'dispatched'), "
      "(1, 140, 'a', 'transition', 'pending_review', 'in_progress')");
  auto first = store.collect(500, 600, 500000);
  // 立案 (registered) is any other change: "moved".
  CHECK(kinds(first) == std::vector<std::string>{"new_case", "moved", "dispatched", "escalated",
                                                 "reopened", "deadline_soon"});
  CHECK(first[1].status == "registered");  // the state the event left
  CHECK(first[2].status == "dispatched");
  CHECK(store.collect(510, 600, 510000).empty());
  auto late = store.collect(2000, 600, 2000000);
  CHECK(kinds(late) == std::vector<std::string>{"overdue"});
  CHECK(store.collect(2100, 600, 2100000).empty());
  // A suspended case's clock stands still: a new deadline is not warned about meanwhile.
  db.exec("UPDATE petitions SET status = 'suspended', deadline_at = 2500 WHERE id = 1");
  CHECK(store.collect(2200, 600, 2200000).empty());
  auto all = store.after(0, 100);
  REQUIRE(all.size() == 7);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i].id > all[i - 1].id);
  CHECK(store.after(all[4].id, 100).size() == 2);
  std::string json = data::notification_json(all[0]);
  CHECK(json.find("13800000000") == std::string::npos);
  CHECK(json.find("\"kind\":\"new_case\"") != std::string::npos);
  CHECK(store.prune(150) == 5);  // the events' notifications; the due ones are newer
  CHECK(store.after(0, 100).size() == 2);
  CHECK(store.newest() == all.back().id);
}

TEST_CASE("the webhook signature is HMAC-SHA256 in hex (RFC 4231 case 2) and URLs are plain http") {
  CHECK(data::webhook_signature("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto u = data::parse_http_url("http://127.0.0.1:8080/hooks/a?x=1");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8080");
  CHECK(u->target == "/hooks/a?x=1");
  auto plain = data::parse_http_url("http://hooks.example.gov.cn");
  REQUIRE(plain);
  CHECK(plain->port == "80");
  CHECK(plain->target == "/");
  for (const char* bad :
       {"https://x/", "http://", "http://user@x/", "http://x:0/", "http://x:70000/", "http://x/a b",
        "http://x/#frag", "ftp://x/", "http://[::1]/"})
    CHECK_FALSE(data::parse_http_url(bad));
  CHECK(data::random_secret().size() == 64);
  CHECK(data::random_secret() != data::random_secret());
}
