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

void audit(Db& db, int64_t at, const std::string& actor, const std::string& action,
           const std::string& subject, const std::string& detail = "");

// Retention (serve --audit-retention-days): removes the entries of the months that ended
// before `older_than`, whole months at a time (on PostgreSQL, by dropping their partitions),
// records where the log now starts in audit_cut, and writes an entry saying so. That entry's
// MAC vouches for the cut: verify_audit starts the chain there and finds a beginning removed
// without one. In a transaction of its own (a savepoint of the caller's); conflict when the
// log's dates do not rise with its ids (a log written before schema 13 by servers whose clocks
// disagreed).
inline constexpr const char* kAuditPruneAction = "audit.retention";
struct AuditPrune {
  int64_t removed = 0;
  int64_t through_id = 0;  // the last entry removed
};
AuditPrune prune_audit(Db& db, int64_t older_than, int64_t now, const std::string& actor);

struct AuditCut {
  int64_t last_id = 0;
  std::string last_hash;
  int64_t removed = 0;  // entries removed by every cut so far
  int64_t at = 0;
};
std::optional<AuditCut> audit_cut(Db& db);

struct AuditCheck {
  int64_t entries = 0;
  std::optional<int64_t> first_bad;  // id of the first entry whose MAC or link does not match
  std::string anchor_problem;        // the log disagrees with its anchor (key, checkpoint)
  bool intact() const { return !first_bad && anchor_problem.empty(); }
};
AuditCheck verify_audit(Db& db);

}  // namespace gridmap::data
