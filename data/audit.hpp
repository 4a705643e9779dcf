// The append-only audit log: every reveal of personal data and every read of resident
// records. Each entry's hash covers the previous entry's hash, so editing or deleting a row
// breaks the chain (found by `gridmap audit verify`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/db.hpp"

namespace gridmap::data {

void audit(Db& db, int64_t at, const std::string& actor, const std::string& action, const std::string& subject,
           const std::string& detail = "");

struct AuditCheck {
  int64_t entries = 0;
  std::optional<int64_t> first_bad;  // id of the first entry whose hash does not match
};
AuditCheck verify_audit(Db& db);

}  // namespace gridmap::data
