// PMTiles v3, written from the specification (spec/v3/spec.md of protomaps/PMTiles).
#include "tiles/pmtiles.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>

#include "geo/error.hpp"
#include "tiles/gzip.hpp"

namespace gridmap::tiles::pmtiles {
namespace {

constexpr int kMaxIdZoom = 31;                     // 4^32 tiles would not fit in 64 bits
constexpr size_t kMaxUnpacked = size_t{64} << 20;  // a directory or the metadata
constexpr size_t kCachedLeaves = 64;               // decoded leaf directories kept
constexpr int kMaxDepth = 4;                       // root and up to three leaf levels
constexpr uint64_t kUnplaced = std::numeric_limits<uint64_t>::max();

// Tiles of all zooms below z: (4^z - 1) / 3.
uint64_t tiles_below(int z) noexcept {
  return ((uint64_t{1} << (2 * z)) - 1) / 3;
}

// Hilbert curve rotation of a quadrant of side n (x, y < n).
void rotate(uint64_t n, uint64_t& x, uint64_t& y, uint64_t rx, uint64_t ry) noexcept {
  if (ry != 0) return;
  if (rx == 1) {
    x = n - 1 - x;
    y = n - 1 - y;
  }
  std::swap(x, y);
}

std::string errno_text() {
  return std::strerror(errno);
}

std::string str(uint64_t v) {
  return std::to_string(v);
}

// --- little-endian fields and varints ---

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(std::string_view in, size_t at, int bytes) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t{static_cast<unsigned char>(in[at + static_cast<size_t>(i)])} << (8 * i);
  return v;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

class VarintReader {
 public:
  explicit VarintReader(std::string_view in) : in_(in) {}
  uint64_t next() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= in_.size()) throw_invalid("a directory ends in the middle of a number");
      auto b = static_cast<unsigned char>(in_[at_++]);
      if (shift == 63 && b > 1) throw_invalid("a directory holds a number past 64 bits");
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    throw_invalid("a directory holds a number past 64 bits");
  }
  bool done() const noexcept { return at_ == in_.size(); }
  size_t left() const noexcept { return in_.size() - at_; }

 private:
  std::string_view in_;
  size_t at_ = 0;
};

uint32_t as_u32(uint64_t v, const char* what) {
  if (v > std::numeric_limits<uint32_t>::max())
    throw_invalid(std::string("a directory entry's ") + what + " is past 32 bits");
  return static_cast<uint32_t>(v);
}

// --- compression of directories and metadata ---

std::string unpack(std::string_view bytes, Compression c, const std::string& what) {
  if (c == Compression::none) return std::string(bytes);
  if (c != Compression::gzip) throw_invalid(what + ": unsupported compression");
  if (bytes.size() < 18 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b)
    throw_invalid(what + " is not gzip data");
  size_t size = get_le(bytes, bytes.size() - 4, 4);  // ISIZE
  if (size > kMaxUnpacked) throw_invalid(what + " would unpack to more than 64 MiB");
  try {
    return gunzip(bytes, size);
  } catch (const Error&) {
    throw_invalid(what + " is damaged (bad gzip data)");
  }
}

// Every entry points inside its section: tile runs into the tile data, leaves into the
// leaf directories.
void check_entries(const std::vector<Entry>& entries, const Header& h, const std::string& what) {
  for (const Entry& e : entries) {
    uint64_t section = e.run_length > 0 ? h.data_length : h.leaves_length;
    if (e.offset > section || e.length > section - e.offset)
      throw_invalid(what + " points past the end of its section (tile " + str(e.tile_id) + " at " +
                    str(e.offset) + "+" + str(e.length) + " of " + str(section) + " bytes)");
  }
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::brotli:
      return "brotli";
    case Compression::zstd:
      return "zstd";
    case Compression::unknown:
      break;
  }
  return "unknown";
}

// --- writing ---

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::unavailable, "cannot write " + path + ": " + errno_text());
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void pwrite_all(int fd, std::string_view bytes, uint64_t offset, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(ErrorKind::unavailable, "cannot write next to " + path + ": " + errno_text());
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
}

