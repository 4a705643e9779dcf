#include "data/audit.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/pg_engine.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

constexpr size_t kKeyBytes = crypto_generichash_KEYBYTES;  // 32

// Length-prefixed fields, so no two different rows hash the same text; keyed when `key`
// is not empty (entries before schema 4 were not).
std::string chain_hash(const std::string& key, const std::string& prev, int64_t at,
                       const std::string& actor, const std::string& action,
                       const std::string& subject, const std::string& detail) {
  if (sodium_init() < 0) throw_internal("libsodium cannot initialise");
  crypto_generichash_state st;
  crypto_generichash_init(
      &st, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()), key.size(),
      32);
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

std::optional<std::string> read_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string key(kKeyBytes, '\0');
  in.read(key.data(), static_cast<std::streamsize>(key.size()));
  if (in.gcount() != static_cast<std::streamsize>(kKeyBytes))
    throw Error(ErrorKind::unavailable, "the audit key " + path + " is damaged (not " +
                                            std::to_string(kKeyBytes) + " bytes)");
  return key;
}

// The key, made (random, 0600, written whole before it is used) when there is none yet.
std::string key_for_writing(const std::string& path) {
  if (auto k = read_key(path)) return *k;
  if (sodium_init() < 0) throw_internal("libsodium cannot initialise");
  std::string key(kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorKind::unavailable,
                "cannot create the audit key " + tmp + ": " + std::strerror(errno));
  bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // link() fails when another process made the key meanwhile: then theirs is the key.
  if (!ok || (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST)) {
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::unavailable,
                "cannot write the audit key " + path + ": " + std::strerror(errno));
  }
  ::unlink(tmp.c_str());
  return *read_key(path);
}

void append_checkpoint(const std::string& path, int64_t id, const std::string& hash) {
  std::string line = std::to_string(id) + " " + hash + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fdatasync(fd) == 0;
  if (fd >= 0) ::close(fd);
  // The entry is committed already; a checkpoint that could not be written shows up in
  // `audit verify` as a checkpoint behind the log, never as a lost entry.
  if (!ok)
    std::fprintf(stderr, "gridmap: cannot append to the audit checkpoint %s: %s\n", path.c_str(),
                 std::strerror(errno));
}

struct Checkpoint {
  int64_t id = 0;
  std::string hash;
};

std::optional<Checkpoint> last_checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::optional<Checkpoint> last;
  Checkpoint c;
  while (in >> c.id >> c.hash) last = c;
  return last;
}

}  // namespace

AuditAnchor AuditAnchor::of(const std::string& db_path) {
  if (pg::is_url(db_path)) {
    // A PostgreSQL database has no directory of its own: the anchor goes where the operator
    // says (gridmap serve says the attachments' directory, which every server shares).
    const char* d = std::getenv("GRIDMAP_AUDIT_DIR");
    if (!d || !*d)
      throw Error(ErrorKind::unavailable,
                  "on PostgreSQL, GRIDMAP_AUDIT_DIR names the directory of the audit log's key "
                  "and checkpoints (one every server and command shares)");
    std::string base = (std::filesystem::path(d) / pg::file_label(db_path)).string();
    return {base + ".audit-key", base + ".audit-head"};
  }
  std::filesystem::path db(db_path);
  std::filesystem::path dir = db.parent_path();
  if (const char* d = std::getenv("GRIDMAP_AUDIT_DIR"); d && *d) dir = d;
  std::string base = (dir / db.filename()).string();
  return {base + ".audit-key", base + ".audit-head"};
}

void audit(Db& db, int64_t at, const std::string& actor, const std::string& action,
           const std::string& subject, const std::string& detail) {
  AuditAnchor anchor = AuditAnchor::of(db.path());
  std::string key = key_for_writing(anchor.key_path);
  Statement last(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
  std::string prev = last.step() ? last.text(0) : std::string(64, '0');
  std::string hash = chain_hash(key, prev, at, actor, action, subject, detail);
  Statement st(db,
               "INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash, keyed) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)");
  st.bind(1, at)
      .bind(2, actor)
      .bind(3, action)
      .bind(4, subject)
      .bind(5, detail)
      .bind(6, prev)
      .bind(7, hash)
      .run();
  int64_t id = db.last_insert_rowid();
  db.after_commit([path = anchor.checkpoint_path, id, hash] { append_checkpoint(path, id, hash); });
}

AuditCheck verify_audit(Db& db) {
  AuditCheck out;
  AuditAnchor anchor = AuditAnchor::of(db.path());
  std::optional<std::string> key = read_key(anchor.key_path);
  std::optional<Checkpoint> cp = last_checkpoint(anchor.checkpoint_path);
  Statement st(db,
               "SELECT id, at, actor, action, subject, detail, prev_hash, hash, keyed FROM "
               "audit_log ORDER BY id");
  std::string prev(64, '0');
  bool seen_keyed = false, checkpoint_found = false;
  while (st.step()) {
    ++out.entries;
    int64_t id = st.int64(0);
    bool keyed = st.int64(8) != 0;
    if (keyed && !key && out.anchor_problem.empty())
      out.anchor_problem =
          "the audit key " + anchor.key_path + " is missing: keyed entries cannot be checked";
    // Plain entries may only come before the first keyed one (written before schema 4).
    bool ok = !(seen_keyed && !keyed) && st.text(6) == prev;
    if (ok && (!keyed || key))
      ok = st.text(7) == chain_hash(keyed ? *key : std::string(), prev, st.int64(1), st.text(2),
                                    st.text(3), st.text(4), st.text(5));
    if (!out.first_bad && !ok) out.first_bad = id;
    seen_keyed = seen_keyed || keyed;
    if (cp && id == cp->id) {
      checkpoint_found = true;
      if (st.text(7) != cp->hash && out.anchor_problem.empty())
        out.anchor_problem = "entry " + std::to_string(id) + " differs from the checkpoint in " +
                             anchor.checkpoint_path;
    }
    prev = st.text(7);
  }
  if (out.anchor_problem.empty()) {
    if (cp && !checkpoint_found)
      out.anchor_problem = "the checkpoint in " + anchor.checkpoint_path + " records entry " +
                           std::to_string(cp->id) +
                           ", which the log no longer holds: entries were removed";
    else if (!cp && seen_keyed)
      out.anchor_problem = "the checkpoint " + anchor.checkpoint_path + " is missing or empty";
    else if (key && !seen_keyed && out.entries > 0)  // keyed entries were written, and replaced
      out.anchor_problem = "the log has an audit key but no keyed entry: it was rewritten";
  }
  return out;
}

}  // namespace gridmap::data
