// Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a client that may send a
// write twice (a phone's offline queue, a retry after a lost answer) names it with a key; the
// first answer is kept for a day and a repeat with the same key gets it again instead of
// writing twice. Keys belong to a user; one key names one request (method, path, query and
// body), and reusing it for another is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

constexpr int64_t kIdempotencyKeepSeconds = 24 * 3600;
constexpr size_t kIdempotencyKeyMax = 200;
// A key claimed this long ago and never answered is free again: no request runs that long, so
// the process that claimed it died (with several servers on PostgreSQL, where one server's
// start cannot free the others' claims).
constexpr int64_t kIdempotencyClaimLostSeconds = 600;

struct StoredAnswer {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct IdempotencyClaim {
  enum class Outcome {
    proceed,      // first time: run the request, then finish() or abandon()
    replay,       // done before: answer `answer`
    in_progress,  // the first is still running
    mismatch      // the key named another request
  };
  Outcome outcome = Outcome::proceed;
  StoredAnswer answer;  // replay
};

// `request` is everything that identifies the request (method, path, query, body); only its
// SHA-256 is kept. Throws invalid_input for an empty key, one over kIdempotencyKeyMax bytes
// or one with characters outside printable ASCII. Expired keys are removed on the way.
IdempotencyClaim claim_idempotency_key(Db& db, int64_t user_id, std::string_view key,
                                       std::string_view request, int64_t now);
// The answer to keep for the key claimed.
void finish_idempotency_key(Db& db, int64_t user_id, std::string_view key,
                            const StoredAnswer& answer);
// The request failed on the server's side (5xx, or no answer): the key is free again.
void abandon_idempotency_key(Db& db, int64_t user_id, std::string_view key);
// Keys claimed but never answered: at start-up, one server per database file, those are a
// stopped process's (killed in the middle of the write), and a retry must not wait a day.
// Nothing on PostgreSQL (see kIdempotencyClaimLostSeconds).
void abandon_unfinished_idempotency_keys(Db& db);
// Every kept answer (a resident's erasure: answers may quote them).
void forget_idempotency_keys(Db& db);

}  // namespace gridmap::data
