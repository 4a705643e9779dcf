#include "data/register.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <streambuf>
#include <unordered_map>

#include "core/json_text.hpp"
#include "data/bulk.hpp"
#include "data/chunk_queue.hpp"
#include "data/csv.hpp"
#include "data/locator.hpp"
#include "data/residents.hpp"
#include "data/stats.hpp"
#include "data/string_id_map.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

namespace {

struct Names {
  std::string_view code, chinese;
};
constexpr std::array<Names, 8> kRelations{{{"head", "户主"},
                                           {"spouse", "配偶"},
                                           {"child", "子女"},
                                           {"parent", "父母"},
                                           {"grandchild", "孙子女"},
                                           {"grandparent", "祖父母"},
                                           {"sibling", "兄弟姐妹"},
                                           {"other", "其他"}}};
constexpr std::array<Names, 3> kStatuses{
    {{"present", "在住"}, {"moved_out", "迁出"}, {"deceased", "死亡"}}};
constexpr std::array<Names, 6> kTags{{{"lonely_elderly", "独居老人"},
                                      {"disabled", "残疾人"},
                                      {"low_income", "低保"},
                                      {"special_care", "优抚对象"},
                                      {"left_behind_child", "留守儿童"},
                                      {"key_person", "重点人员"}}};
constexpr std::array<Names, 5> kUnitKinds{{{"shop", "商铺"},
                                           {"company", "企业"},
                                           {"organisation", "机关团体"},
                                           {"school", "学校"},
                                           {"other", "其他"}}};

template <class E, size_t N>
std::optional<E> parse_named(const std::array<Names, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i].code == s || names[i].chinese == s) return static_cast<E>(i);
  return std::nullopt;
}

std::optional<std::string> non_empty(std::optional<std::string> s) {
  if (s && s->empty()) return std::nullopt;
  return s;
}

bool is_date(const std::string& d) {
  return d.size() == 10 && parse_time(d).has_value();
}

void check_person(const std::optional<std::string>& name, const std::optional<std::string>& phone,
                  const std::optional<std::string>& id_number,
                  const std::optional<std::string>& gender,
                  const std::optional<std::string>& birth_date) {
  if (name && (name->empty() || name->size() > 100))
    throw_invalid("a resident needs a name (up to 100 bytes)");
  if (phone && !valid_phone(*phone))
    throw_invalid("'" + *phone + "' is not a phone number (11-digit mobile or a landline)");
  if (id_number && !valid_id_number(*id_number))
    throw_invalid("the ID number is not 18 characters with a valid check digit (GB 11643)");
  if (gender && *gender != "male" && *gender != "female") throw_invalid("gender is male or female");
  if (birth_date && !is_date(*birth_date)) throw_invalid("birth_date is a day, YYYY-MM-DD");
}

constexpr const char* kPersonColumns =
    "SELECT id, household_id, name, phone, id_number, notes, relation, gender, birth_date, status, "
    "status_at "
    "FROM residents ";

Person read_person(Db& db, const Statement& st, bool reveal) {
  Person p;
  p.id = st.int64(0);
  p.household_id = st.int64(1);
  p.name = st.text(2);
  p.phone = st.opt_text(3);
  p.id_number = st.opt_text(4);
  p.notes = st.opt_text(5);
  p.relation = parse_relation(st.text(6)).value_or(Relation::other);
  p.gender = st.opt_text(7);
  p.birth_date = st.opt_text(8);
  p.status = parse_resident_status(st.text(9)).value_or(ResidentStatus::present);
  p.status_at = st.opt_int64(10);
  if (!reveal) {
    p.name = mask_name(p.name);
    if (p.phone) p.phone = mask_phone(*p.phone);
    if (p.id_number) p.id_number = mask_id(*p.id_number);
    if (p.birth_date) p.birth_date = p.birth_date->substr(0, 4);  // the year only
    p.notes.reset();
  }
  Statement t(db,
              "SELECT tag, set_by, set_at FROM resident_tags WHERE resident_id = ?1 ORDER BY tag");
  t.bind(1, *p.id);
  while (t.step())
    if (auto tag = parse_tag(t.text(0))) p.tags.push_back({*tag, t.text(1), t.int64(2)});
  return p;
}

constexpr const char* kUnitColumns =
    "SELECT id, name, kind, credit_code, contact_name, contact_phone, address, X(geom), Y(geom), "
    "grid_code, "
    "community_code, subdistrict_code FROM units ";

UnitRecord read_unit(const Statement& st, bool reveal) {
  UnitRecord u;
  u.id = st.int64(0);
  u.name = st.text(1);
  u.kind = parse_unit_kind(st.text(2)).value_or(UnitKind::other);
  u.credit_code = st.opt_text(3);
  u.contact_name = st.opt_text(4);
  u.contact_phone = st.opt_text(5);
  u.address = st.text(6);
  if (!st.is_null(7)) u.position = LonLat{st.real(7), st.real(8)};
  u.grid_code = st.opt_text(9);
  u.community_code = st.opt_text(10);
  u.subdistrict_code = st.opt_text(11);
  if (!reveal) {
    if (u.contact_name) u.contact_name = mask_name(*u.contact_name);
    if (u.contact_phone) u.contact_phone = mask_phone(*u.contact_phone);
  }
  return u;
}

