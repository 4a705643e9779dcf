// Uploaded photos and documents (data/media.hpp): process() on any bytes either refuses them
// with a gridmap::Error of the kinds it promises, or gives a stored copy without metadata and
// a JPEG thumbnail within bounds.
#include <string_view>

#include "core/error.hpp"
#include "data/media.hpp"
#include "fuzz/fuzz.hpp"

using namespace gridmap;
using namespace gridmap::data::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_pixels = 1 << 22;  // a fuzzed header must not make one run take seconds
  limits.thumbnail_side = 64;
  (void)has_metadata(bytes);
  try {
    Processed p = process(bytes, limits);
    FUZZ_CHECK(p.original_type == *sniff(bytes), "the original type is not the sniffed one");
    FUZZ_CHECK(!has_metadata(p.stored), "the stored copy keeps metadata");
    if (p.original_type == MediaType::pdf) {
      FUZZ_CHECK(!p.thumbnail && p.stored == bytes, "a PDF is stored unchanged");
    } else {
      FUZZ_CHECK(p.width > 0 && p.height > 0 && int64_t{p.width} * p.height <= limits.max_pixels,
                 "image size " + std::to_string(p.width) + "x" + std::to_string(p.height));
      FUZZ_CHECK(p.thumbnail && sniff(*p.thumbnail) == MediaType::jpeg, "no JPEG thumbnail");
      FUZZ_CHECK(sniff(p.stored) == p.stored_type, "the stored bytes are not of the stored type");
    }
    if (p.lat) FUZZ_CHECK(*p.lat >= -90 && *p.lat <= 90 && p.lon, "latitude out of range");
    if (p.lon) FUZZ_CHECK(*p.lon >= -180 && *p.lon <= 180 && p.lat, "longitude out of range");
  } catch (const Error& e) {
    FUZZ_CHECK(
        e.kind() == ErrorKind::invalid_input || e.kind() == ErrorKind::unsupported_media_type,
        e.what());
  }
  return 0;
}