// False when the file ends before `length` bytes.
bool pread_all(int fd, char* out, size_t length, uint64_t offset) {
  while (length > 0) {
    ssize_t n = ::pread(fd, out, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    length -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

int32_t e7(double degrees, double limit) {
  return static_cast<int32_t>(std::lround(std::clamp(degrees, -limit, limit) * 1e7));
}

TileType type_of(const std::string& format) {
  if (format == "pbf") return TileType::mvt;
  if (format == "png") return TileType::png;
  if (format == "jpg") return TileType::jpeg;
  if (format == "webp") return TileType::webp;
  return TileType::unknown;
}

// The metadata: the descriptive strings, then the members of the `json` MBTiles value
// (vector_layers).
std::string metadata_json(const TileSetInfo& info) {
  rapidjson::Document json;
  json.Parse(info.json.c_str());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  auto field = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  field("name", info.name);
  field("description", info.description);
  field("attribution", info.attribution);
  field("type", info.type);
  field("version", info.version);
  field("format", info.format);
  if (!json.HasParseError() && json.IsObject())
    for (const auto& m : json.GetObject()) {
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (key == "name" || key == "description" || key == "attribution" || key == "type" ||
          key == "version" || key == "format")
        continue;
      w.Key(m.name.GetString(), m.name.GetStringLength());
      m.value.Accept(w);
    }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

struct Directories {
  std::string root, leaves;
  size_t leaf_count = 0;
};

// The entries in the root if it fits, else in leaves of `leaf_entries` (doubled until the
// root of the leaves fits).
Directories directories(std::span<const Entry> entries, const Writer::Options& o) {
  Directories d;
  d.root = gzip(encode_directory(entries), 9);
  if (d.root.size() <= o.root_limit) return d;
  for (size_t per_leaf = std::max<size_t>(o.leaf_entries, 1);; per_leaf *= 2) {
    std::vector<Entry> index;
    d.leaves.clear();
    for (size_t i = 0; i < entries.size(); i += per_leaf) {
      auto part = entries.subspan(i, std::min(per_leaf, entries.size() - i));
      std::string leaf = gzip(encode_directory(part), 9);
      index.push_back(
          {part.front().tile_id, d.leaves.size(), static_cast<uint32_t>(leaf.size()), 0});
      d.leaves += leaf;
    }
    d.root = gzip(encode_directory(index), 9);
    d.leaf_count = index.size();
    if (d.root.size() <= o.root_limit) return d;
    if (index.size() == 1) throw_internal("a PMTiles root of one leaf exceeds its size limit");
  }
}

}  // namespace

// --- tile ids ---

uint64_t tile_id(TileId t) noexcept {
  uint64_t n = uint64_t{1} << t.z, x = t.x, y = t.y, d = 0;
  for (uint64_t s = n / 2; s > 0; s /= 2) {
    uint64_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    rotate(n, x, y, rx, ry);
  }
  return tiles_below(t.z) + d;
}

TileId tile_of(uint64_t id) {
  int z = 0;
  while (z < kMaxIdZoom && tiles_below(z + 1) <= id) ++z;
  uint64_t d = id - tiles_below(z);
  if (z == kMaxIdZoom && d >> (2 * kMaxIdZoom))
    throw_invalid("tile id " + str(id) + " is past zoom 31");
  uint64_t x = 0, y = 0, n = uint64_t{1} << z;
  for (uint64_t s = 1; s < n; s *= 2) {
    uint64_t rx = 1 & (d / 2), ry = 1 & (d ^ rx);
    rotate(s, x, y, rx, ry);
    x += s * rx;
    y += s * ry;
    d /= 4;
  }
  return {z, static_cast<uint32_t>(x), static_cast<uint32_t>(y)};
}

// --- header ---

std::string encode_header(const Header& h) {
  std::string out = "PMTiles";
  out.push_back(3);
  for (uint64_t v : {h.root_offset, h.root_length, h.metadata_offset, h.metadata_length,
                     h.leaves_offset, h.leaves_length, h.data_offset, h.data_length,
                     h.addressed_tiles, h.tile_entries, h.tile_contents})
    put_le(out, v, 8);
  for (uint8_t v : {uint8_t{h.clustered}, static_cast<uint8_t>(h.internal_compression),
                    static_cast<uint8_t>(h.tile_compression), static_cast<uint8_t>(h.tile_type),
                    h.min_zoom, h.max_zoom})
    out.push_back(static_cast<char>(v));
  for (int32_t v : {h.min_lon_e7, h.min_lat_e7, h.max_lon_e7, h.max_lat_e7})
    put_le(out, static_cast<uint32_t>(v), 4);
  out.push_back(static_cast<char>(h.center_zoom));
  put_le(out, static_cast<uint32_t>(h.center_lon_e7), 4);
  put_le(out, static_cast<uint32_t>(h.center_lat_e7), 4);
  return out;
}

Header decode_header(std::string_view b) {
  if (b.size() < kHeaderSize || b.substr(0, 7) != "PMTiles")
    throw_invalid("not a PMTiles file (no PMTiles header)");
  if (b[7] != 3)
    throw_invalid("PMTiles version " + std::to_string(static_cast<unsigned char>(b[7])) +
                  "; gridmap reads version 3");
  Header h;
  uint64_t* fields[] = {&h.root_offset,     &h.root_length,   &h.metadata_offset,
                        &h.metadata_length, &h.leaves_offset, &h.leaves_length,
                        &h.data_offset,     &h.data_length,   &h.addressed_tiles,
                        &h.tile_entries,    &h.tile_contents};
  for (size_t i = 0; i < std::size(fields); ++i) *fields[i] = get_le(b, 8 + 8 * i, 8);
  auto byte = [&](size_t at) { return static_cast<uint8_t>(b[at]); };
  if (byte(97) > 4 || byte(98) > 4)
    throw_invalid("unknown compression " + std::to_string(std::max(byte(97), byte(98))) +
                  " in the PMTiles header");
  h.clustered = byte(96) == 1;
  h.internal_compression = static_cast<Compression>(byte(97));
  h.tile_compression = static_cast<Compression>(byte(98));
  h.tile_type = byte(99) <= 5 ? static_cast<TileType>(byte(99)) : TileType::unknown;
  h.min_zoom = byte(100);
  h.max_zoom = byte(101);
  auto i32 = [&](size_t at) {
    return static_cast<int32_t>(static_cast<uint32_t>(get_le(b, at, 4)));
  };
  h.min_lon_e7 = i32(102);
  h.min_lat_e7 = i32(106);
  h.max_lon_e7 = i32(110);
  h.max_lat_e7 = i32(114);
  h.center_zoom = byte(118);
  h.center_lon_e7 = i32(119);
  h.center_lat_e7 = i32(123);
  return h;
}

// --- directories ---

std::string encode_directory(std::span<const Entry> entries) {
  std::string out;
  out.reserve(entries.size() * 6 + 8);
  put_varint(out, entries.size());
  uint64_t last = 0;
  for (const Entry& e : entries) {
    put_varint(out, e.tile_id - last);
    last = e.tile_id;
  }
  for (const Entry& e : entries) put_varint(out, e.run_length);
  for (const Entry& e : entries) put_varint(out, e.length);
  for (size_t i = 0; i < entries.size(); ++i) {
    // 0: right after the entry before; else the offset plus one.
    bool follows = i > 0 && entries[i].offset == entries[i - 1].offset + entries[i - 1].length;
    put_varint(out, follows ? 0 : entries[i].offset + 1);
  }
  return out;
}

std::vector<Entry> decode_directory(std::string_view bytes) {
  VarintReader in(bytes);
  uint64_t count = in.next();
  // Each entry takes at least four bytes.
  if (count > in.left() / 4) throw_invalid("a directory claims more entries than it holds");
  std::vector<Entry> out(static_cast<size_t>(count));
  uint64_t id = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t delta = in.next();
    if (i > 0 && delta == 0) throw_invalid("a directory's tile ids are not ascending");
    if (delta > std::numeric_limits<uint64_t>::max() - id)
      throw_invalid("a tile id is past 64 bits");
    id += delta;
    out[i].tile_id = id;
  }
  for (Entry& e : out) e.run_length = as_u32(in.next(), "run length");
  for (Entry& e : out) {
    e.length = as_u32(in.next(), "length");
    if (e.length == 0) throw_invalid("a directory entry has length 0");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t v = in.next();
    if (v == 0 && i == 0) throw_invalid("a directory's first offset refers to no entry before it");
    if (v > 0) {
      out[i].offset = v - 1;
    } else {
      out[i].offset = out[i - 1].offset + out[i - 1].length;
      if (out[i].offset < out[i - 1].offset) throw_invalid("an offset is past 64 bits");
    }
  }
  if (!in.done()) throw_invalid("a directory has bytes after its last entry");
  return out;
}

const Entry* find_entry(std::span<const Entry> entries, uint64_t id) noexcept {
  // The last entry at or before `id`.
  auto it = std::upper_bound(entries.begin(), entries.end(), id,
                             [](uint64_t v, const Entry& e) { return v < e.tile_id; });
  if (it == entries.begin()) return nullptr;
  const Entry& e = *std::prev(it);
  if (e.run_length == 0 || id - e.tile_id < e.run_length) return &e;
  return nullptr;
}

// --- Writer ---

Writer::Writer(std::string path, Options options) : path_(std::move(path)), options_(options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec))
    throw Error(ErrorKind::unavailable, "cannot replace " + path_ + ": it is a directory");
  std::string base = path_ + "." + std::to_string(::getpid());
  temp_path_ = base + ".tmp";
  out_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out_ < 0) throw Error(ErrorKind::unavailable, "cannot create " + path_ + ": " + errno_text());
  std::string scratch = base + ".tiles.tmp";
  scratch_ = ::open(scratch.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (scratch_ < 0) {
    std::string why = errno_text();
    ::close(out_);
    ::unlink(temp_path_.c_str());
    throw Error(ErrorKind::unavailable, "cannot create " + path_ + ": " + why);
  }
  ::unlink(scratch.c_str());  // gone when closed, however the export ends
}

