#include "data/audit.hpp"

#include <sodium.h>

#include "geo/error.hpp"

namespace gridmap::data {
namespace {
std::string chain_hash(const std::string& prev, int64_t at, const std::string& actor, const std::string& action,
                       const std::string& subject, const std::string& detail) {
  if (sodium_init() < 0) throw_internal("libsodium cannot initialise");
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  // Length-prefixed fields, so no two different rows hash the same text.
  auto add = [&](const std::string& s) {
    uint64_t n = s.size();
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  add(prev);
  add(std::to_string(at));
  add(actor);
  add(action);
  add(subject);
  add(detail);
  unsigned char h[32];
  crypto_generichash_final(&st, h, sizeof h);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}
}  // namespace

void audit(Db& db, int64_t at, const std::string& actor, const std::string& action, const std::string& subject,
           const std::string& detail) {
  Statement last(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
  std::string prev = last.step() ? last.text(0) : std::string(64, '0');
  std::string hash = chain_hash(prev, at, actor, action, subject, detail);
  Statement st(db, "INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, at).bind(2, actor).bind(3, action).bind(4, subject).bind(5, detail).bind(6, prev).bind(7, hash).run();
}

AuditCheck verify_audit(Db& db) {
  AuditCheck out;
  Statement st(db, "SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY id");
  std::string prev(64, '0');
  while (st.step()) {
    ++out.entries;
    std::string want = chain_hash(prev, st.int64(1), st.text(2), st.text(3), st.text(4), st.text(5));
    if (!out.first_bad && (st.text(6) != prev || st.text(7) != want)) out.first_bad = st.int64(0);
    prev = st.text(7);
  }
  return out;
}

}  // namespace gridmap::data
