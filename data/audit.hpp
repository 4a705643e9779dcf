// The append-only audit log: every reveal of personal data and every read of resident
// records. Each entry's MAC covers the previous entry's, so editing or deleting a row breaks
// the chain (found by `gridmap audit verify`).
//
// The chain is anchored outside the database file, so that whoever can write the file
// cannot rewrite history unseen:
// - the MAC is keyed (BLAKE2b with a 256-bit key in FILE.audit-key, made on first use, mode
//   0600): recomputing the chain after an edit needs the key, not just the file;
// - every committed entry appends "id hash" to FILE.audit-head: removing the last entries,
//   or all of them, leaves the checkpoint pointing past the end of the log.
// GRIDMAP_AUDIT_DIR puts both files in another directory (another volume or machine mount;
// they are named after the database file), which is where they belong in production.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/db.hpp"

namespace gridmap::data {

struct AuditAnchor {
  std::string key_path;         // the MAC key
  std::string checkpoint_path;  // "id hash" lines, one per committed entry
  static AuditAnchor of(const std::string& db_path);
};

void audit(Db& db, int64_t at, const std::string& actor, const std::string& action, const std::string& subject,
           const std::string& detail = "");

struct AuditCheck {
  int64_t entries = 0;
  std::optional<int64_t> first_bad;  // id of the first entry whose MAC or link does not match
  std::string anchor_problem;        // the log disagrees with its anchor (key, checkpoint)
  bool intact() const { return !first_bad && anchor_problem.empty(); }
};
AuditCheck verify_audit(Db& db);

}  // namespace gridmap::data
