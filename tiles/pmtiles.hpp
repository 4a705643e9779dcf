// PMTiles v3 (protomaps/PMTiles spec/v3/spec.md): one file of tiles that clients read with
// range requests. A 127-byte header, a root directory within the first 16 KiB, gzip JSON
// metadata, leaf directories, then the tile data, clustered by tile id. Tiles are addressed
// along a Hilbert curve per zoom; directories map tile ids (with run lengths) to bytes.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tiles/tile_math.hpp"
#include "tiles/tile_sink.hpp"

namespace gridmap::tiles::pmtiles {

// The tiles of zooms below z come first, then z's along its Hilbert curve. z up to 31.
uint64_t tile_id(TileId t) noexcept;
TileId tile_of(uint64_t id);  // the inverse; throws invalid_input past zoom 31

enum class Compression : uint8_t { unknown = 0, none = 1, gzip = 2, brotli = 3, zstd = 4 };
enum class TileType : uint8_t { unknown = 0, mvt = 1, png = 2, jpeg = 3, webp = 4, avif = 5 };

constexpr size_t kHeaderSize = 127;
// Header plus root directory: what a client reads in its first request.
constexpr size_t kFirstRead = 16384;

struct Header {
  uint64_t root_offset = 0, root_length = 0;
  uint64_t metadata_offset = 0, metadata_length = 0;
  uint64_t leaves_offset = 0, leaves_length = 0;
  uint64_t data_offset = 0, data_length = 0;
  uint64_t addressed_tiles = 0, tile_entries = 0, tile_contents = 0;  // 0: unknown
  bool clustered = false;
  Compression internal_compression = Compression::gzip;  // directories and metadata
  Compression tile_compression = Compression::gzip;
  TileType tile_type = TileType::mvt;
  uint8_t min_zoom = 0, max_zoom = 0, center_zoom = 0;
  // Degrees times 10,000,000.
  int32_t min_lon_e7 = 0, min_lat_e7 = 0, max_lon_e7 = 0, max_lat_e7 = 0;
  int32_t center_lon_e7 = 0, center_lat_e7 = 0;
  friend bool operator==(const Header&, const Header&) = default;
};

std::string encode_header(const Header& h);
// Throws invalid_input when `bytes` is not the header of a PMTiles v3 file.
Header decode_header(std::string_view bytes);

// A run of `run_length` tiles from `tile_id` with the same bytes at `offset` in the tile
// data, or (run_length 0) a leaf directory at `offset` in the leaf directories.
struct Entry {
  uint64_t tile_id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t run_length = 0;
  friend bool operator==(const Entry&, const Entry&) = default;
};

// A directory as stored before internal compression: varints, columns, delta-coded ids.
std::string encode_directory(std::span<const Entry> entries);
// Throws invalid_input on anything but a well-formed directory with ascending tile ids.
std::vector<Entry> decode_directory(std::string_view bytes);
// The entry of `id` (a tile run holding it, or the leaf that may), or null.
const Entry* find_entry(std::span<const Entry> entries, uint64_t id) noexcept;

// A TileSink writing a PMTiles archive of gzip-compressed MVT tiles. Tiles go to a scratch
// file (identical bytes stored once); finish() writes the archive to a temporary file next
// to `path` and renames it over `path`. Destroyed unfinished, it leaves no file.
class Writer final : public TileSink {
 public:
  struct Options {
    // Compressed bytes the root directory may take; past it, leaves hold the entries.
    size_t root_limit = kFirstRead - kHeaderSize;
    size_t leaf_entries = 4096;  // entries per leaf, doubled until the root fits
  };
  explicit Writer(std::string path) : Writer(std::move(path), Options{}) {}
  Writer(std::string path, Options options);
  ~Writer() override;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void put(TileId t, std::string_view blob) override;
  // Throws invalid_input when no tile was put (a PMTiles directory is never empty).
  void finish(const TileSetInfo& info) override;
  // After finish(): what was written.
  const Header& header() const noexcept { return header_; }
  size_t leaf_directories() const noexcept { return leaves_; }

 private:
  struct Blob {
    uint64_t scratch_offset;
    uint32_t length;
  };
  struct Placed {
    uint64_t tile_id;
    uint32_t blob;
  };
  uint32_t store(std::string_view blob);

  std::string path_, temp_path_;
  Options options_;
  int out_ = -1, scratch_ = -1;
  uint64_t scratch_size_ = 0;
  std::vector<Blob> blobs_;
  std::unordered_multimap<uint64_t, uint32_t> by_hash_;  // hash of the bytes -> blob
  std::vector<Placed> tiles_;
  Header header_;
  size_t leaves_ = 0;
  bool finished_ = false;
};

// A PMTiles file opened for reading, every offset checked against the file's size. Throws
// invalid_input (a one-line reason) when the file is missing, truncated or malformed; a
// leaf directory found damaged later throws internal. Thread-safe.
class Archive {
 public:
  explicit Archive(const std::string& path);
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  const Header& header() const noexcept { return header_; }
  const std::string& metadata() const noexcept { return metadata_; }  // JSON, uncompressed
  // The stored bytes of a tile (compressed as header().tile_compression says), or nullopt.
  std::optional<std::string> tile(TileId t) const;
  // The bytes of the first tile in tile id order, or nullopt in an archive without tiles.
  std::optional<std::string> first_tile() const;

 private:
  using Directory = std::shared_ptr<const std::vector<Entry>>;
  std::string read(uint64_t offset, uint64_t length) const;
  Directory leaf(const Entry& e) const;
  std::optional<std::string> bytes_of(const Entry& e) const;  // a tile run's bytes

  int fd_ = -1;
  uint64_t size_ = 0;
  Header header_;
  std::string metadata_;
  std::vector<Entry> root_;
  // Decoded leaf directories by offset, the most recently used first.
  mutable std::mutex lock_;
  mutable std::list<std::pair<uint64_t, Directory>> recent_;
  mutable std::unordered_map<uint64_t, std::list<std::pair<uint64_t, Directory>>::iterator> leaves_;
};

}  // namespace gridmap::tiles::pmtiles
