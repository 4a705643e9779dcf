// Photos and documents attached to a case, a visit or a work-log entry. The bytes are
// checked and cleaned first (data/media.hpp: type by content, metadata stripped, a
// thumbnail), stored content-addressed (data/blob_store.hpp), and referenced by a row
// written in one transaction; the file goes when its last reference does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

class BlobStore;
namespace media {
struct Processed;
}

enum class OwnerKind : unsigned char { petition, visit, worklog };
std::string_view to_string(OwnerKind k) noexcept;
// A case's photos by when they were taken: at the report, before handling (处置前), during
// it, after it (处置后, the result); 'record' for a visit's or a log's.
enum class Stage : unsigned char { report, before, progress, after, record };
std::string_view to_string(Stage s) noexcept;
std::optional<Stage> parse_stage(std::string_view s) noexcept;

struct Attachment {
  int64_t id = 0;
  OwnerKind owner_kind = OwnerKind::petition;
  int64_t owner_id = 0;
  Stage stage = Stage::record;
  std::string sha256;
  std::optional<std::string> thumb_sha256;
  std::string content_type, original_type;
  int64_t bytes = 0;
  int width = 0, height = 0;
  std::optional<int64_t> taken_at;         // from the photo's EXIF
  std::optional<LonLat> taken_position;    // from the photo's EXIF GPS
  std::optional<double> taken_distance_m;  // from the record's place, when both are known
  std::string file_name, uploaded_by;
  int64_t created_at = 0;
};

class Attachments {
 public:
  Attachments(Db& db, BlobStore& store) : db_(db), store_(store) {}
  // Stores the processed file and its thumbnail and writes the row, in one transaction
  // (on the writer). not_found for an owner that does not exist; conflict for one that
  // takes no more files (a closed case, a locked log entry).
  Attachment add(OwnerKind kind, int64_t owner, Stage stage, const media::Processed& file,
                 const std::string& file_name, const std::string& actor, int64_t now);
  std::vector<Attachment> of(OwnerKind kind, int64_t owner);
  std::optional<Attachment> get(int64_t id);
  // Deletes the row; the files once committed, when no other row refers to them. False
  // when absent; conflict for an owner whose record is closed.
  bool remove(int64_t id, int64_t now);
  // Removes the files no row refers to (a process that died between the file and the
  // row), written at least ten minutes ago; the count removed.
  size_t sweep_orphans();

 private:
  // The owner's place (for the distance of a photo's GPS); throws not_found when absent and
  // conflict when it takes no more changes.
  std::optional<LonLat> require_open_owner(OwnerKind kind, int64_t owner, int64_t now);
  Db& db_;
  BlobStore& store_;
};

// Deletes every attachment of a record that is being deleted (inside the caller's transaction).
void drop_attachments(Db& db, BlobStore& store, OwnerKind kind, int64_t owner);

}  // namespace gridmap::data
