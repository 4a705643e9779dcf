// Uploaded photos and documents: the type by content, validation by decoding, EXIF capture
// time and GPS, a copy stripped of all metadata (EXIF, XMP, IPTC, comments, PNG text/time/eXIf
// chunks, WebP EXIF/XMP chunks) and a JPEG thumbnail. HEIC is stored as JPEG.
// PDF is only checked for its header and trailer and stored unchanged: its metadata (the Info
// dictionary, XMP streams) is NOT stripped.
// EXIF orientation is applied to JPEG only (HEIC carries its own transforms, which libheif
// applies; PNG and WebP are shown as stored).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gridmap::data::media {

enum class MediaType { jpeg, png, webp, heic, pdf };

std::optional<MediaType> sniff(std::string_view bytes);  // magic bytes only
// "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"
std::string_view mime_of(MediaType t) noexcept;
std::string_view extension_of(MediaType t) noexcept;  // "jpg", "png", "webp", "heic", "pdf"

struct Limits {
  int64_t max_pixels = 50'000'000;
  int thumbnail_side = 320;
};

struct Processed {
  MediaType original_type;  // what was uploaded
  // What is kept: HEIC is converted to JPEG (quality 90); others keep their type.
  MediaType stored_type;
  std::string stored;                    // the bytes to keep, metadata stripped
  std::optional<std::string> thumbnail;  // JPEG, longest side <= thumbnail_side; none for PDF
  int width = 0,
      height = 0;  // of the stored image as displayed (after EXIF orientation); 0 for PDF
  // EXIF DateTimeOriginal (else DateTime) as unix seconds; zone from OffsetTimeOriginal
  // (OffsetTime for DateTime) if present, else default_utc_offset_minutes.
  std::optional<int64_t> taken_at;
  std::optional<double> lon, lat;  // EXIF GPS, signed degrees (W/S negative)
};

// Throws gridmap::Error(ErrorKind::unsupported_media_type, ...) for an unknown type (and for
// an animated WebP) and Error(ErrorKind::invalid_input, "...one-line reason...") for a file
// that does not decode as the type its bytes claim (truncated, corrupt, a PNG header on JPEG
// data, more pixels than max_pixels, zero-size).
Processed process(std::string_view bytes, const Limits& limits = {},
                  int default_utc_offset_minutes = 480);

// For tests and checks: does `bytes` (JPEG/PNG/WebP) carry any EXIF/XMP/IPTC/text metadata,
// that is anything process() would strip? False for other types; for damaged input, what was
// found before the damage.
bool has_metadata(std::string_view bytes);

}  // namespace gridmap::data::media