std::string grid_list(const std::vector<std::string>* grids) {
  return json_string_array(grids ? *grids : std::vector<std::string>());
}

}  // namespace

std::string_view to_string(Relation r) noexcept {
  return kRelations[static_cast<size_t>(r)].code;
}
std::string_view to_string(ResidentStatus s) noexcept {
  return kStatuses[static_cast<size_t>(s)].code;
}
std::string_view to_string(Tag t) noexcept {
  return kTags[static_cast<size_t>(t)].code;
}
std::string_view to_string(UnitKind k) noexcept {
  return kUnitKinds[static_cast<size_t>(k)].code;
}
std::string_view chinese_name(Relation r) noexcept {
  return kRelations[static_cast<size_t>(r)].chinese;
}
std::string_view chinese_name(Tag t) noexcept {
  return kTags[static_cast<size_t>(t)].chinese;
}
std::optional<Relation> parse_relation(std::string_view s) noexcept {
  return parse_named<Relation>(kRelations, s);
}
std::optional<ResidentStatus> parse_resident_status(std::string_view s) noexcept {
  return parse_named<ResidentStatus>(kStatuses, s);
}
std::optional<Tag> parse_tag(std::string_view s) noexcept {
  return parse_named<Tag>(kTags, s);
}
std::optional<UnitKind> parse_unit_kind(std::string_view s) noexcept {
  return parse_named<UnitKind>(kUnitKinds, s);
}

bool valid_id_number(std::string_view id) noexcept {
  if (id.size() != 18) return false;
  static constexpr int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char check[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    sum += (id[i] - '0') * weights[i];
  }
  char last = id[17] == 'x' ? 'X' : id[17];
  return check[sum % 11] == last;
}

bool valid_phone(std::string_view p) noexcept {
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (p.size() == 11 && p[0] == '1' && p[1] >= '3' && digits(p)) return true;
  // A landline: 0 + area code (2-3 digits) + 7-8 digits, a '-' after the area code allowed.
  std::string flat;
  for (char c : p)
    if (c != '-') flat += c;
  size_t dashes = p.size() - flat.size();
  return dashes <= 1 && flat.size() >= 10 && flat.size() <= 12 && flat[0] == '0' && digits(flat);
}

