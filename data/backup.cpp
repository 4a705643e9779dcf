#include "data/backup.hpp"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "core/version.hpp"
#include "data/audit.hpp"
#include "data/blob_store.hpp"
#include "data/db.hpp"
#include "data/engine_copy.hpp"
#include "data/scratch_dir.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace fs = std::filesystem;

namespace gridmap::data {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kChunk = size_t{1} << 20;
constexpr const char* kManifest = "manifest.json";
constexpr const char* kDatabase = "gridmap.sqlite";
constexpr const char* kAuditKey = "audit-key";
constexpr const char* kAuditHead = "audit-head";
constexpr const char* kFilesPrefix = "files/";

[[noreturn]] void unavailable(const std::string& what) {
  throw Error(ErrorKind::unavailable, what);
}

class Sha256 {
 public:
  Sha256() { crypto_hash_sha256_init(&state_); }
  void add(const char* p, size_t n) {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(p), n);
  }
  std::string hex() {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, digest);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : digest) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    return out;
  }

 private:
  crypto_hash_sha256_state state_;
};

std::string file_sha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) unavailable("cannot read " + path.string());
  Sha256 h;
  std::vector<char> buf(kChunk);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.add(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.hex();
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path parent_or_here(const std::string& path) {
  fs::path p = fs::path(path).parent_path();
  return p.empty() ? fs::path(".") : p;
}

// ---- tar (POSIX ustar), through zlib's gzip stream ----

void octal(char* field, size_t width, uint64_t v) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(v));
}

// Compresses one gzip member (level 1: a database compresses well even so).
std::string gzip_member(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw_internal("zlib cannot start a gzip member");
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw_internal("zlib could not finish a gzip member");
  return out;
}

// The tar stream, gzip-compressed as a series of members of kMemberBytes each, compressed on
// as many threads as there are cores and written in order: one gzip file to every reader
// (zlib, gzip, tar), in a fraction of one thread's time.
class TarWriter {
 public:
  explicit TarWriter(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) unavailable("cannot write " + path);
    pending_.reserve(kMemberBytes);
  }
  ~TarWriter() {
    for (auto& f : in_flight_) f.wait();  // no thread outlives its buffer
    if (file_) std::fclose(file_);
  }
  void add_bytes(const std::string& name, std::string_view bytes) {
    header(name, bytes.size());
    write(bytes.data(), bytes.size());
    pad(bytes.size());
  }
  void add_file(const std::string& name, const fs::path& file,
                const std::function<void(size_t)>& step) {
    std::ifstream in(file, std::ios::binary);
    if (!in) unavailable("cannot read " + file.string());
    uint64_t size = fs::file_size(file);
    header(name, size);
    std::vector<char> buf(kChunk);
    uint64_t left = size;
    while (left > 0) {
      in.read(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(buf.size(), left)));
      auto n = static_cast<size_t>(in.gcount());
      if (n == 0) unavailable(file.string() + " shrank while it was read");
      write(buf.data(), n);
      left -= n;
      if (step) step(n);
    }
    pad(size);
  }
  void finish() {
    std::string end(2 * kBlock, '\0');
    write(end.data(), end.size());
    if (!pending_.empty()) dispatch();
    while (!in_flight_.empty()) write_oldest();
    int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) unavailable("cannot finish " + path_);
  }

 private:
  void header(const std::string& name, uint64_t size) {
    if (name.size() >= 100) throw_internal("a backup member's name is too long: " + name);
    char h[kBlock] = {};
    std::memcpy(h, name.data(), name.size());
    octal(h + 100, 8, 0640);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    if (size < (uint64_t{1} << 33)) {
      octal(h + 124, 12, size);
    } else {  // GNU base-256 for 8 GiB and more
      h[124] = static_cast<char>(0x80);
      for (int i = 11; i >= 1; --i, size >>= 8) h[124 + i] = static_cast<char>(size & 0xff);
    }
    octal(h + 136, 12, static_cast<uint64_t>(now_seconds()));
    std::memset(h + 148, ' ', 8);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    write(h, kBlock);
  }
  void pad(uint64_t size) {
    static const char zeros[kBlock] = {};
    if (size % kBlock) write(zeros, kBlock - size % kBlock);
  }
  void write(const char* p, size_t n) {
    while (n > 0) {
      size_t part = std::min(n, kMemberBytes - pending_.size());
      pending_.append(p, part);
      p += part;
      n -= part;
      if (pending_.size() == kMemberBytes) dispatch();
    }
  }
  // The full buffer to a thread of its own; the oldest member written once as many are
  // compressing as there are cores.
  void dispatch() {
    in_flight_.push_back(std::async(std::launch::async, gzip_member, std::move(pending_)));
    pending_ = std::string();
    pending_.reserve(kMemberBytes);
    if (in_flight_.size() > workers_) write_oldest();
  }
  void write_oldest() {
    std::string member = in_flight_.front().get();
    in_flight_.pop_front();
    if (std::fwrite(member.data(), 1, member.size(), file_) != member.size())
      unavailable("cannot write " + path_);
  }

  static constexpr size_t kMemberBytes = size_t{4} << 20;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string pending_;
  std::deque<std::future<std::string>> in_flight_;
  size_t workers_ = std::max(1u, std::thread::hardware_concurrency());
};

