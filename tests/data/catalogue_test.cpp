// The category catalogue: two levels, working-time deadlines, CSV import (all rows or none,
// each bad row reported) and export, and what a new petition may be filed under.
#include <catch2/catch.hpp>

#include <sstream>

#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/locator.hpp"
#include "data/petition_service.hpp"
#include "data/time.hpp"
#include "data/work_calendar.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"

using namespace gridmap;

namespace {

struct Scratch {
  test::TempDir dir;
  data::Db db = data::Db::open(dir.file("c.db"));

  data::CatalogueImport import(const std::string& text) {
    std::istringstream in(text);
    data::Transaction tx(db);
    data::CatalogueImport r = data::Catalogue(db).import_csv(in);
    tx.commit();
    return r;
  }
  int64_t count() {
    data::Statement st(db, "SELECT count(*) FROM categories");
    st.step();
    return st.int64(0);
  }
};

const char* const kGood =
    "code,name,name_en,parent,level,deadline,on_site_close,photos_to_close\n"
    "noise,噪声扰民,Noise,city,grid,3d,yes,no\n"  // a 小类 before its 大类
    "city,市容环境,City appearance,,grid,3d,yes,no\n"
    "ads,乱贴乱画,Posters,city,community,48h,no,yes\n"
    "gas,燃气隐患,Gas,,department,4h,0,1\n";

}  // namespace

TEST_CASE("a catalogue file imports in two levels and exports as it came in") {
  Scratch s;
  data::CatalogueImport r = s.import(kGood);
  REQUIRE(r.committed());
  CHECK(r.added == 4);
  data::Catalogue cat(s.db);
  std::vector<data::CatalogueEntry> all = cat.list();
  REQUIRE(all.size() == 4);
  // 大类 first, each followed by its 小类.
  CHECK(all[0].code == "city");
  CHECK(all[1].code == "ads");
  CHECK(all[2].code == "noise");
  CHECK(all[3].code == "gas");
  data::CatalogueEntry ads = *cat.get("ads");
  CHECK(ads.parent == "city");
  CHECK(ads.level == data::Level::community);
  CHECK(ads.deadline == 48);
  CHECK(ads.unit == data::DeadlineUnit::working_hours);
  CHECK_FALSE(ads.on_site_close);
  CHECK(ads.photos_to_close);
  CHECK(cat.get("noise")->unit == data::DeadlineUnit::working_days);
  // Only what has no 小类 takes petitions.
  CHECK(cat.petition_codes() == "ads, gas, noise");
  CHECK_THROWS_WITH(cat.for_new_petition("city"), Catch::Contains("大类"));
  CHECK_THROWS_WITH(cat.for_new_petition("nope"), Catch::Contains("unknown category 'nope'") &&
                                                      Catch::Contains("ads, gas, noise"));
  // Exported and imported again: nothing changes.
  std::ostringstream out;
  cat.export_csv(out);
  data::CatalogueImport again = s.import(out.str());
  REQUIRE(again.committed());
  CHECK(again.unchanged == 4);
  CHECK(again.added + again.updated == 0);
  // A changed row is an update.
  data::CatalogueImport changed = s.import(
      "code,name,deadline,parent\n"
      "ads,乱贴乱画,2d,city\n");
  REQUIRE(changed.committed());
  CHECK(changed.updated == 1);
  CHECK(cat.get("ads")->unit == data::DeadlineUnit::working_days);
}

