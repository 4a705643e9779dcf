// The standard address (标准地址, part of 一标三实): free text as households wrote it, parsed
// into the register's hierarchy subdistrict → community → road → door number → compound →
// building → unit → room. Pure text work: no SQL, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::data {

struct StandardAddress {
  std::string province, city, district;  // 省/市/区县 as written, may be empty
  std::string subdistrict;               // "…街道" / "…镇" / "…乡", may be empty
  std::string community;                 // "…社区" / "…村", may be empty
  std::string road;  // "解放路", "胜利街", "文昌巷", may be empty when only a compound is given
  std::string number;    // door number without 号, normalised ASCII: "18", "18-2", "甲18"
  std::string compound;  // estate name "幸福小区", may be empty
  std::string building;  // normalised: "3", "A", "12" (no 栋/幢/号楼)
  std::string unit;      // "2" (no 单元)
  std::string room;      // "501" (no 室/号)
  std::string note;      // what was in parentheses or trailing (附近, 东门), kept

  // Every field but `note` is equal (the note is not part of the canonical form).
  bool same_place(const StandardAddress& o) const noexcept;
};

struct AddressParse {
  std::optional<StandardAddress> address;  // set when the text yields a locatable base
  std::vector<std::string> problems;       // human-readable, one per issue
};

// Parses free text. Success: the text yields a locatable base (road + number, or a compound);
// anything else is a failure (no address, problems say why). Partial parses with leftovers
// succeed but list the leftovers in problems. Never throws on any bytes (invalid UTF-8 is a
// failure with a problem).
//
// Conventions where real addresses are ambiguous:
// - Shanghai lanes stay in the road: "长乐路100弄5号" → road "长乐路100弄", number "5";
//   the same for "…段", "…N巷"; a village group is the road: "战旗村五组12号" → road "五组".
// - After a compound "N号" is a building ("曹杨新村18号" → building 18); "N楼"/"N层" is a
//   floor and dropped; "1-2-501" is building-unit-room, "3-501" building-room.
AddressParse parse_address(std::string_view text);

// The canonical one-line form:
// "<province><city><district><subdistrict><community><road><number>号<compound><building>栋
// <unit>单元<room>室", omitting empty parts. For real addresses (the 200 of the test fixture)
// parsing it gives the same fields back (not the note); for junk with leftovers it may not.
std::string format_address(const StandardAddress& a);

}  // namespace gridmap::data