struct Member {
  std::string name;
  uint64_t size = 0;
};

// Reads members in order; every failure is invalid_input naming what is wrong.
class TarReader {
 public:
  explicit TarReader(const std::string& path) : path_(path) {
    gz_ = gzopen(path.c_str(), "rb");
    if (!gz_) throw_invalid("cannot read " + path);
  }
  ~TarReader() {
    if (gz_) gzclose(gz_);
  }
  // The next member's header (after skipping what is left of the one before); nullopt at the
  // archive's end.
  std::optional<Member> next() {
    skip(left_ + padding_);
    left_ = padding_ = 0;
    unsigned char h[kBlock];
    read_exact(reinterpret_cast<char*>(h), kBlock);
    if (std::all_of(h, h + kBlock, [](unsigned char c) { return c == 0; })) return std::nullopt;
    unsigned stored = 0;
    if (std::sscanf(reinterpret_cast<const char*>(h + 148), "%o", &stored) != 1)
      throw_invalid("a member's header has no checksum: not a gridmap backup");
    unsigned sum = 0;
    for (int i = 0; i < static_cast<int>(kBlock); ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    if (sum != stored) throw_invalid("a member's header is damaged (checksum)");
    Member m;
    m.name.assign(reinterpret_cast<const char*>(h), strnlen(reinterpret_cast<const char*>(h), 100));
    if (h[124] & 0x80) {
      for (int i = 1; i < 12; ++i) m.size = (m.size << 8) | h[124 + i];
    } else {
      char field[13] = {};
      std::memcpy(field, h + 124, 12);
      m.size = std::strtoull(field, nullptr, 8);
    }
    left_ = m.size;
    padding_ = m.size % kBlock ? kBlock - m.size % kBlock : 0;
    return m;
  }
  // Up to `n` bytes of the current member; 0 at its end.
  size_t read(char* p, size_t n) {
    n = static_cast<size_t>(std::min<uint64_t>(n, left_));
    read_exact(p, n);
    left_ -= n;
    return n;
  }
  std::string read_all_of(const Member& m, size_t most) {
    if (m.size > most) throw_invalid(m.name + " is larger than a backup's " + m.name + " can be");
    std::string out(m.size, '\0');
    read(out.data(), out.size());
    return out;
  }

 private:
  void read_exact(char* p, size_t n) {
    while (n > 0) {
      unsigned part = static_cast<unsigned>(std::min<size_t>(n, kChunk));
      int got = gzread(gz_, p, part);
      if (got <= 0) {
        int err = 0;
        const char* msg = gzerror(gz_, &err);
        throw_invalid(path_ + " ends early or is damaged" +
                      (err ? std::string(" (") + msg + ")" : ""));
      }
      p += got;
      n -= static_cast<size_t>(got);
    }
  }
  void skip(uint64_t n) {
    std::vector<char> buf(std::min<uint64_t>(n, kChunk));
    while (n > 0) {
      size_t part = static_cast<size_t>(std::min<uint64_t>(n, buf.size()));
      read_exact(buf.data(), part);
      n -= part;
    }
  }

  std::string path_;
  gzFile gz_ = nullptr;
  uint64_t left_ = 0, padding_ = 0;
};

// ---- what a database holds ----

struct Contents {
  int schema_version = 0;
  std::map<std::string, int64_t> tables;
  int64_t audit_entries = 0, audit_last_id = 0;
  std::string audit_head;
};

Contents contents_of(Db& db) {
  Contents c;
  c.schema_version = db.schema_version();
  std::vector<std::string> names;
  {
    Statement st(db,
                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name");
    while (st.step()) names.push_back(st.text(0));
  }
  for (const std::string& name : names) {
    std::string quoted = "\"";
    for (char ch : name) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    Statement n(db, "SELECT count(*) FROM " + quoted + "\"");
    n.step();
    c.tables[name] = n.int64(0);
  }
  if (c.tables.count("audit_log")) {
    Statement last(db, "SELECT count(*), coalesce(max(id), 0) FROM audit_log");
    last.step();
    c.audit_entries = last.int64(0);
    c.audit_last_id = last.int64(1);
    Statement head(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (head.step()) c.audit_head = head.text(0);
  }
  return c;
}

// The checkpoint lines ("id hash") of entries the snapshot holds: the live log may have
// grown since the snapshot was taken.
std::string checkpoint_upto(const std::string& checkpoint, int64_t last_id) {
  std::istringstream in(checkpoint);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (std::strtoll(line.c_str(), nullptr, 10) <= last_id) out += line + "\n";
  }
  return out;
}

// The stored attachments: DIR/ab/cd/<sha256>, as DirBlobStore keeps them (its temp files
// are not content).
std::vector<std::pair<std::string, fs::path>> stored_files(const fs::path& dir) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string key = it->path().filename().string();
    fs::path rel = fs::relative(it->path(), dir);
    bool content = key.size() == 64 &&
                   key.find_first_not_of("0123456789abcdef") == std::string::npos &&
                   rel == fs::path(key.substr(0, 2)) / key.substr(2, 2) / key;
    if (content) out.emplace_back(key, it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What `verify` and `restore` check of a database read back: its pages, the manifest's
// counts, its audit chain against the anchor beside it.
std::string check_database(const std::string& db_path, const BackupManifest& m) {
  Db db = Db::open_readonly(db_path);
  {
    Statement st(db, "PRAGMA integrity_check");
    std::string first = st.step() ? st.text(0) : "";
    if (first != "ok") return "the database fails its integrity check: " + first;
  }
  Contents c = contents_of(db);
  if (c.schema_version != m.schema_version)
    return "schema " + std::to_string(c.schema_version) + ", the manifest says " +
           std::to_string(m.schema_version);
  if (c.tables != m.tables) {
    for (const auto& [name, n] : m.tables) {
      auto it = c.tables.find(name);
      if (it == c.tables.end()) return "table " + name + " is missing";
      if (it->second != n)
        return "table " + name + " has " + std::to_string(it->second) +
               " rows, the manifest says " + std::to_string(n);
    }
    return "the database has tables the manifest does not name";
  }
  if (c.audit_head != m.audit_head || c.audit_entries != m.audit_entries)
    return "the audit log's head is not the manifest's";
  // The chain as this gridmap writes it (a log of an early schema, before entries were keyed,
  // is verified once migrated).
  bool keyed_log = false;
  if (c.tables.count("audit_log")) {
    Statement col(db, "SELECT 1 FROM pragma_table_info('audit_log') WHERE name = 'keyed'");
    keyed_log = col.step();
  }
  if (keyed_log) {
    AuditCheck a = verify_audit(db);
    if (!a.intact())
      return "the audit chain does not verify" +
             (a.first_bad ? " from entry " + std::to_string(*a.first_bad)
                          : ": " + a.anchor_problem);
  }
  return "";
}

// Reads the archive through, calling `on` for each member; checks the manifest first and
// the hashes of the database and files. Returns the manifest; throws invalid_input.
BackupManifest read_archive(const std::string& archive,
                            const std::function<void(const Member&, TarReader&, Sha256*)>& on,
                            std::string& sha_of_database) {
  TarReader tar(archive);
  auto first = tar.next();
  if (!first || first->name != kManifest)
    throw_invalid(archive + " is not a gridmap backup (no manifest first)");
  BackupManifest m = parse_manifest(tar.read_all_of(*first, size_t{64} << 20));
  int64_t files = 0, file_bytes = 0;
  bool database = false;
  while (auto member = tar.next()) {
    bool is_file = member->name.rfind(kFilesPrefix, 0) == 0;
    Sha256 h;
    on(*member, tar, &h);
    std::string digest = h.hex();
    if (member->name == kDatabase) {
      database = true;
      sha_of_database = digest;
      if (static_cast<int64_t>(member->size) != m.database_bytes || digest != m.database_sha256)
        throw_invalid(
            "the database in the archive is not the one its manifest describes (size or SHA-256)");
    } else if (is_file) {
      ++files;
      file_bytes += static_cast<int64_t>(member->size);
      if (member->name.substr(std::strlen(kFilesPrefix)) != digest)
        throw_invalid("attachment " + member->name + " does not match its hash");
    }
  }
  if (!database) throw_invalid("the archive holds no database");
  if (files != m.files || file_bytes != m.file_bytes)
    throw_invalid("the archive holds " + std::to_string(files) +
                  " attachments, the manifest says " + std::to_string(m.files));
  return m;
}

// Copies the current member to `out` (hashing it).
void copy_member(TarReader& tar, Sha256* h, const fs::path& out) {
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) unavailable("cannot write " + out.string());
  std::vector<char> buf(kChunk);
  while (size_t n = tar.read(buf.data(), buf.size())) {
    h->add(buf.data(), n);
    f.write(buf.data(), static_cast<std::streamsize>(n));
  }
  f.flush();
  if (!f) unavailable("cannot write " + out.string());
}

void hash_member(TarReader& tar, Sha256* h) {
  std::vector<char> buf(kChunk);
  while (size_t n = tar.read(buf.data(), buf.size())) h->add(buf.data(), n);
}

}  // namespace

std::string manifest_json(const BackupManifest& m) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("format");
  w.String(m.format.c_str());
  w.Key("created_at");
  w.String(format_time(m.created_at).c_str());
  w.Key("gridmap_version");
  w.String(m.gridmap_version.c_str());
  w.Key("schema_version");
  w.Int(m.schema_version);
  w.Key("database");
  w.StartObject();
  w.Key("bytes");
  w.Int64(m.database_bytes);
  w.Key("sha256");
  w.String(m.database_sha256.c_str());
  w.EndObject();
  w.Key("tables");
  w.StartObject();
  for (const auto& [name, n] : m.tables) {
    w.Key(name.c_str());
    w.Int64(n);
  }
  w.EndObject();
  w.Key("audit");
  w.StartObject();
  w.Key("entries");
  w.Int64(m.audit_entries);
  w.Key("head");
  w.String(m.audit_head.c_str());
  w.EndObject();
  w.Key("files");
  w.StartObject();
  w.Key("count");
  w.Int64(m.files);
  w.Key("bytes");
  w.Int64(m.file_bytes);
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

BackupManifest parse_manifest(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  auto bad = [] { throw_invalid("the backup's manifest is malformed"); };
  if (d.HasParseError() || !d.IsObject()) bad();
  auto str = [&](const rapidjson::Value& o, const char* k) -> std::string {
    if (!o.IsObject() || !o.HasMember(k) || !o[k].IsString()) bad();
    return o[k].GetString();
  };
  auto num = [&](const rapidjson::Value& o, const char* k) -> int64_t {
    if (!o.IsObject() || !o.HasMember(k) || !o[k].IsInt64()) bad();
    return o[k].GetInt64();
  };
  BackupManifest m;
  m.format = str(d, "format");
  if (m.format != "gridmap-backup/1")
    throw_invalid("not a backup this gridmap reads: format " + m.format);
  auto at = parse_time(str(d, "created_at"));
  if (!at) bad();
  m.created_at = *at;
  m.gridmap_version = str(d, "gridmap_version");
  m.schema_version = static_cast<int>(num(d, "schema_version"));
  if (!d.HasMember("database") || !d.HasMember("tables") || !d["tables"].IsObject() ||
      !d.HasMember("audit") || !d.HasMember("files"))
    bad();
  m.database_bytes = num(d["database"], "bytes");
  m.database_sha256 = str(d["database"], "sha256");
  for (auto& t : d["tables"].GetObject()) {
    if (!t.value.IsInt64()) bad();
    m.tables[t.name.GetString()] = t.value.GetInt64();
  }
  m.audit_entries = num(d["audit"], "entries");
  m.audit_head = str(d["audit"], "head");
  m.files = num(d["files"], "count");
  m.file_bytes = num(d["files"], "bytes");
  return m;
}

BackupManifest backup_database(const BackupOptions& o) {
  bool postgresql = is_postgresql(o.db_path);
  if (!postgresql && !fs::exists(o.db_path))
    throw_invalid("database " + o.db_path + " does not exist");
  if (postgresql && o.files_dir.empty() && !o.without_files)
    throw_invalid("a PostgreSQL database's backup needs --files DIR, where its attachments are");
  if (fs::is_directory(o.out)) throw_invalid(o.out + " is a directory: name the archive to write");
  ScratchDir scratch(parent_or_here(o.out), ".gridmap-backup");
  fs::path snapshot = scratch / kDatabase;
  if (postgresql) {
    // The same portable archive: the database read from one snapshot (REPEATABLE READ, while
    // the servers go on writing) into an SQLite file, every table's count checked.
    Db live = Db::open(o.db_path, false, o.schema);
    Db copy = Db::open(snapshot.string(), true, live.schema_version());
    copy_database(live, copy);
  } else {
    // SQLite's online backup, every page in one step: one read transaction over the live
    // database, so every change committed before it began is in the copy and none after
    // (writers go on meanwhile). Pages are copied as they are (as fast as `sqlite3 .backup`).
    Db live = Db::open_readonly(o.db_path);
    sqlite3* copy = nullptr;
    if (sqlite3_open_v2(snapshot.c_str(), &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      sqlite3_close(copy);
      unavailable("cannot write a snapshot in " + snapshot.parent_path().string());
    }
    sqlite3_backup* b = sqlite3_backup_init(copy, "main", live.handle(), "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    sqlite3_backup_finish(b);
    std::string err = sqlite3_errmsg(copy);
    sqlite3_close(copy);
    if (rc != SQLITE_DONE) unavailable("cannot copy " + o.db_path + ": " + err);
  }
  BackupManifest m;
  m.created_at = now_seconds();
  m.gridmap_version = version();
  Contents c;
  {
    Db copy = Db::open_readonly(snapshot.string());
    c = contents_of(copy);
  }
  m.schema_version = c.schema_version;
  m.tables = c.tables;
  m.audit_entries = c.audit_entries;
  m.audit_head = c.audit_head;
  m.database_bytes = static_cast<int64_t>(fs::file_size(snapshot));
  m.database_sha256 = file_sha256(snapshot);
  fs::path files_dir = o.files_dir.empty() ? files_dir_for(o.db_path) : fs::path(o.files_dir);
  auto files =
      o.without_files ? std::vector<std::pair<std::string, fs::path>>() : stored_files(files_dir);
  for (const auto& [key, path] : files) {
    ++m.files;
    m.file_bytes += static_cast<int64_t>(fs::file_size(path));
  }
  AuditAnchor anchor = AuditAnchor::of(o.db_path);
  std::string partial = o.out + ".partial";
  {
    TarWriter tar(partial);
    tar.add_bytes(kManifest, manifest_json(m));
    int64_t done = 0, total = m.database_bytes + m.file_bytes;
    auto step = [&](size_t n) {
      done += static_cast<int64_t>(n);
      if (o.progress) o.progress(done, total);
    };
    tar.add_file(kDatabase, snapshot, step);
    if (fs::exists(anchor.key_path)) {
      tar.add_bytes(kAuditKey, read_all(anchor.key_path));
      tar.add_bytes(kAuditHead, checkpoint_upto(read_all(anchor.checkpoint_path), c.audit_last_id));
    }
    for (const auto& [key, path] : files) tar.add_file(kFilesPrefix + key, path, step);
    tar.finish();
  }
  {  // on disk before it takes the archive's name
    int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }
  std::error_code ec;
  fs::rename(partial, o.out, ec);
  if (ec) {
    fs::remove(partial, ec);
    unavailable("cannot write " + o.out);
  }
  return m;
}

BackupCheck verify_backup(const std::string& archive) {
  BackupCheck out;
  try {
    ScratchDir scratch(parent_or_here(archive), ".gridmap-backup");
    // A name of its own: the audit anchor goes beside it (or in GRIDMAP_AUDIT_DIR).
    std::string name = "verify-" + std::to_string(::getpid()) + "-" +
                       std::to_string(std::random_device{}()) + ".sqlite";
    fs::path db = scratch / name;
    AuditAnchor anchor = AuditAnchor::of(db.string());
    std::string sha;
    bool anchored = false;
    out.manifest = read_archive(
        archive,
        [&](const Member& member, TarReader& tar, Sha256* h) {
          if (member.name == kDatabase) {
            copy_member(tar, h, db);
          } else if (member.name == kAuditKey || member.name == kAuditHead) {
            std::string bytes = tar.read_all_of(member, size_t{256} << 20);
            std::ofstream(member.name == kAuditKey ? anchor.key_path : anchor.checkpoint_path,
                          std::ios::binary)
                << bytes;
            anchored = true;
          } else {
            hash_member(tar, h);
          }
        },
        sha);
    out.problem = check_database(db.string(), out.manifest);
    if (anchored) {
      std::error_code ec;
      fs::remove(anchor.key_path, ec);
      fs::remove(anchor.checkpoint_path, ec);
    }
  } catch (const std::exception& e) {
    out.problem = e.what();
  }
  return out;
}

BackupManifest restore_backup(const RestoreOptions& o) {
  const std::string& target = o.db_path;
  if (fs::exists(target))
    throw Error(
        ErrorKind::conflict,
        target + " exists: restore into a new file, never over a database (serving or not)");
  AuditAnchor anchor = AuditAnchor::of(target);
  fs::path files_dir = o.files_dir.empty() ? files_dir_for(target) : fs::path(o.files_dir);
  for (const std::string& p : {anchor.key_path, anchor.checkpoint_path})
    if (fs::exists(p))
      throw Error(ErrorKind::conflict, p + " exists: it anchors another database's audit log");
  if (fs::exists(files_dir) && !fs::is_empty(files_dir))
    throw Error(ErrorKind::conflict, files_dir.string() + " exists and is not empty");
  std::string partial = target + ".restoring";
  bool made_files_dir = !fs::exists(files_dir);
  auto undo = [&] {
    std::error_code ec;
    fs::remove(partial, ec);
    fs::remove(target, ec);
    fs::remove(anchor.key_path, ec);
    fs::remove(anchor.checkpoint_path, ec);
    if (made_files_dir) fs::remove_all(files_dir, ec);
  };
  try {
    std::unique_ptr<DirBlobStore> store;
    std::string sha;
    BackupManifest m = read_archive(
        o.archive,
        [&](const Member& member, TarReader& tar, Sha256* h) {
          if (member.name == kDatabase) {
            copy_member(tar, h, partial);
          } else if (member.name == kAuditKey || member.name == kAuditHead) {
            std::string bytes = tar.read_all_of(member, size_t{256} << 20);
            const std::string& path =
                member.name == kAuditKey ? anchor.key_path : anchor.checkpoint_path;
            std::ofstream f(path, std::ios::binary);
            f << bytes;
            if (!f) unavailable("cannot write " + path);
            if (member.name == kAuditKey)
              fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
          } else if (member.name.rfind(kFilesPrefix, 0) == 0) {
            if (!store) store = std::make_unique<DirBlobStore>(files_dir);
            std::string bytes = tar.read_all_of(member, size_t{1} << 30);
            h->add(bytes.data(), bytes.size());
            std::string key = member.name.substr(std::strlen(kFilesPrefix));
            if (sha256_hex(bytes) == key) store->put(key, bytes);
          } else {
            hash_member(tar, h);
          }
        },
        sha);
    fs::rename(partial, target);
    std::string problem = check_database(target, m);
    if (!problem.empty()) throw_invalid("the restored database is not sound: " + problem);
    return m;
  } catch (...) {
    undo();
    throw;
  }
}

std::string scheduled_backup_name(int64_t at) {
  std::string t = format_time(at);  // 2026-12-07T08:46:00Z
  std::string compact;
  for (char ch : t)
    if (ch != '-' && ch != ':') compact += ch;
  return "gridmap-" + compact + ".tar.gz";
}

int prune_backups(const std::string& dir, int keep) {
  std::vector<fs::path> ours;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("gridmap-", 0) == 0 && name.size() == 31 &&
        name.compare(name.size() - 7, 7, ".tar.gz") == 0)
      ours.push_back(e.path());
  }
  std::sort(ours.begin(), ours.end());
  int removed = 0;
  for (size_t i = 0; i + static_cast<size_t>(std::max(keep, 1)) < ours.size(); ++i)
    if (fs::remove(ours[i], ec)) ++removed;
  return removed;
}

}  // namespace gridmap::data
