// Where attachments' bytes live: content-addressed by SHA-256, outside the database. One
// interface, so that a later engine (object storage shared by several servers) slots in;
// the directory store beside the database file is the default.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmap::data {

std::string sha256_hex(std::string_view bytes);  // 64 lowercase hex digits

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores `bytes` under `key` (its sha256_hex), whole or not at all: a crash midway leaves
  // no file under the key. Storing a key that exists is a no-op.
  virtual void put(const std::string& key, std::string_view bytes) = 0;
  virtual std::optional<std::string> get(const std::string& key) const = 0;
  virtual bool contains(const std::string& key) const = 0;
  virtual void remove(const std::string& key) = 0;  // no error when absent
  // The stored keys, for sweeps and backups: those stored at least `min_age` ago.
  virtual std::vector<std::string> keys(
      std::chrono::seconds min_age = std::chrono::seconds(0)) const = 0;
};

// Files under DIR/ab/cd/<key>, written to DIR/tmp first, synced, then renamed into place.
class DirBlobStore final : public BlobStore {
 public:
  explicit DirBlobStore(std::filesystem::path dir);  // creates DIR; removes stale temp files
  void put(const std::string& key, std::string_view bytes) override;
  std::optional<std::string> get(const std::string& key) const override;
  bool contains(const std::string& key) const override;
  void remove(const std::string& key) override;
  std::vector<std::string> keys(
      std::chrono::seconds min_age = std::chrono::seconds(0)) const override;
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path path_of(const std::string& key) const;  // throws for a malformed key
  std::filesystem::path dir_;
};

// The default directory of a database's files: "<db>.files" beside it.
std::filesystem::path files_dir_for(const std::string& db_path);

}  // namespace gridmap::data