Writer::~Writer() {
  if (scratch_ >= 0) ::close(scratch_);
  if (out_ >= 0) ::close(out_);
  if (!finished_) ::unlink(temp_path_.c_str());
}

uint32_t Writer::store(std::string_view blob) {
  uint64_t hash = std::hash<std::string_view>{}(blob);
  auto [first, last] = by_hash_.equal_range(hash);
  std::string stored;
  for (auto it = first; it != last; ++it) {
    const Blob& b = blobs_[it->second];
    if (b.length != blob.size()) continue;
    stored.resize(b.length);
    if (!pread_all(scratch_, stored.data(), b.length, b.scratch_offset))
      throw Error(ErrorKind::unavailable, "cannot read back the tiles written for " + path_);
    if (stored == blob) return it->second;
  }
  pwrite_all(scratch_, blob, scratch_size_, path_);
  blobs_.push_back({scratch_size_, static_cast<uint32_t>(blob.size())});
  scratch_size_ += blob.size();
  auto index = static_cast<uint32_t>(blobs_.size() - 1);
  by_hash_.emplace(hash, index);
  return index;
}

void Writer::put(TileId t, std::string_view blob) {
  if (finished_) throw_internal("a tile put after the PMTiles archive was finished");
  if (!is_valid(t)) throw_internal("a PMTiles tile outside the zooms 0 to 24");
  if (blob.empty() || blob.size() > std::numeric_limits<uint32_t>::max())
    throw_internal("a PMTiles tile must hold 1 byte to 4 GiB");
  tiles_.push_back({tile_id(t), store(blob)});
}

