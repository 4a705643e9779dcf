#include "data/audit.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/partitions.hpp"
#include "data/pg_engine.hpp"
#include "data/time.hpp"
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

// The head of a retention entry's detail: which entry the log was cut after, and its MAC.
std::string cut_detail_head(int64_t last_id, const std::string& last_hash) {
  return "through " + std::to_string(last_id) + " " + last_hash + ";";
}

}  // namespace

std::optional<AuditCut> audit_cut(Db& db) {
  // A database before schema 13 (a backup of one being verified) has no cut.
  if (!has_table(db, "audit_cut")) return std::nullopt;
  Statement st(db, "SELECT last_id, last_hash, removed, at FROM audit_cut WHERE id = 1");
  if (!st.step()) return std::nullopt;
  return AuditCut{st.int64(0), st.text(1), st.int64(2), st.int64(3)};
}

AuditPrune prune_audit(Db& db, int64_t older_than, int64_t now, const std::string& actor) {
  AuditPrune out;
  // Whole months go, those that ended before the limit; on PostgreSQL a month is a partition.
  int64_t before = month_start(older_than);
  Transaction tx(db);                // the trigger stands aside inside it only
  ensure_month_partitions(db, now);  // rows of the default partition into their months
  int64_t last_id = 0;
  {
    Statement st(db, "SELECT count(*), coalesce(max(id), 0) FROM audit_log WHERE at < ?1");
    st.bind(1, before);
    st.step();
    out.removed = st.int64(0);
    last_id = st.int64(1);
  }
  if (out.removed == 0) {
    tx.commit();  // the partitions made
    return out;
  }
  {
    // Dates rise with ids (audit() sees to it): what goes is the chain's beginning. A log
    // written before that rule may disagree; it is then not cut at all.
    Statement st(db, "SELECT count(*) FROM audit_log WHERE at >= ?1 AND id < ?2");
    st.bind(1, before).bind(2, last_id);
    st.step();
    if (st.int64(0) != 0)
      throw Error(ErrorKind::conflict,
                  "the audit log's dates do not rise with its entries before " +
                      format_time(before) + ": not cut");
  }
  std::string last_hash;
  {
    Statement st(db, "SELECT hash FROM audit_log WHERE id = ?1");
    st.bind(1, last_id);
    st.step();
    last_hash = st.text(0);
  }
  std::optional<AuditCut> previous = audit_cut(db);
  if (db.postgresql()) {
    DroppedMonths d = drop_months_before(db, "audit_log", before);
    if (d.rows != out.removed)
      throw_internal("audit retention: the months dropped held " + std::to_string(d.rows) +
                     " entries, not " + std::to_string(out.removed));
  } else {
    // The append-only trigger stands aside for this one statement, in this transaction.
    std::string guard;
    {
      Statement st(db,
                   "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = "
                   "'audit_log_no_delete'");
      if (st.step()) guard = st.text(0);
    }
    if (!guard.empty()) db.exec("DROP TRIGGER audit_log_no_delete");
    Statement del(db, "DELETE FROM audit_log WHERE at < ?1");
    del.bind(1, before).run();
    if (!guard.empty()) db.exec(guard);
  }
  int64_t removed_ever = out.removed + (previous ? previous->removed : 0);
  Statement up(db,
               "INSERT INTO audit_cut(id, last_id, last_hash, removed, at) VALUES (1, ?1, ?2, ?3, "
               "?4) ON CONFLICT(id) DO UPDATE SET last_id = excluded.last_id, last_hash = "
               "excluded.last_hash, removed = excluded.removed, at = excluded.at");
  up.bind(1, last_id).bind(2, last_hash).bind(3, removed_ever).bind(4, now).run();
  // The cut is itself an entry: its MAC, which needs the key, vouches for where the log starts.
  audit(db, now, actor, kAuditPruneAction, "audit_log",
        cut_detail_head(last_id, last_hash) + " " + std::to_string(out.removed) +
            " entries dated before " + format_time(before) + " removed");
  out.through_id = last_id;
  tx.commit();
  return out;
}

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
  Statement last(db, "SELECT hash, at FROM audit_log ORDER BY id DESC LIMIT 1");
  std::string prev = std::string(64, '0');
  if (last.step()) {
    prev = last.text(0);
    // Never dated before the entry it follows (another server's clock may be behind): the
    // entries' dates then rise with their ids, and retention's cut by date is a cut of the
    // chain's beginning.
    at = std::max(at, last.int64(1));
  }
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
  std::optional<AuditCut> cut = audit_cut(db);
  Statement st(db,
               "SELECT id, at, actor, action, subject, detail, prev_hash, hash, keyed FROM "
               "audit_log ORDER BY id");
  // After a retention cut the chain starts at the last entry removed.
  std::string prev = cut ? cut->last_hash : std::string(64, '0');
  std::string attested;  // what the last retention entry says it cut
  bool seen_keyed = false, checkpoint_found = false;
  while (st.step()) {
    if (st.text(3) == kAuditPruneAction) attested = st.text(5);
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
  if (out.anchor_problem.empty() && cut &&
      attested.rfind(cut_detail_head(cut->last_id, cut->last_hash), 0) != 0)
    out.anchor_problem = "the log starts after entry " + std::to_string(cut->last_id) +
                         ", and no retention entry of the log says it was cut there";
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
