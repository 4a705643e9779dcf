// Photos and documents made with the image libraries themselves (libjpeg, libpng, libwebp,
// libheif/x265, libexif), for the tests of data/media and of the attachment routes: images
// with EXIF (time, GPS, orientation), XMP, text chunks, and the checks that read them back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::test {

struct Rgb {
  int width = 0, height = 0;
  std::vector<unsigned char> px;  // 3 bytes a pixel
  const unsigned char* at(int x, int y) const { return &px[(size_t(y) * width + x) * 3]; }
};
Rgb two_colours(int w, int h);  // left half red, right half blue
bool reddish(const unsigned char* p);
bool bluish(const unsigned char* p);
const unsigned char* bytes_of(const std::string& s);

std::string encode_jpeg(const Rgb& img);
Rgb decode_jpeg(const std::string& bytes);  // throws std::runtime_error on a bad JPEG
std::string segment(unsigned marker, const std::string& payload);  // a JPEG marker segment
// Inserts segments after the JFIF APP0 that libjpeg writes first.
std::string with_segments(const std::string& jpeg, const std::string& segments);

struct ExifSpec {
  int orientation = 0;  // 0: none
  std::string date_time_original, offset_time_original, date_time;
  char lat_ref = 0, lon_ref = 0;  // 0: no GPS
  std::array<std::pair<uint32_t, uint32_t>, 3> lat{}, lon{};
};
// "Exif\0\0" followed by the TIFF structure, as in a JPEG APP1.
std::string make_exif(const ExifSpec& s);
bool libexif_finds_exif(const std::string& bytes);  // any EXIF entry in `bytes`
extern const std::string xmp_payload;               // a JPEG APP1 XMP payload

std::string encode_png(const Rgb& img, const std::string& tiff_exif);  // with tEXt, tIME, eXIf
std::pair<int, int> decode_png_size(const std::string& bytes);         // decoded to the end
std::string be32(uint32_t v);
std::string le32(uint32_t v);
// A lossy WebP in the extended (VP8X) container with EXIF and XMP chunks.
std::string encode_webp(const Rgb& img, const std::string& tiff_exif);
// Empty when no HEVC encoder is available.
std::string encode_heic(const Rgb& img, const std::string& exif);

// Ready-made samples for the HTTP tests.
struct SampleExif {
  std::optional<std::string> taken;  // "YYYY:MM:DD HH:MM:SS" (DateTimeOriginal)
  std::optional<LonLat> gps;
  int orientation = 0;
};
std::string sample_jpeg(int w, int h, const SampleExif& exif);  // with EXIF, XMP and a comment
std::string sample_png(int w, int h);                           // with text, time and EXIF chunks
std::string sample_webp(int w, int h);                          // with EXIF and XMP chunks
std::optional<std::string> sample_heic(int w, int h);           // nullopt without an encoder
std::string sample_pdf();
bool has_exif(const std::string& bytes);  // libexif finds EXIF in the file (JPEG)

}  // namespace gridmap::test