void Writer::finish(const TileSetInfo& info) {
  if (tiles_.empty())
    throw_invalid("nothing to write to " + path_ +
                  ": the layer has no tiles at these zooms (a PMTiles archive needs one)");
  std::sort(tiles_.begin(), tiles_.end(),
            [](const Placed& a, const Placed& b) { return a.tile_id < b.tile_id; });
  // Clustered: blobs in the order of their first tile; a tile whose bytes came before
  // points back at them, and a run of tiles with the same bytes is one entry.
  std::vector<uint64_t> at(blobs_.size(), kUnplaced);
  std::vector<uint32_t> order;
  std::vector<Entry> entries;
  uint64_t data_length = 0;
  for (size_t i = 0; i < tiles_.size(); ++i) {
    const Placed& p = tiles_[i];
    if (i > 0 && tiles_[i - 1].tile_id == p.tile_id) throw_internal("a tile put twice");
    if (at[p.blob] == kUnplaced) {
      at[p.blob] = data_length;
      data_length += blobs_[p.blob].length;
      order.push_back(p.blob);
    }
    if (!entries.empty()) {
      Entry& run = entries.back();
      if (run.tile_id + run.run_length == p.tile_id && run.offset == at[p.blob] &&
          run.run_length < std::numeric_limits<uint32_t>::max()) {
        ++run.run_length;
        continue;
      }
    }
    entries.push_back({p.tile_id, at[p.blob], blobs_[p.blob].length, 1});
  }
  Directories dirs = directories(entries, options_);
  std::string metadata = gzip(metadata_json(info), 9);

  Header& h = header_;
  h.root_offset = kHeaderSize;
  h.root_length = dirs.root.size();
  h.metadata_offset = h.root_offset + h.root_length;
  h.metadata_length = metadata.size();
  h.leaves_offset = h.metadata_offset + h.metadata_length;
  h.leaves_length = dirs.leaves.size();
  h.data_offset = h.leaves_offset + h.leaves_length;
  h.data_length = data_length;
  h.addressed_tiles = tiles_.size();
  h.tile_entries = entries.size();
  h.tile_contents = order.size();
  h.clustered = true;
  h.internal_compression = Compression::gzip;
  h.tile_compression = info.format == "pbf" ? Compression::gzip : Compression::none;
  h.tile_type = type_of(info.format);
  h.min_zoom = static_cast<uint8_t>(tile_of(tiles_.front().tile_id).z);
  h.max_zoom = static_cast<uint8_t>(tile_of(tiles_.back().tile_id).z);
  h.min_lon_e7 = e7(info.bounds.min_lon, 180);
  h.min_lat_e7 = e7(info.bounds.min_lat, 90);
  h.max_lon_e7 = e7(info.bounds.max_lon, 180);
  h.max_lat_e7 = e7(info.bounds.max_lat, 90);
  h.center_zoom = static_cast<uint8_t>(std::clamp<int>(info.center_zoom, h.min_zoom, h.max_zoom));
  h.center_lon_e7 = e7(info.center.lon, 180);
  h.center_lat_e7 = e7(info.center.lat, 90);
  leaves_ = dirs.leaf_count;

  std::string buf = encode_header(h) + dirs.root + metadata + dirs.leaves;
  constexpr size_t kFlushAt = size_t{1} << 20;
  std::string blob;
  for (uint32_t b : order) {
    blob.resize(blobs_[b].length);
    if (!pread_all(scratch_, blob.data(), blob.size(), blobs_[b].scratch_offset))
      throw Error(ErrorKind::unavailable, "cannot read back the tiles written for " + path_);
    buf += blob;
    if (buf.size() >= kFlushAt) {
      write_all(out_, buf, path_);
      buf.clear();
    }
  }
  write_all(out_, buf, path_);
  int fd = std::exchange(out_, -1);
  if (::close(fd) != 0)
    throw Error(ErrorKind::unavailable, "cannot write " + path_ + ": " + errno_text());
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    throw Error(ErrorKind::unavailable, "cannot replace " + path_ + ": " + errno_text());
  finished_ = true;
}

