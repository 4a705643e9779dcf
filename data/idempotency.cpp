#include "data/idempotency.hpp"

#include "data/blob_store.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

std::string encode_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers)
    out.append(name).append(": ").append(value).append("\n");
  return out;
}

std::vector<std::pair<std::string, std::string>> decode_headers(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos)
      out.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return out;
}

}  // namespace

IdempotencyClaim claim_idempotency_key(Db& db, int64_t user_id, std::string_view key,
                                       std::string_view request, int64_t now) {
  if (key.empty() || key.size() > kIdempotencyKeyMax)
    throw_invalid("an Idempotency-Key has 1 to " + std::to_string(kIdempotencyKeyMax) +
                  " characters");
  for (char c : key)
    if (c < 0x21 || c > 0x7e) throw_invalid("an Idempotency-Key is printable ASCII without spaces");
  std::string fingerprint = sha256_hex(request);
  Transaction tx(db);
  Statement purge(db, "DELETE FROM idempotency_keys WHERE created_at < ?1");
  purge.bind(1, now - kIdempotencyKeepSeconds);
  purge.step();
  Statement find(db,
                 "SELECT fingerprint, status, content_type, headers, body, created_at "
                 "FROM idempotency_keys WHERE user_id = ?1 AND key = ?2");
  find.bind(1, user_id).bind(2, key);
  IdempotencyClaim claim;
  bool found = find.step();
  if (found && find.is_null(1) && find.int64(5) < now - kIdempotencyClaimLostSeconds) {
    // Claimed so long ago that no request can still be running it: its server died.
    find.reset();
    abandon_idempotency_key(db, user_id, key);
    found = false;
  }
  if (found) {
    if (find.text(0) != fingerprint) {
      claim.outcome = IdempotencyClaim::Outcome::mismatch;
    } else if (find.is_null(1)) {
      claim.outcome = IdempotencyClaim::Outcome::in_progress;
    } else {
      claim.outcome = IdempotencyClaim::Outcome::replay;
      claim.answer.status = static_cast<int>(find.int64(1));
      claim.answer.content_type = find.text(2);
      claim.answer.headers = decode_headers(find.text(3));
      claim.answer.body = find.blob(4);
    }
    return claim;
  }
  Statement add(db,
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) "
                "VALUES (?1, ?2, ?3, ?4)");
  add.bind(1, user_id).bind(2, key).bind(3, fingerprint).bind(4, now);
  add.step();
  tx.commit();
  return claim;
}

void finish_idempotency_key(Db& db, int64_t user_id, std::string_view key,
                            const StoredAnswer& answer) {
  Statement st(
      db,
      "UPDATE idempotency_keys SET status = ?3, content_type = ?4, headers = ?5, body = ?6 "
      "WHERE user_id = ?1 AND key = ?2");
  st.bind(1, user_id).bind(2, key).bind(3, int64_t{answer.status}).bind(4, answer.content_type);
  st.bind(5, encode_headers(answer.headers)).bind_blob(6, answer.body);
  st.step();
}

void abandon_idempotency_key(Db& db, int64_t user_id, std::string_view key) {
  Statement st(db, "DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2");
  st.bind(1, user_id).bind(2, key);
  st.step();
}

void abandon_unfinished_idempotency_keys(Db& db) {
  if (db.read_only()) return;   // a server that cannot write claims nothing
  if (db.postgresql()) return;  // other servers' requests may be running
  Statement st(db, "DELETE FROM idempotency_keys WHERE status IS NULL");
  st.step();
}

void forget_idempotency_keys(Db& db) {
  Statement st(db, "DELETE FROM idempotency_keys");
  st.step();
}

}  // namespace gridmap::data
