// A resident's rights over their personal data (PIPL 个人信息查阅、更正、删除): everything
// held about one person, gathered from every place it appears, and its erasure from all of
// them, leaving statistics whole (cases and visits stay, without the person).
//
// Where a person appears: their resident record and tags; their household (address, room,
// grid); the visits of that household whose notes or answers name them (name, phone or ID
// number); the cases whose reporter's contact or text names them by phone or ID number, and
// those cases' history and follow-up notes; the audit entries about their record (who revealed it
// when).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/db.hpp"

namespace gridmap::data {

// The resident named by `who`: a resident id, or an ID number (身份证号). nullopt: none.
std::optional<int64_t> find_resident(Db& db, const std::string& who);

struct PersonalDataExport {
  std::string json;  // {"resident", "tags", "household", "visits", "cases", "audit"}
  std::string csv;   // section,item,field,value (UTF-8 with BOM, for Excel)
  int64_t visits = 0, cases = 0, audit_entries = 0;
};
// Throws not_found. The caller audits the export (it reveals personal data).
PersonalDataExport export_resident(Db& db, int64_t resident_id);

struct Erasure {
  int64_t resident_id = 0;
  int64_t cases = 0;      // reporter contacts removed, mentions redacted
  int64_t followups = 0;  // follow-up and history notes redacted
  int64_t visits = 0;     // notes and answers redacted
  int64_t tags = 0;
  bool wal_truncated = false;  // false while another connection still reads the old pages
};
// Erases the person everywhere in one transaction (the resident record and tags deleted;
// every mention of their name, phone or ID number in visits, cases and follow-ups replaced
// by "[已删除]"; cases' reporter contact removed), writes an audit entry with the reason,
// then checkpoints the WAL so the old pages leave it (secure_delete zeroes freed bytes).
// Throws not_found, invalid_input (no reason).
Erasure erase_resident(Db& db, int64_t resident_id, const std::string& actor,
                       const std::string& reason, int64_t now);

// Retention of the reporters' contacts (serve --contact-retention-days): removes the contact
// of every case closed (rejected, withdrawn) before `closed_before` (epoch seconds; a case
// without a closing time by its report time); the case, its history and its
// counts stay. Returns how many contacts went.
int64_t expire_case_contacts(Db& db, int64_t closed_before);

}  // namespace gridmap::data