// --- Archive ---

Archive::Archive(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_invalid("cannot open it: " + errno_text());
  try {
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw_invalid("cannot read it: " + errno_text());
    if (!S_ISREG(st.st_mode)) throw_invalid("not a regular file");
    size_ = static_cast<uint64_t>(st.st_size);
    std::string head = read(0, std::min<uint64_t>(size_, kHeaderSize));
    if (size_ < kHeaderSize && head.starts_with("PMTiles"))
      throw_invalid("truncated: " + str(size_) + " bytes, less than a PMTiles header");
    header_ = decode_header(head);
    const Header& h = header_;
    auto section = [&](const char* name, uint64_t offset, uint64_t length) {
      if (offset > size_ || length > size_ - offset)
        throw_invalid(std::string("truncated or damaged: its ") + name + " (" + str(length) +
                      " bytes at " + str(offset) + ") runs past the end of the file (" +
                      str(size_) + " bytes)");
    };
    section("root directory", h.root_offset, h.root_length);
    section("metadata", h.metadata_offset, h.metadata_length);
    section("leaf directories", h.leaves_offset, h.leaves_length);
    section("tile data", h.data_offset, h.data_length);
    if (h.root_length == 0) throw_invalid("damaged: no root directory");
    if (h.root_length > kMaxUnpacked)
      throw_invalid("damaged: a root directory of " + str(h.root_length) + " bytes");
    if (h.internal_compression != Compression::gzip && h.internal_compression != Compression::none)
      throw_invalid(std::string("directories compressed with ") +
                    compression_name(h.internal_compression) +
                    "; gridmap reads gzip or uncompressed PMTiles directories");
    if (h.min_zoom > h.max_zoom || h.max_zoom > kMaxIdZoom)
      throw_invalid("damaged: zooms " + std::to_string(h.min_zoom) + " to " +
                    std::to_string(h.max_zoom) + " in its header");
    root_ = decode_directory(
        unpack(read(h.root_offset, h.root_length), h.internal_compression, "its root directory"));
    check_entries(root_, h, "its root directory");
    if (h.metadata_length > kMaxUnpacked)
      throw_invalid("damaged: metadata of " + str(h.metadata_length) + " bytes");
    metadata_ = h.metadata_length == 0 ? "{}"
                                       : unpack(read(h.metadata_offset, h.metadata_length),
                                                h.internal_compression, "its metadata");
  } catch (const Error& e) {
    ::close(fd_);
    // A read that failed under us is as much the file's fault.
    if (e.kind() != ErrorKind::invalid_input) throw_invalid(e.what());
    throw;
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

Archive::~Archive() {
  ::close(fd_);
}

std::string Archive::read(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset)
    throw_internal("a PMTiles read past the file's end");
  std::string out(static_cast<size_t>(length), '\0');
  if (!pread_all(fd_, out.data(), out.size(), offset))
    throw_internal("the PMTiles file is shorter than when it was opened");
  return out;
}

Archive::Directory Archive::leaf(const Entry& e) const {
  {
    std::lock_guard l(lock_);
    if (auto it = leaves_.find(e.offset); it != leaves_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      return it->second->second;
    }
  }
  // Decoded outside the lock: two threads may both decode a leaf, once.
  std::vector<Entry> entries;
  std::string what = "the leaf directory at " + str(e.offset);
  try {
    entries = decode_directory(unpack(read(header_.leaves_offset + e.offset, e.length),
                                      header_.internal_compression, what));
    check_entries(entries, header_, what);
  } catch (const Error& err) {
    throw_internal("PMTiles base map damaged: " + std::string(err.what()));
  }
  auto dir = std::make_shared<const std::vector<Entry>>(std::move(entries));
  std::lock_guard l(lock_);
  if (leaves_.count(e.offset) == 0) {
    recent_.emplace_front(e.offset, dir);
    leaves_[e.offset] = recent_.begin();
    if (recent_.size() > kCachedLeaves) {
      leaves_.erase(recent_.back().first);
      recent_.pop_back();
    }
  }
  return dir;
}

std::optional<std::string> Archive::bytes_of(const Entry& e) const {
  return read(header_.data_offset + e.offset, e.length);
}

std::optional<std::string> Archive::tile(TileId t) const {
  if (!is_valid(t) || t.z < header_.min_zoom || t.z > header_.max_zoom) return std::nullopt;
  uint64_t id = tile_id(t);
  const std::vector<Entry>* dir = &root_;
  Directory held;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    const Entry* e = find_entry(*dir, id);
    if (!e) return std::nullopt;
    if (e->run_length > 0) return bytes_of(*e);
    Directory next = leaf(*e);
    held = std::move(next);
    dir = held.get();
  }
  throw_internal("PMTiles base map damaged: directories nested deeper than " +
                 std::to_string(kMaxDepth));
}

std::optional<std::string> Archive::first_tile() const {
  const std::vector<Entry>* dir = &root_;
  Directory held;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    if (dir->empty()) return std::nullopt;
    const Entry& e = dir->front();
    if (e.run_length > 0) return bytes_of(e);
    Directory next = leaf(e);
    held = std::move(next);
    dir = held.get();
  }
  return std::nullopt;
}

}  // namespace gridmap::tiles::pmtiles
