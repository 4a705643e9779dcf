// The register (一标三实: 标准地址, 实有人口, 实有房屋, 实有单位): buildings under their
// standard address, households as rooms of a building, residents with their relation to
// the head of household, their status (moved out, deceased) and the tags of people who need
// attention, and the units (shops, companies) with their contacts. Personal data is read
// masked unless revealed on purpose (data/residents.hpp); the callers audit every reveal.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/address.hpp"
#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

class Locator;

enum class Relation : unsigned char {
  head,
  spouse,
  child,
  parent,
  grandchild,
  grandparent,
  sibling,
  other
};
enum class ResidentStatus : unsigned char { present, moved_out, deceased };
// People who need attention: 独居老人, 残疾人, 低保, 优抚对象, 留守儿童, 重点人员.
enum class Tag : unsigned char {
  lonely_elderly,
  disabled,
  low_income,
  special_care,
  left_behind_child,
  key_person
};
enum class UnitKind : unsigned char { shop, company, organisation, school, other };

std::string_view to_string(Relation r) noexcept;
std::string_view to_string(ResidentStatus s) noexcept;
std::string_view to_string(Tag t) noexcept;
std::string_view to_string(UnitKind k) noexcept;
std::string_view chinese_name(Relation r) noexcept;  // 户主, 配偶, ...
std::string_view chinese_name(Tag t) noexcept;       // 独居老人, ...
// Each takes the English code or the Chinese name.
std::optional<Relation> parse_relation(std::string_view s) noexcept;
std::optional<ResidentStatus> parse_resident_status(std::string_view s) noexcept;
std::optional<Tag> parse_tag(std::string_view s) noexcept;
std::optional<UnitKind> parse_unit_kind(std::string_view s) noexcept;

struct TagMark {
  Tag tag = Tag::key_person;
  std::string set_by;
  int64_t set_at = 0;
};

struct Person {
  std::optional<int64_t> id;
  int64_t household_id = 0;
  std::string name;
  std::optional<std::string> phone, id_number, notes;
  Relation relation = Relation::other;
  std::optional<std::string> gender;      // "male" | "female"
  std::optional<std::string> birth_date;  // YYYY-MM-DD
  ResidentStatus status = ResidentStatus::present;
  std::optional<int64_t> status_at;
  std::vector<TagMark> tags;
};

// A change to a resident: the fields given replace the stored ones.
struct PersonEdit {
  std::optional<std::string> name, phone, id_number, notes, gender, birth_date;
  std::optional<Relation> relation;
  std::optional<ResidentStatus> status;
  std::optional<int64_t> status_at;
};

struct UnitRecord {
  std::optional<int64_t> id;
  std::string name;
  UnitKind kind = UnitKind::company;
  std::optional<std::string> credit_code, contact_name, contact_phone;
  std::string address;
  std::optional<LonLat> position;
  std::optional<std::string> grid_code, community_code, subdistrict_code;
};

struct RoomAddress {  // a household's place in the register
  std::optional<int64_t> building_id;
  StandardAddress address;  // as stored (road, number, compound, building, unit, room)
};

class Register {
 public:
  explicit Register(Db& db) : db_(db) {}

  // Residents. Checks: a name; an 18-character ID number with its check digit (GB 11643);
  // an 11-digit mobile or a landline; a known gender; a birth date. invalid_input names the
  // field; not_found for an unknown household or resident.
  int64_t add_person(const Person& p, int64_t now);
  void edit_person(int64_t id, const PersonEdit& e, int64_t now);
  std::optional<Person> person(int64_t id, bool reveal);  // masked unless reveal
  std::vector<Person> people_of(int64_t household, bool reveal);
  void set_tag(int64_t id, Tag tag, const std::string& actor, int64_t now);
  bool clear_tag(int64_t id, Tag tag);
  // The people with a tag (any tag when nullopt) in the grids (everywhere when null), masked.
  std::vector<Person> tagged(std::optional<Tag> tag, const std::vector<std::string>* grids,
                             size_t limit);

  // Units.
  int64_t put_unit(const UnitRecord& u, const Locator* locator);  // creates or replaces (by id)
  std::optional<UnitRecord> unit(int64_t id, bool reveal);
  std::vector<UnitRecord> units(const std::vector<std::string>* grids, size_t limit, bool reveal);
  bool delete_unit(int64_t id);
  std::optional<std::string> unit_grid(int64_t id);

  // The building of a standard address, created at `position` when new; its id.
  int64_t building_for(const StandardAddress& a, const std::optional<std::string>& community,
                       const std::optional<std::string>& subdistrict,
                       const std::optional<std::string>& grid, std::optional<LonLat> position);
  std::optional<RoomAddress> room_of(int64_t household);

 private:
  Db& db_;
};

// Checks of personal data, for the register and its import.
bool valid_id_number(std::string_view id) noexcept;  // 18 characters, GB 11643 check digit
bool valid_phone(std::string_view phone) noexcept;   // mobile 1XXXXXXXXXX or a landline

// The register's import: CSV (UTF-8 or GBK, detected or named) or a workbook's first sheet,
// headers in Chinese (or the English codes): 地址, 经度, 纬度, 姓名, 身份证号, 联系电话,
// 与户主关系, 性别, 出生日期, 人员标签, 备注. A row is a household (its address, parsed into
// the standard address and located in its grid) and, when it names one, a resident of it.
// Upserts: a household by its standard address (building, unit, room); a resident by ID
// number, else by household and name. All rows or none, unless skip_invalid.
struct RegisterImportOptions {
  std::optional<std::string> encoding;  // "UTF-8" | "GBK"; detected when absent
  bool skip_invalid = false;
  // No one else writes the file meanwhile (the CLI's import: a running server holds the
  // serve lock): the tables' indexes are dropped for the import and built once at the end
  // (data/bulk.hpp). Never on a server's database.
  bool bulk = false;
  std::string actor = "import";
  int64_t now = 0;
};
struct RegisterRowIssue {
  int64_t row = 0;  // 1-based, the header being row 1 (as a spreadsheet numbers them)
  std::string message;
  bool rejected = true;  // false: imported with a warning (an address that did not parse fully)
};
struct RegisterImportReport {
  int64_t rows = 0, households_created = 0, households_matched = 0, residents_created = 0,
          residents_updated = 0, rejected = 0, unparsed_addresses = 0;
  bool committed = false;
  std::vector<RegisterRowIssue> issues;  // at most the first 1,000
};
RegisterImportReport import_register(Db& db, const Locator& locator, std::istream& csv,
                                     const RegisterImportOptions& options);
// The register as the import reads it (its headers, then 状态): one row per resident, and
// one per household without any; unmasked (the callers restrict and audit it).
struct Sheet;
Sheet register_sheet(Db& db);
// The headers of the import file and an example row: the template offered for download.
std::vector<std::string> register_headers();
std::vector<std::string> register_example_row();

// Bytes in GBK (GB 18030) as UTF-8; invalid_input naming the offset of an invalid sequence.
std::string gbk_to_utf8(std::string_view bytes);
bool is_utf8(std::string_view bytes) noexcept;

}  // namespace gridmap::data
