#include "data/attachments.hpp"

#include <array>

#include "data/blob_store.hpp"
#include "data/field_work.hpp"
#include "data/media.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

namespace gridmap::data {

namespace {
constexpr std::array<std::string_view, 3> kOwners{"petition", "visit", "worklog"};
constexpr std::array<std::string_view, 5> kStages{"report", "before", "progress", "after",
                                                  "record"};

OwnerKind owner_of(std::string_view s) {
  for (size_t i = 0; i < kOwners.size(); ++i)
    if (kOwners[i] == s) return static_cast<OwnerKind>(i);
  throw_internal("unknown attachment owner '" + std::string(s) + "'");
}

constexpr const char* kColumns =
    "id, owner_kind, owner_id, stage, sha256, thumb_sha256, content_type, original_type, bytes, "
    "width, height, taken_at, taken_lon, taken_lat, taken_distance_m, file_name, uploaded_by, "
    "created_at FROM attachments ";

Attachment read_row(const Statement& st) {
  Attachment a;
  a.id = st.int64(0);
  a.owner_kind = owner_of(st.text(1));
  a.owner_id = st.int64(2);
  a.stage = parse_stage(st.text(3)).value_or(Stage::record);
  a.sha256 = st.text(4);
  a.thumb_sha256 = st.opt_text(5);
  a.content_type = st.text(6);
  a.original_type = st.text(7);
  a.bytes = st.int64(8);
  a.width = static_cast<int>(st.int64(9));
  a.height = static_cast<int>(st.int64(10));
  a.taken_at = st.opt_int64(11);
  if (!st.is_null(12) && !st.is_null(13)) a.taken_position = LonLat{st.real(12), st.real(13)};
  if (!st.is_null(14)) a.taken_distance_m = st.real(14);
  a.file_name = st.text(15);
  a.uploaded_by = st.text(16);
  a.created_at = st.int64(17);
  return a;
}

bool referenced(Db& db, const std::string& key) {
  Statement st(db, "SELECT 1 FROM attachments WHERE sha256 = ?1 OR thumb_sha256 = ?1 LIMIT 1");
  st.bind(1, key);
  return st.step();
}

// Once the deletion is committed, the files no row refers to any more go too.
void remove_files_after_commit(Db& db, BlobStore& store, std::vector<std::string> keys) {
  db.after_commit([&db, &store, keys = std::move(keys)] {
    for (const std::string& k : keys)
      if (!referenced(db, k)) store.remove(k);
  });
}

}  // namespace

std::string_view to_string(OwnerKind k) noexcept {
  return kOwners[static_cast<size_t>(k)];
}
std::string_view to_string(Stage s) noexcept {
  return kStages[static_cast<size_t>(s)];
}
std::optional<Stage> parse_stage(std::string_view s) noexcept {
  for (size_t i = 0; i < kStages.size(); ++i)
    if (kStages[i] == s) return static_cast<Stage>(i);
  return std::nullopt;
}

std::optional<LonLat> Attachments::require_open_owner(OwnerKind kind, int64_t owner, int64_t now) {
  std::string what = std::string(to_string(kind)) + " " + std::to_string(owner);
  switch (kind) {
    case OwnerKind::petition: {
      Statement st(db_, "SELECT status, X(geom), Y(geom) FROM petitions WHERE id = ?1");
      st.bind(1, owner);
      if (!st.step()) throw Error(ErrorKind::not_found, "no " + what);
      if (st.text(0) == "closed")
        throw Error(ErrorKind::conflict, "petition " + std::to_string(owner) +
                                             " is closed: its files are kept as they are");
      if (st.is_null(1)) return std::nullopt;
      return LonLat{st.real(1), st.real(2)};
    }
    case OwnerKind::visit: {
      Statement st(db_,
                   "SELECT coalesce(v.lon, X(h.geom)), coalesce(v.lat, Y(h.geom)) FROM visits v "
                   "JOIN households h ON h.id = v.household_id WHERE v.id = ?1");
      st.bind(1, owner);
      if (!st.step()) throw Error(ErrorKind::not_found, "no " + what);
      if (st.is_null(0)) return std::nullopt;
      return LonLat{st.real(0), st.real(1)};
    }
    case OwnerKind::worklog: {
      Statement st(db_, "SELECT at FROM work_log_entries WHERE id = ?1");
      st.bind(1, owner);
      if (!st.step())
        throw Error(ErrorKind::not_found, "no work-log entry " + std::to_string(owner));
      if (log_entry_locked(st.int64(0), now))
        throw Error(ErrorKind::conflict, "work-log entry " + std::to_string(owner) +
                                             " is locked (older than three days)");
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Attachment Attachments::add(OwnerKind kind, int64_t owner, Stage stage,
                            const media::Processed& file, const std::string& file_name,
                            const std::string& actor, int64_t now) {
  Transaction tx(db_);
  auto place = require_open_owner(kind, owner, now);
  std::string key = sha256_hex(file.stored);
  std::optional<std::string> thumb;
  if (file.thumbnail) thumb = sha256_hex(*file.thumbnail);
  // The files first: a row never points at a file that is not there. Should the row not be
  // written, the files are removed below unless another row refers to them.
  bool had_file = store_.contains(key), had_thumb = thumb && store_.contains(*thumb);
  struct Undo {
    Db& db;
    BlobStore& store;
    std::vector<std::string> keys;
    bool done = false;
    ~Undo() {
      if (done) return;
      for (const std::string& k : keys)
        if (!referenced(db, k)) store.remove(k);
    }
  } undo{db_, store_, {}};
  store_.put(key, file.stored);
  if (!had_file) undo.keys.push_back(key);
  if (thumb) {
    store_.put(*thumb, *file.thumbnail);
    if (!had_thumb) undo.keys.push_back(*thumb);
  }
  std::optional<double> distance;
  if (place && file.lon && file.lat)
    distance = geodesic_distance_m(*place, LonLat{*file.lon, *file.lat});
  Statement ins(
      db_,
      "INSERT INTO attachments(owner_kind, owner_id, stage, sha256, thumb_sha256, content_type, "
      "original_type, bytes, width, height, taken_at, taken_lon, taken_lat, taken_distance_m, "
      "file_name, uploaded_by, created_at) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  ins.bind(1, to_string(kind)).bind(2, owner).bind(3, to_string(stage)).bind(4, key).bind(5, thumb);
  ins.bind(6, media::mime_of(file.stored_type)).bind(7, media::mime_of(file.original_type));
  ins.bind(8, static_cast<int64_t>(file.stored.size())).bind(9, file.width).bind(10, file.height);
  ins.bind(11, file.taken_at).bind(12, file.lon).bind(13, file.lat).bind(14, distance);
  ins.bind(15, file_name).bind(16, actor).bind(17, now).run();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  undo.done = true;
  return *get(id);
}

std::vector<Attachment> Attachments::of(OwnerKind kind, int64_t owner) {
  Statement st(db_, std::string("SELECT ") + kColumns +
                        "WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY id");
  st.bind(1, to_string(kind)).bind(2, owner);
  std::vector<Attachment> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

std::optional<Attachment> Attachments::get(int64_t id) {
  Statement st(db_, std::string("SELECT ") + kColumns + "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

bool Attachments::remove(int64_t id, int64_t now) {
  Transaction tx(db_);
  auto a = get(id);
  if (!a) return false;
  require_open_owner(a->owner_kind, a->owner_id, now);
  Statement del(db_, "DELETE FROM attachments WHERE id = ?1");
  del.bind(1, id).run();
  std::vector<std::string> keys{a->sha256};
  if (a->thumb_sha256) keys.push_back(*a->thumb_sha256);
  remove_files_after_commit(db_, store_, std::move(keys));
  tx.commit();
  return true;
}

void drop_attachments(Db& db, BlobStore& store, OwnerKind kind, int64_t owner) {
  std::vector<std::string> keys;
  Statement st(
      db, "SELECT sha256, thumb_sha256 FROM attachments WHERE owner_kind = ?1 AND owner_id = ?2");
  st.bind(1, to_string(kind)).bind(2, owner);
  while (st.step()) {
    keys.push_back(st.text(0));
    if (auto t = st.opt_text(1)) keys.push_back(*t);
  }
  Statement del(db, "DELETE FROM attachments WHERE owner_kind = ?1 AND owner_id = ?2");
  del.bind(1, to_string(kind)).bind(2, owner).run();
  remove_files_after_commit(db, store, std::move(keys));
}

size_t Attachments::sweep_orphans() {
  size_t removed = 0;
  // Only files at least ten minutes old: another process may be between a file and its row.
  for (const std::string& k : store_.keys(std::chrono::minutes(10)))
    if (!referenced(db_, k)) {
      store_.remove(k);
      ++removed;
    }
  return removed;
}

}  // namespace gridmap::data