TEST_CASE("a catalogue file with bad rows imports nothing and names each row") {
  Scratch s;
  REQUIRE(s.import(kGood).committed());
  std::string bad =
      "code,name,name_en,parent,level,deadline,on_site_close,photos_to_close\n"
      "fine,好的,,city,grid,1d,yes,no\n"        // line 2: under city, which line 12 makes a 小类
      "water,供水,,utilities,grid,2d,yes,no\n"  // 3: unknown parent
      "leak,漏水,,ads,grid,2d,yes,no\n"         // 4: a parent that is a 小类
      "late,超时,,,grid,0h,yes,no\n"            // 5: a zero deadline
      "slow,慢,,,grid,3w,yes,no\n"              // 6: not hours or days
      "who,谁,,,province,3d,yes,no\n"           // 7: unknown level
      "flag,旗,,,grid,3d,maybe,no\n"            // 8: not yes or no
      "bad code,坏,,,grid,3d,yes,no\n"          // 9: a code with a space
      ",无码,,,grid,3d,yes,no\n"                // 10: no code
      "fine,又一次,,city,grid,1d,yes,no\n"      // 11: listed twice
      "city,市容环境,,gas,grid,3d,yes,no\n";    // 12: a 大类 with 小类 made a 小类
  data::CatalogueImport r = s.import(bad);
  CHECK_FALSE(r.committed());
  std::vector<int64_t> lines;
  for (const data::CatalogueIssue& i : r.issues) lines.push_back(i.line);
  CHECK(lines == std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK_THAT(r.issues[0].message, Catch::Contains("parent 'city' is itself a 小类"));
  CHECK_THAT(r.issues[1].message, Catch::Contains("unknown parent 'utilities'"));
  CHECK_THAT(r.issues[2].message, Catch::Contains("parent 'ads' is itself a 小类"));
  CHECK_THAT(r.issues[5].message, Catch::Contains("province"));
  CHECK_THAT(r.issues[9].message, Catch::Contains("already on line 2"));
  CHECK_THAT(r.issues[10].message, Catch::Contains("has 小类"));
  CHECK(s.count() == 4);
  CHECK_FALSE(data::Catalogue(s.db).get("fine"));
  // No header, or one without the required columns.
  CHECK_FALSE(s.import("").committed());
  CHECK_FALSE(s.import("code,name\nx,y\n").committed());
  CHECK(s.count() == 4);
}

TEST_CASE("removing a category is refused while petitions or 小类 use it") {
  Scratch s;
  REQUIRE(s.import(kGood).committed());
  data::Catalogue cat(s.db);
  data::Locator locator = data::Locator::load(s.db);
  data::NewPetition n;
  n.category = "noise";
  n.position = {111.7, 40.8};
  n.actor = "li";
  data::PetitionService(s.db).create(n, locator, *data::parse_time("2026-03-06 17:00"));
  auto kind_of = [&](const std::string& code) {
    try {
      cat.remove(code);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::internal;
  };
  CHECK(kind_of("noise") == ErrorKind::conflict);
  CHECK(kind_of("city") == ErrorKind::conflict);
  CHECK(kind_of("nope") == ErrorKind::not_found);
  cat.remove("gas");
  CHECK_FALSE(cat.get("gas"));
}

TEST_CASE("a petition is due after its category's working time, by the stored calendar") {
  Scratch s;
  REQUIRE(s.import(kGood).committed());
  data::Locator locator = data::Locator::load(s.db);
  data::NewPetition n;
  n.position = {111.7, 40.8};
  n.actor = "li";
  auto due = [&](const std::string& category, const char* at) {
    n.category = category;
    return *data::PetitionService(s.db)
                .create(n, locator, *data::parse_time(at))
                .petition.deadline_at;
  };
  // 48 working hours from Friday 2026-03-06 17:00: 1 h that day, then 7.5 h a day.
  // Mon-Fri 9-13 make 37.5 (38.5 with Friday's), Monday 16 7.5 more (46), 2 h of Tuesday.
  CHECK(due("ads", "2026-03-06 17:00") == *data::parse_time("2026-03-17 11:00"));
  // Three working days from Thursday 2026-09-24 10:00 cross 中秋 (25-27 September, the 27th a
  // Sunday): Monday 28, Tuesday 29, Wednesday 30.
  CHECK(due("noise", "2026-09-24 10:00") == *data::parse_time("2026-09-30 10:00"));
  // An imported calendar replaces the built-in one: this one has no 中秋 and makes Saturday
  // the 26th a working day, so Friday 25, Saturday 26 and Monday 28 count.
  {
    data::Transaction tx(s.db);
    data::store_calendar(s.db,
                         data::WorkCalendar::parse("date,type,name\n2026-09-26,workday,调休\n"), 0);
    tx.commit();
  }
  CHECK(data::has_stored_calendar(s.db));
  CHECK(due("noise", "2026-09-24 10:00") == *data::parse_time("2026-09-28 10:00"));
}