int64_t Register::add_person(const Person& p, int64_t now) {
  check_person(p.name, non_empty(p.phone), non_empty(p.id_number), p.gender, p.birth_date);
  Transaction tx(db_);
  Statement h(db_, "SELECT 1 FROM households WHERE id = ?1");
  h.bind(1, p.household_id);
  if (!h.step())
    throw Error(ErrorKind::not_found, "no household " + std::to_string(p.household_id));
  Statement ins(
      db_,
      "INSERT INTO residents(household_id, name, phone, id_number, notes, relation, gender, "
      "birth_date, "
      "status, status_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  ins.bind(1, p.household_id)
      .bind(2, p.name)
      .bind(3, non_empty(p.phone))
      .bind(4, non_empty(p.id_number));
  ins.bind(5, non_empty(p.notes))
      .bind(6, to_string(p.relation))
      .bind(7, p.gender)
      .bind(8, p.birth_date);
  ins.bind(9, to_string(p.status)).bind(10, p.status_at).bind(11, now).run();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

void Register::edit_person(int64_t id, const PersonEdit& e, int64_t now) {
  check_person(e.name, non_empty(e.phone), non_empty(e.id_number), e.gender, e.birth_date);
  Transaction tx(db_);
  Statement cur(db_, "SELECT status FROM residents WHERE id = ?1");
  cur.bind(1, id);
  if (!cur.step()) throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  // Each given field replaces the stored one; "" clears an optional one.
  Statement up(db_,
               "UPDATE residents SET name = coalesce(?2, name), "
               "phone = CASE WHEN ?3 IS NULL THEN phone ELSE nullif(?3, '') END, "
               "id_number = CASE WHEN ?4 IS NULL THEN id_number ELSE nullif(?4, '') END, "
               "notes = CASE WHEN ?5 IS NULL THEN notes ELSE nullif(?5, '') END, "
               "gender = coalesce(?6, gender), birth_date = coalesce(?7, birth_date), relation = "
               "coalesce(?8, relation), "
               "status = coalesce(?9, status), "
               "status_at = CASE WHEN ?9 IS NULL THEN status_at WHEN ?9 = 'present' THEN NULL ELSE "
               "coalesce(CAST(?10 AS BIGINT), ?11) END, "
               "updated_at = ?11 WHERE id = ?1");
  up.bind(1, id)
      .bind(2, e.name)
      .bind(3, e.phone)
      .bind(4, e.id_number)
      .bind(5, e.notes)
      .bind(6, e.gender);
  up.bind(7, e.birth_date);
  if (e.relation)
    up.bind(8, to_string(*e.relation));
  else
    up.bind_null(8);
  if (e.status)
    up.bind(9, to_string(*e.status));
  else
    up.bind_null(9);
  up.bind(10, e.status_at).bind(11, now).run();
  tx.commit();
}

std::optional<Person> Register::person(int64_t id, bool reveal) {
  Statement st(db_, std::string(kPersonColumns) + "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_person(db_, st, reveal);
}

std::vector<Person> Register::people_of(int64_t household, bool reveal) {
  Statement st(db_, std::string(kPersonColumns) + "WHERE household_id = ?1 ORDER BY id");
  st.bind(1, household);
  std::vector<Person> out;
  while (st.step()) out.push_back(read_person(db_, st, reveal));
  return out;
}

void Register::set_tag(int64_t id, Tag tag, const std::string& actor, int64_t now) {
  Transaction tx(db_);
  if (!person(id, false)) throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  Statement st(
      db_,
      "INSERT INTO resident_tags(resident_id, tag, set_by, set_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(resident_id, tag) DO NOTHING");
  st.bind(1, id).bind(2, to_string(tag)).bind(3, actor).bind(4, now).run();
  tx.commit();
}

bool Register::clear_tag(int64_t id, Tag tag) {
  Statement st(db_, "DELETE FROM resident_tags WHERE resident_id = ?1 AND tag = ?2");
  st.bind(1, id).bind(2, to_string(tag)).run();
  return db_.changes() > 0;
}

std::vector<Person> Register::tagged(std::optional<Tag> tag, const std::vector<std::string>* grids,
                                     size_t limit) {
  Statement st(
      db_, std::string(kPersonColumns) +
               "WHERE id IN (SELECT resident_id FROM resident_tags WHERE ?1 IS NULL OR tag = ?1) "
               "AND (?2 IS NULL OR household_id IN (SELECT id FROM households WHERE "
               "grid_code IN (SELECT value FROM json_each(?2)))) "
               "ORDER BY id LIMIT ?3");
  if (tag)
    st.bind(1, to_string(*tag));
  else
    st.bind_null(1);
  if (grids)
    st.bind(2, grid_list(grids));
  else
    st.bind_null(2);
  st.bind(3, static_cast<int64_t>(limit));
  std::vector<Person> out;
  while (st.step()) out.push_back(read_person(db_, st, false));
  return out;
}

int64_t Register::put_unit(const UnitRecord& u, const Locator* locator) {
  if (u.name.empty() || u.name.size() > 200) throw_invalid("a unit needs a name (up to 200 bytes)");
  if (u.contact_phone && !u.contact_phone->empty() && !valid_phone(*u.contact_phone))
    throw_invalid("'" + *u.contact_phone + "' is not a phone number");
  if (u.credit_code && !u.credit_code->empty() && u.credit_code->size() != 18)
    throw_invalid("a unified social credit code (统一社会信用代码) has 18 characters");
  if (u.position && !is_valid_wgs84(*u.position))
    throw_invalid("the unit's position is not a valid longitude/latitude");
  UnitRecord v = u;
  if (u.position && locator)
    if (const GridLineage* g = locator->locate(*u.position)) {
      v.grid_code = g->grid_code.value;
      v.community_code = g->community_code;
      v.subdistrict_code = g->subdistrict_code;
    }
  Transaction tx(db_);
  if (u.id) {
    Statement e(db_, "SELECT 1 FROM units WHERE id = ?1");
    e.bind(1, *u.id);
    if (!e.step()) throw Error(ErrorKind::not_found, "no unit " + std::to_string(*u.id));
  }
  Statement st(
      db_,
      "INSERT INTO units(id, name, kind, credit_code, contact_name, contact_phone, address, geom, "
      "grid_code, "
      "community_code, subdistrict_code, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
      "MakePoint(?8, ?9, 4326), ?10, ?11, ?12, "
      "unixepoch()) "
      "ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, credit_code = "
      "excluded.credit_code, contact_name = excluded.contact_name, contact_phone = "
      "excluded.contact_phone, "
      "address = excluded.address, geom = excluded.geom, grid_code = excluded.grid_code, "
      "community_code = "
      "excluded.community_code, subdistrict_code = excluded.subdistrict_code, updated_at = "
      "unixepoch()");
  st.bind(1, v.id).bind(2, v.name).bind(3, to_string(v.kind)).bind(4, non_empty(v.credit_code));
  st.bind(5, non_empty(v.contact_name)).bind(6, non_empty(v.contact_phone)).bind(7, v.address);
  if (v.position)
    st.bind(8, v.position->lon).bind(9, v.position->lat);
  else
    st.bind_null(8).bind_null(9);
  st.bind(10, v.grid_code).bind(11, v.community_code).bind(12, v.subdistrict_code).run();
  int64_t id = v.id ? *v.id : db_.last_insert_rowid();
  tx.commit();
  return id;
}

std::optional<UnitRecord> Register::unit(int64_t id, bool reveal) {
  Statement st(db_, std::string(kUnitColumns) + "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_unit(st, reveal);
}

std::vector<UnitRecord> Register::units(const std::vector<std::string>* grids, size_t limit,
                                        bool reveal) {
  Statement st(db_, std::string(kUnitColumns) +
                        "WHERE ?1 IS NULL OR grid_code IN (SELECT value FROM json_each(?1)) "
                        "ORDER BY id LIMIT ?2");
  if (grids)
    st.bind(1, grid_list(grids));
  else
    st.bind_null(1);
  st.bind(2, static_cast<int64_t>(limit));
  std::vector<UnitRecord> out;
  while (st.step()) out.push_back(read_unit(st, reveal));
  return out;
}

bool Register::delete_unit(int64_t id) {
  Statement st(db_, "DELETE FROM units WHERE id = ?1");
  st.bind(1, id).run();
  return db_.changes() > 0;
}

std::optional<std::string> Register::unit_grid(int64_t id) {
  Statement st(db_, "SELECT coalesce(grid_code, '') FROM units WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

int64_t Register::building_for(const StandardAddress& a,
                               const std::optional<std::string>& community,
                               const std::optional<std::string>& subdistrict,
                               const std::optional<std::string>& grid,
                               std::optional<LonLat> position) {
  Statement find(db_,
                 "SELECT id FROM buildings WHERE coalesce(community_code, '') = ?1 AND road = ?2 "
                 "AND number = ?3 "
                 "AND compound = ?4 AND name = ?5",
                 Statement::reuse);
  find.bind(1, community.value_or(""))
      .bind(2, a.road)
      .bind(3, a.number)
      .bind(4, a.compound)
      .bind(5, a.building);
  if (find.step()) return find.int64(0);
  find.reset();
  Statement ins(db_,
                "INSERT INTO buildings(subdistrict_code, community_code, grid_code, road, number, "
                "compound, name, geom) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, MakePoint(?8, ?9, 4326))",
                Statement::reuse);
  ins.bind(1, subdistrict)
      .bind(2, community)
      .bind(3, grid)
      .bind(4, a.road)
      .bind(5, a.number)
      .bind(6, a.compound);
  ins.bind(7, a.building);
  if (position)
    ins.bind(8, position->lon).bind(9, position->lat);
  else
    ins.bind_null(8).bind_null(9);
  ins.run();
  return db_.last_insert_rowid();
}

std::optional<RoomAddress> Register::room_of(int64_t household) {
  Statement st(db_,
               "SELECT h.building_id, b.road, b.number, b.compound, b.name, h.unit, h.room, "
               "h.subdistrict_code, "
               "h.community_code FROM households h LEFT JOIN buildings b ON b.id = h.building_id "
               "WHERE h.id = ?1");
  st.bind(1, household);
  if (!st.step()) return std::nullopt;
  RoomAddress r;
  r.building_id = st.opt_int64(0);
  r.address.road = st.opt_text(1).value_or("");
  r.address.number = st.opt_text(2).value_or("");
  r.address.compound = st.opt_text(3).value_or("");
  r.address.building = st.opt_text(4).value_or("");
  r.address.unit = st.text(5);
  r.address.room = st.text(6);
  return r;
}

// ---- Text encodings ----

bool is_utf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    // Eight ASCII bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0 || i + static_cast<size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) return false;
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

std::string gbk_to_utf8(std::string_view bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) throw_internal("iconv has no GB18030");
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* dst = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(cd, &in, &in_left, &dst, &out_left) == static_cast<size_t>(-1)) {
      if (errno == E2BIG) {
        size_t used = static_cast<size_t>(dst - out.data());
        out.resize(out.size() * 2);
        dst = out.data() + used;
        out_left = out.size() - used;
        continue;
      }
      size_t at = static_cast<size_t>(in - bytes.data());
      iconv_close(cd);
      throw_invalid("the file is neither UTF-8 nor GBK (an invalid byte sequence at byte " +
                    std::to_string(at) + ")");
    }
  }
  iconv_close(cd);
  out.resize(static_cast<size_t>(dst - out.data()));
  return out;
}

// ---- Import ----

Sheet register_sheet(Db& db) {
  Sheet sheet;
  sheet.name = "实有人口";
  sheet.headers = register_headers();
  sheet.headers.push_back("状态");
  Statement st(
      db,
      "SELECT h.address, printf('%.7f', X(h.geom)), printf('%.7f', Y(h.geom)), r.name, "
      "r.id_number, "
      "r.phone, r.relation, r.gender, r.birth_date, "
      "(SELECT group_concat(tag, ',') FROM resident_tags t WHERE t.resident_id = r.id), r.notes, "
      "r.status "
      "FROM households h LEFT JOIN residents r ON r.household_id = h.id ORDER BY h.id, r.id");
  // Every cell as text, as the import reads it back; an empty cell for what is not known.
  auto cell = [](std::optional<std::string> v) {
    SheetCell c;
    if (v) c = std::move(*v);
    return c;
  };
  while (st.step()) {
    std::vector<SheetCell> row;
    for (int c : {0, 1, 2, 3, 4, 5}) row.push_back(cell(st.opt_text(c)));
    bool person = !st.is_null(3);
    std::optional<std::string> relation, gender, tags, status;
    if (person) {
      relation = std::string(chinese_name(parse_relation(st.text(6)).value_or(Relation::other)));
      status = std::string(
          kStatuses[static_cast<size_t>(
                        parse_resident_status(st.text(11)).value_or(ResidentStatus::present))]
              .chinese);
    }
    if (auto g = st.opt_text(7)) gender = *g == "male" ? "男" : "女";
    if (auto t = st.opt_text(9)) {
      std::string joined;
      std::string_view rest = *t;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        if (auto tag = parse_tag(rest.substr(0, comma)))
          joined += (joined.empty() ? "" : "、") + std::string(chinese_name(*tag));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (!joined.empty()) tags = joined;
    }
    row.push_back(cell(relation));
    row.push_back(cell(gender));
    row.push_back(cell(st.opt_text(8)));
    row.push_back(cell(tags));
    row.push_back(cell(st.opt_text(10)));
    row.push_back(cell(status));
    sheet.rows.push_back(std::move(row));
  }
  return sheet;
}

std::vector<std::string> register_headers() {
  return {"地址",       "经度", "纬度",     "姓名",     "身份证号", "联系电话",
          "与户主关系", "性别", "出生日期", "人员标签", "备注"};
}

std::vector<std::string> register_example_row() {
  return {"大智街道大智路社区解放大道1118号3栋2单元502室",
          "114.2950",
          "30.5890",
          "王小明",
          "420102199003071234",
          "13800001234",
          "户主",
          "男",
          "1990-03-07",
          "低保、残疾人",
          "轮椅出行"};
}

namespace {

enum Col {
  c_address,
  c_lon,
  c_lat,
  c_name,
  c_id,
  c_phone,
  c_relation,
  c_gender,
  c_birth,
  c_tags,
  c_notes,
  c_count
};
constexpr std::array<std::string_view, c_count> kEnglish{
    "address",  "lon",    "lat",        "name", "id_number", "phone",
    "relation", "gender", "birth_date", "tags", "notes"};

void trim_in_place(std::string& s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && sp(s[i])) ++i;
  if (i) s.erase(0, i);
}

std::string trim(std::string s) {
  trim_in_place(s);
  return s;
}

std::optional<double> number_of(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    std::string t = trim(cur);
    if (!t.empty()) out.push_back(t);
    cur.clear();
  };
  for (size_t i = 0; i < s.size();) {
    // Separators: , ; and the full-width 、，； (three bytes each in UTF-8).
    if (s[i] == ',' || s[i] == ';' || s[i] == ' ') {
      flush();
      ++i;
    } else if (s.compare(i, 3, "、") == 0 || s.compare(i, 3, "，") == 0 ||
               s.compare(i, 3, "；") == 0) {
      flush();
      i += 3;
    } else {
      cur += s[i++];
    }
  }
  flush();
  return out;
}

// A stream's bytes with the first ones already read put back in front.
class PrefixedBuf : public std::streambuf {
 public:
  PrefixedBuf(std::string head, std::streambuf* rest) : head_(std::move(head)), rest_(rest) {
    setg(head_.data(), head_.data(), head_.data() + head_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!rest_) return traits_type::eof();
    buf_.resize(1 << 20);
    std::streamsize n = rest_->sgetn(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (n <= 0) {
      rest_ = nullptr;
      return traits_type::eof();
    }
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string head_, buf_;
  std::streambuf* rest_;
};

std::optional<std::string> gender_of(const std::string& s) {
  if (s == "男" || s == "male" || s == "M") return "male";
  if (s == "女" || s == "female" || s == "F") return "female";
  return std::nullopt;
}

}  // namespace

RegisterImportReport import_register(Db& db, const Locator& locator, std::istream& raw,
                                     const RegisterImportOptions& o) {
  // The encoding from the first megabyte; a UTF-8 file is then read as it is parsed (each
  // row checked), a GBK one converted whole.
  constexpr size_t kHead = 1 << 20;
  std::string head(kHead, '\0');
  auto got = raw.rdbuf() ? raw.rdbuf()->sgetn(head.data(), static_cast<std::streamsize>(kHead)) : 0;
  head.resize(static_cast<size_t>(std::max<std::streamsize>(got, 0)));
  const bool more = head.size() == kHead;
  // A character cut at the end of the megabyte is not a fault: judge up to its last line.
  size_t judged = more ? head.rfind('\n') : head.size();
  const bool utf8 =
      is_utf8(std::string_view(head).substr(0, judged == std::string::npos ? 0 : judged));
  std::string enc = o.encoding.value_or(utf8 ? "UTF-8" : "GBK");
  for (char& c : enc) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::unique_ptr<std::streambuf> text;
  if (enc == "GBK" || enc == "GB18030" || enc == "GB2312") {
    std::string bytes = std::move(head);
    if (more) {
      std::ostringstream rest;
      rest << raw.rdbuf();
      bytes += rest.str();
    }
    text = std::make_unique<std::stringbuf>(gbk_to_utf8(bytes));
  } else if (enc != "UTF-8" && enc != "UTF8") {
    throw_invalid("--encoding is UTF-8 or GBK, not '" + enc + "'");
  } else if (!utf8) {
    throw_invalid("the file is not UTF-8: say --encoding GBK if it is GBK");
  } else {
    text = std::make_unique<PrefixedBuf>(std::move(head), more ? raw.rdbuf() : nullptr);
  }
  std::istream in(text.get());
  CsvReader reader(in);
  auto header = reader.next();
  if (!header)
    throw_invalid("the file is empty: its first row names the columns (" + register_headers()[0] +
                  ", ...)");
  std::array<std::optional<size_t>, c_count> col;
  auto headers = register_headers();
  for (size_t c = 0; c < c_count; ++c) {
    col[c] = find_column(*header, headers[c]);
    if (!col[c]) col[c] = find_column(*header, std::string(kEnglish[c]));
  }
  if (!col[c_address]) throw_invalid("the file has no 地址 (address) column");
  if (col[c_lon].has_value() != col[c_lat].has_value())
    throw_invalid("give both 经度 and 纬度 columns, or neither");

  RegisterImportReport report;
  auto issue = [&](int64_t row, std::string message, bool rejected) {
    if (rejected) ++report.rejected;
    if (report.issues.size() < 1000) report.issues.push_back({row, std::move(message), rejected});
  };
  // What is registered already, in memory: every lookup of the import is a hash probe, and
  // a bulk import may drop the tables' indexes while it writes.
  StringIdMap buildings, households, by_id_number, by_name;
  std::unordered_map<int64_t, LonLat> building_place;
  std::string key;  // the composite key of a lookup, built in place
  auto building_key = [&key](const std::string& community,
                             const StandardAddress& a) -> std::string_view {
    key.clear();
    for (const std::string* part : {&community, &a.road, &a.number, &a.compound, &a.building})
      key.append(*part).push_back('\x1f');
    return key;
  };
  auto room_key = [&key](int64_t building, const std::string& unit,
                         const std::string& room) -> std::string_view {
    key.assign(std::to_string(building))
        .append(1, '\x1f')
        .append(unit)
        .append(1, '\x1f')
        .append(room);
    return key;
  };
  auto name_key = [&key](int64_t household, const std::string& name) -> std::string_view {
    key.assign(std::to_string(household)).append(1, '\x1f').append(name);
    return key;
  };
  {
    Statement st(db,
                 "SELECT id, coalesce(community_code, ''), road, number, compound, name, X(geom), "
                 "Y(geom) FROM buildings");
    while (st.step()) {
      StandardAddress a;
      a.road = st.text(2);
      a.number = st.text(3);
      a.compound = st.text(4);
      a.building = st.text(5);
      buildings.insert(building_key(st.text(1), a), st.int64(0));
      if (!st.is_null(6)) building_place.emplace(st.int64(0), LonLat{st.real(6), st.real(7)});
    }
    Statement h(db,
                "SELECT id, building_id, unit, room FROM households WHERE building_id IS NOT NULL");
    while (h.step()) households.insert(room_key(h.int64(1), h.text(2), h.text(3)), h.int64(0));
    Statement r(db, "SELECT id, household_id, name, id_number FROM residents");
    while (r.step()) {
      by_name.insert(name_key(r.int64(1), r.text(2)), r.int64(0));
      if (!r.is_null(3)) by_id_number.insert(r.text(3), r.int64(0));
    }
  }
  // A bulk import (the CLI's, on a file no one else writes) builds the indexes once at the
  // end and writes through a rollback journal; otherwise one transaction of up to millions
  // of rows keeps its pages in memory until the commit (512 MB at most, given back after).
  std::optional<BulkLoad> bulk;
  int64_t cache_pages = 0;
  if (o.bulk) {
    // A register comes sorted by address, as it is kept: rooms by building, people by room.
    bulk.emplace(db,
                 std::vector<std::string>{"buildings", "households", "residents", "resident_tags"},
                 std::vector<std::string>{"households_building", "residents_household"});
  } else {
    Statement c(db, "PRAGMA cache_size");
    if (c.step()) cache_pages = c.int64(0);
    db.exec("PRAGMA cache_size = -524288");
  }
  struct RestoreCache {
    Db& db;
    int64_t pages;
    ~RestoreCache() {
      if (pages == 0) return;
      try {
        db.exec("PRAGMA cache_size = " + std::to_string(pages));
      } catch (const std::exception&) {
      }
    }
  } restore{db, cache_pages};
  Transaction tx(db);
  if (bulk) bulk->suspend();
  // Ids are given here (the import holds the write lock: no one else takes one meanwhile),
  // so that reading the file and writing the rows need not wait for each other: one thread
  // reads, checks and matches the rows into chunks, this one writes them.
  auto next_id = [&db](const char* table) {
    Statement st(db, std::string("SELECT coalesce(max(id), 0) + 1 FROM ") + table);
    st.step();
    return st.int64(0);
  };
  int64_t next_building = next_id("buildings"), next_household = next_id("households"),
          next_person = next_id("residents");
  BatchInsert add_building(db,
                           "INSERT INTO buildings(id, subdistrict_code, community_code, grid_code, "
                           "road, number, compound, name, geom)",
                           9);
  BatchInsert add_household(db,
                            "INSERT INTO households(id, address, geom, grid_code, community_code, "
                            "subdistrict_code, building_id, unit, room)",
                            9);
  BatchInsert add_person(db,
                         "INSERT INTO residents(id, household_id, name, phone, id_number, notes, "
                         "relation, gender, birth_date, status, updated_at)",
                         11);
  BatchInsert add_tag(db, "INSERT INTO resident_tags(resident_id, tag, set_by, set_at)", 4,
                      "ON CONFLICT(resident_id, tag) DO NOTHING");
  Statement update_person(
      db,
      "UPDATE residents SET household_id = ?2, name = ?3, phone = coalesce(?4, phone), id_number = "
      "coalesce(?5, id_number), notes = coalesce(?6, notes), relation = coalesce(?7, relation), "
      "gender = coalesce(?8, gender), birth_date = coalesce(?9, birth_date), updated_at = ?10 "
      "WHERE id = ?1");
  struct Chunk {
    RowBuffer buildings{9}, households{9}, people{11}, updates{10}, tags{4};
  };
  // Written in this order: a chunk's rows refer to its own and earlier chunks' rows only, and
  // a person updated is one inserted before (in this chunk or an earlier one) or stored.
  auto write = [&](const Chunk& c) {
    add_building.write(c.buildings);
    add_household.write(c.households);
    add_person.write(c.people);
    for (size_t r = 0; r < c.updates.rows(); ++r) {
      c.updates.bind_row(update_person, r);
      update_person.run();
    }
    add_tag.write(c.tags);
  };
  ChunkQueue<Chunk> queue(4);
  auto read = [&] {
    auto chunk = std::make_unique<Chunk>();
    size_t in_chunk = 0;
    int64_t row_number = 1;
    std::vector<std::string> fields;
    while (reader.next(fields)) {
      if (queue.stopped()) return;
      if (++in_chunk == 4096) {
        queue.push(std::move(chunk));
        chunk = std::make_unique<Chunk>();
        in_chunk = 0;
      }
      const std::vector<std::string>* row = &fields;
      ++row_number;
      ++report.rows;
      for (std::string& f : fields) {
        if (!is_utf8(f))
          throw_invalid("row " + std::to_string(row_number) +
                        " is not UTF-8: say --encoding GBK if the file is GBK");
        trim_in_place(f);
      }
      static const std::string none;
      auto field = [&](Col c) -> const std::string& {
        if (!col[c] || *col[c] >= row->size()) return none;
        return (*row)[*col[c]];
      };
      if (std::all_of(row->begin(), row->end(), [](const std::string& f) { return f.empty(); })) {
        --report.rows;
        continue;
      }
      // The ID number's lookup comes after the address is parsed: its slot is loaded meanwhile.
      if (col[c_id]) by_id_number.prefetch(field(c_id));
      const std::string& text = field(c_address);
      AddressParse parsed = parse_address(text);
      if (!parsed.address) {
        ++report.unparsed_addresses;
        std::string why;
        for (const auto& p : parsed.problems) why += (why.empty() ? "" : "; ") + p;
        issue(row_number, "地址无法解析 (the address does not parse): '" + text + "': " + why,
              true);
        continue;
      }
      const StandardAddress& a = *parsed.address;
      if (!parsed.problems.empty()) {
        std::string why;
        for (const auto& p : parsed.problems) why += (why.empty() ? "" : "; ") + p;
        issue(row_number, "地址部分解析 (the address parsed in part): " + why, false);
      }
      std::optional<LonLat> position;
      if (col[c_lon] && (!field(c_lon).empty() || !field(c_lat).empty())) {
        auto lon = number_of(field(c_lon)), lat = number_of(field(c_lat));
        if (!lon || !lat || !is_valid_wgs84({*lon, *lat})) {
          issue(row_number,
                "经度/纬度 is not a longitude/latitude: '" + field(c_lon) + "', '" + field(c_lat) +
                    "'",
                true);
          continue;
        }
        position = LonLat{*lon, *lat};
      }
      // The building, looked up (not made) now: its room's slot loads while the rest is checked.
      const GridLineage* g = position ? locator.locate(*position) : nullptr;
      std::optional<std::string> community = g ? g->community_code : std::nullopt;
      const int64_t* known_building = buildings.find(building_key(community.value_or(""), a));
      if (known_building) households.prefetch(room_key(*known_building, a.unit, a.room));
      // Personal data first: a bad row changes nothing.
      std::string name = field(c_name);
      std::optional<std::string> id_number = non_empty(field(c_id)),
                                 phone = non_empty(field(c_phone));
      std::optional<Relation> relation;
      std::optional<std::string> gender, birth;
      std::vector<Tag> tags;
      std::string bad;
      if (id_number) {
        if (id_number->size() == 18 && id_number->back() == 'x') id_number->back() = 'X';
        if (!valid_id_number(*id_number)) bad = "身份证号 is not a valid ID number";
      }
      if (bad.empty() && phone && !valid_phone(*phone))
        bad = "联系电话 '" + *phone + "' is not a phone number";
      if (bad.empty() && !field(c_relation).empty()) {
        relation = parse_relation(field(c_relation));
        if (!relation)
          bad = "与户主关系 '" + field(c_relation) +
                "' is not one of 户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 其他";
      }
      if (bad.empty() && !field(c_gender).empty()) {
        gender = gender_of(field(c_gender));
        if (!gender) bad = "性别 '" + field(c_gender) + "' is 男 or 女";
      }
      if (bad.empty() && !field(c_birth).empty()) {
        birth = field(c_birth);
        std::replace(birth->begin(), birth->end(), '/', '-');
        if (!is_date(*birth)) bad = "出生日期 '" + field(c_birth) + "' is not a date (YYYY-MM-DD)";
      }
      if (bad.empty())
        for (const std::string& t : split_tags(field(c_tags))) {
          auto tag = parse_tag(t);
          if (!tag) {
            bad = "人员标签 '" + t +
                  "' is not one of 独居老人, 残疾人, 低保, 优抚对象, 留守儿童, 重点人员";
            break;
          }
          tags.push_back(*tag);
        }
      if (bad.empty() && name.empty() && (id_number || phone || !tags.empty()))
        bad = "a resident's details without a 姓名 (name)";
      if (!bad.empty()) {
        issue(row_number, bad, true);
        continue;
      }
      // The household: its building (by standard address within the community), then its room.
      int64_t building = 0;
      if (known_building) {
        building = *known_building;
      } else {
        building = next_building++;
        buildings.insert(building_key(community.value_or(""), a), building);
        chunk->buildings.value(building)
            .value(g ? g->subdistrict_code : std::nullopt)
            .value(community);
        if (g)
          chunk->buildings.value(g->grid_code.value);
        else
          chunk->buildings.null();
        chunk->buildings.value(a.road).value(a.number).value(a.compound).value(a.building);
        if (position) {
          chunk->buildings.blob(point_geometry(db, position->lon, position->lat));
          building_place.emplace(building, *position);
        } else {
          chunk->buildings.null();
        }
        chunk->buildings.end_row();
      }
      std::optional<int64_t> household;
      bool new_household = false;
      if (const int64_t* found = households.find(room_key(building, a.unit, a.room)))
        household = *found;
      if (household) {
        ++report.households_matched;
      } else {
        if (!position)
          if (auto at = building_place.find(building); at != building_place.end())
            position = at->second;
        if (!position) {
          issue(row_number, "a new household needs its place: give 经度 and 纬度", true);
          continue;
        }
        if (!g) g = locator.locate(*position);
        household = next_household++;
        new_household = true;
        if (!name.empty()) by_name.prefetch(name_key(*household, name));
        households.insert(room_key(building, a.unit, a.room), *household);
        RowBuffer& h = chunk->households;
        h.value(*household)
            .value(format_address(a))
            .blob(point_geometry(db, position->lon, position->lat));
        if (g)
          h.value(g->grid_code.value).value(g->community_code).value(g->subdistrict_code);
        else
          h.null().null().null();
        h.value(building).value(a.unit).value(a.room).end_row();
        ++report.households_created;
      }
      if (name.empty()) continue;
      std::optional<int64_t> person;
      if (id_number)
        if (const int64_t* found = by_id_number.find(*id_number)) person = *found;
      // No one lives yet in a household made by this row.
      if (!person && !new_household)
        if (const int64_t* found = by_name.find(name_key(*household, name))) person = *found;
      std::optional<std::string> notes = non_empty(field(c_notes));
      std::optional<std::string> rel;
      if (relation) rel = std::string(to_string(*relation));
      if (person) {
        RowBuffer& u = chunk->updates;
        u.value(*person).value(*household).value(name).value(phone).value(id_number);
        u.value(notes).value(rel).value(gender).value(birth).value(o.now).end_row();
        ++report.residents_updated;
      } else {
        person = next_person++;
        RowBuffer& p = chunk->people;
        p.value(*person).value(*household).value(name).value(phone).value(id_number);
        p.value(notes).value(rel.value_or("other")).value(gender).value(birth);
        p.value("present").value(o.now).end_row();
        ++report.residents_created;
        by_name.insert(name_key(*household, name), *person);
        if (id_number) by_id_number.insert(*id_number, *person);
      }
      for (Tag t : tags)
        chunk->tags.value(*person).value(to_string(t)).value(o.actor).value(o.now).end_row();
    }
    queue.push(std::move(chunk));
  };
  queue.run(read, write);
  if (report.rejected > 0 && !o.skip_invalid) return report;  // rolled back: nothing stored
  if (bulk) bulk->finish();
  tx.commit();
  report.committed = true;
  return report;
}

}  // namespace gridmap::data
