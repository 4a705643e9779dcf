// Uploaded photos and documents: fixtures are made here with the image libraries themselves
// (libjpeg, libpng, libwebp, libheif/x265, libexif), then processed and checked with them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <webp/decode.h>

#include "core/error.hpp"
#include "data/media.hpp"
#include "support/media_samples.hpp"

using namespace gridmap;
using namespace gridmap::data::media;
using namespace gridmap::test;
using namespace std::string_literals;

namespace {

// ---- Checks ----

ErrorKind error_kind_of(const std::string& bytes, const Limits& limits = {}) {
  try {
    process(bytes, limits);
  } catch (const Error& e) {
    INFO(e.what());
    return e.kind();
  }
  FAIL("processed without an error");
  return ErrorKind::internal;
}

std::string error_message_of(const std::string& bytes, const Limits& limits = {}) {
  try {
    process(bytes, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

void check_thumbnail(const Processed& p, int side = 320) {
  REQUIRE(p.thumbnail);
  REQUIRE(sniff(*p.thumbnail) == MediaType::jpeg);
  Rgb thumb = decode_jpeg(*p.thumbnail);
  CHECK(std::max(thumb.width, thumb.height) <= side);
  CHECK(thumb.width > 0);
  CHECK(thumb.height > 0);
  // Same shape as the image, give or take rounding.
  CHECK(std::abs(double(thumb.width) / thumb.height - double(p.width) / p.height) <
        0.05 * double(p.width) / p.height + 2.0 / thumb.height);
}

void check_no_metadata(const std::string& stored) {
  CHECK_FALSE(has_metadata(stored));
  CHECK_FALSE(libexif_finds_exif(stored));
  CHECK(stored.find("secret") == std::string::npos);
  CHECK(stored.find("Exif") == std::string::npos);
}

constexpr int64_t t_2024_03_15 = 1710460800;  // 2024-03-15 00:00:00 UTC

}  // namespace

TEST_CASE("media types are told by their magic bytes and named", "[media]") {
  CHECK(sniff("\xFF\xD8\xFF\xE0rest") == MediaType::jpeg);
  CHECK(sniff("\x89PNG\r\n\x1A\nrest") == MediaType::png);
  CHECK(sniff("RIFF\x10\0\0\0WEBPVP8 "s) == MediaType::webp);
  CHECK(sniff("\0\0\0\x18"
              "ftypheic\0\0\0\0"s) == MediaType::heic);
  CHECK(sniff("\0\0\0\x18"
              "ftypmif1\0\0\0\0"s) == MediaType::heic);
  CHECK(sniff("%PDF-1.7\n") == MediaType::pdf);
  CHECK_FALSE(sniff("photo.jpg"));
  CHECK_FALSE(sniff("RIFF\x10\0\0\0WAVEfmt "s));
  CHECK_FALSE(
      sniff("\0\0\0\x18"
            "ftypisom\0\0\0\0"s));
  CHECK_FALSE(sniff(""));
  CHECK(mime_of(MediaType::jpeg) == "image/jpeg");
  CHECK(mime_of(MediaType::heic) == "image/heic");
  CHECK(mime_of(MediaType::pdf) == "application/pdf");
  CHECK(extension_of(MediaType::jpeg) == "jpg");
  CHECK(extension_of(MediaType::webp) == "webp");
  CHECK(extension_of(MediaType::pdf) == "pdf");
}

TEST_CASE("a JPEG loses its EXIF, XMP and comment and is turned upright", "[media]") {
  ExifSpec spec;
  spec.orientation = 6;
  spec.date_time = "2020:01:01 00:00:00";
  spec.date_time_original = "2024:03:15 14:30:00";
  spec.lat_ref = 'N';
  spec.lat = {{{31, 1}, {13, 1}, {504, 10}}};  // 31°13'50.4" = 31.2306
  spec.lon_ref = 'E';
  spec.lon = {{{121, 1}, {28, 1}, {264, 10}}};  // 121°28'26.4" = 121.474
  const std::string jpeg =
      with_segments(encode_jpeg(two_colours(40, 20)), segment(0xE1, make_exif(spec)) +
                                                          segment(0xE1, xmp_payload) +
                                                          segment(0xFE, "secret comment"));
  REQUIRE(sniff(jpeg) == MediaType::jpeg);
  REQUIRE(has_metadata(jpeg));
  REQUIRE(libexif_finds_exif(jpeg));

  const Processed p = process(jpeg);
  CHECK(p.original_type == MediaType::jpeg);
  CHECK(p.stored_type == MediaType::jpeg);
  check_no_metadata(p.stored);
  CHECK(p.stored.find("xmpmeta") == std::string::npos);
  // DateTimeOriginal in the default zone, UTC+8.
  REQUIRE(p.taken_at);
  CHECK(*p.taken_at == t_2024_03_15 + (14 - 8) * 3600 + 30 * 60);
  REQUIRE(p.lat);
  REQUIRE(p.lon);
  CHECK(*p.lat == Approx(31.2306).margin(1e-9));
  CHECK(*p.lon == Approx(121.474).margin(1e-9));

  // Orientation 6: the 40x20 picture is shown rotated a quarter turn clockwise, its left
  // (red) half on top.
  CHECK(p.width == 20);
  CHECK(p.height == 40);
  const Rgb stored = decode_jpeg(p.stored);
  CHECK(stored.width == 20);
  CHECK(stored.height == 40);
  CHECK(reddish(stored.at(10, 5)));
  CHECK(bluish(stored.at(10, 35)));
  check_thumbnail(p);
  const Rgb thumb = decode_jpeg(*p.thumbnail);
  CHECK(thumb.width == 20);
  CHECK(thumb.height == 40);
  CHECK(reddish(thumb.at(10, 5)));
}

TEST_CASE("an upright JPEG is stripped losslessly and its thumbnail is small", "[media]") {
  const std::string plain = encode_jpeg(two_colours(1000, 600));
  ExifSpec spec;
  spec.orientation = 1;
  spec.date_time_original = "2024:03:15 14:30:00";
  spec.offset_time_original = "+02:00";
  const std::string jpeg = with_segments(
      plain, segment(0xE1, make_exif(spec)) + segment(0xED, "Photoshop 3.0\0secret-iptc"s));
  const Processed p = process(jpeg);
  CHECK(p.stored == plain);  // byte for byte what was there before the metadata went in
  check_no_metadata(p.stored);
  CHECK(p.width == 1000);
  CHECK(p.height == 600);
  REQUIRE(p.taken_at);
  CHECK(*p.taken_at == t_2024_03_15 + 12 * 3600 + 30 * 60);  // OffsetTimeOriginal wins
  CHECK_FALSE(p.lat);
  CHECK_FALSE(p.lon);
  check_thumbnail(p);
  const Rgb thumb = decode_jpeg(*p.thumbnail);
  CHECK(thumb.width == 320);
  CHECK(thumb.height == 192);
  CHECK(reddish(thumb.at(40, 96)));
  CHECK(bluish(thumb.at(280, 96)));

  Limits small;
  small.thumbnail_side = 50;
  const Processed q = process(jpeg, small);
  check_thumbnail(q, 50);
}

TEST_CASE("a nonsense EXIF time gives no time and no error", "[media]") {
  ExifSpec spec;
  spec.date_time_original = "2024:13:01 00:00:00";
  spec.date_time = "0000:00:00 00:00:00";
  spec.lat_ref = 'N';
  spec.lat = {{{31, 1}, {13, 0}, {0, 1}}};  // a zero denominator: no position
  spec.lon_ref = 'E';
  spec.lon = {{{121, 1}, {0, 1}, {0, 1}}};
  const std::string jpeg =
      with_segments(encode_jpeg(two_colours(16, 16)), segment(0xE1, make_exif(spec)));
  const Processed p = process(jpeg);
  CHECK_FALSE(p.taken_at);
  CHECK_FALSE(p.lat);
  CHECK_FALSE(p.lon);
  CHECK(p.width == 16);
}

TEST_CASE("a PNG loses its text, time and eXIf chunks and its EXIF is read", "[media]") {
  ExifSpec spec;
  spec.date_time_original = "2023:12:31 23:59:59";
  spec.offset_time_original = "-03:00";
  spec.lat_ref = 'S';
  spec.lat = {{{33, 1}, {52, 1}, {48, 10}}};  // 33°52'4.8" S
  spec.lon_ref = 'W';
  spec.lon = {{{70, 1}, {39, 1}, {0, 1}}};  // 70°39' W
  const std::string png = encode_png(two_colours(50, 30), make_exif(spec).substr(6));
  REQUIRE(sniff(png) == MediaType::png);
  REQUIRE(has_metadata(png));
  REQUIRE(png.find("tEXt") != std::string::npos);
  REQUIRE(png.find("tIME") != std::string::npos);
  REQUIRE(png.find("eXIf") != std::string::npos);

  const Processed p = process(png);
  CHECK(p.original_type == MediaType::png);
  CHECK(p.stored_type == MediaType::png);
  check_no_metadata(p.stored);
  CHECK(p.stored.find("tEXt") == std::string::npos);
  CHECK(p.stored.find("tIME") == std::string::npos);
  CHECK(p.stored.find("eXIf") == std::string::npos);
  CHECK(decode_png_size(p.stored) == std::pair{50, 30});
  CHECK(p.width == 50);
  CHECK(p.height == 30);
  REQUIRE(p.taken_at);
  CHECK(*p.taken_at == 1704067200 + 2 * 3600 + 59 * 60 + 59);  // 2024-01-01 02:59:59 UTC
  REQUIRE(p.lat);
  REQUIRE(p.lon);
  CHECK(*p.lat == Approx(-33.868).margin(1e-9));
  CHECK(*p.lon == Approx(-70.65).margin(1e-9));
  check_thumbnail(p);
}

TEST_CASE("a WebP loses its EXIF and XMP chunks and flags", "[media]") {
  ExifSpec spec;
  spec.date_time = "2022:06:01 08:00:00";  // no DateTimeOriginal: DateTime, default zone
  const std::string webp = encode_webp(two_colours(400, 100), make_exif(spec).substr(6));
  REQUIRE(sniff(webp) == MediaType::webp);
  REQUIRE(has_metadata(webp));

  const Processed p = process(webp);
  CHECK(p.original_type == MediaType::webp);
  CHECK(p.stored_type == MediaType::webp);
  check_no_metadata(p.stored);
  CHECK(p.stored.find("EXIF") == std::string::npos);
  CHECK(p.stored.find("XMP ") == std::string::npos);
  CHECK((uint8_t(p.stored[20]) & 0x0C) == 0);  // VP8X flags
  CHECK(p.stored.substr(4, 4) == le32(uint32_t(p.stored.size() - 8)));
  WebPBitstreamFeatures f;
  REQUIRE(WebPGetFeatures(bytes_of(p.stored), p.stored.size(), &f) == VP8_STATUS_OK);
  int w = 0, h = 0;
  uint8_t* rgb = WebPDecodeRGB(bytes_of(p.stored), p.stored.size(), &w, &h);
  REQUIRE(rgb);
  WebPFree(rgb);
  CHECK(w == 400);
  CHECK(h == 100);
  CHECK(p.width == 400);
  CHECK(p.height == 100);
  REQUIRE(p.taken_at);
  CHECK(*p.taken_at == 1654041600);  // 2022-06-01 00:00:00 UTC
  check_thumbnail(p);
  const Rgb thumb = decode_jpeg(*p.thumbnail);
  CHECK(thumb.width == 320);
  CHECK(thumb.height == 80);
}

TEST_CASE("a HEIC photo is stored as a JPEG without metadata", "[media]") {
  ExifSpec spec;
  spec.date_time_original = "2024:03:15 14:30:00";
  spec.lat_ref = 'N';
  spec.lat = {{{22, 1}, {30, 1}, {0, 1}}};
  spec.lon_ref = 'E';
  spec.lon = {{{114, 1}, {3, 1}, {0, 1}}};
  const std::string heic = encode_heic(two_colours(64, 48), make_exif(spec));
  if (heic.empty()) {
    WARN("no HEVC encoder (x265) in libheif here: the HEIC case is skipped");
    return;
  }
  REQUIRE(sniff(heic) == MediaType::heic);
  const Processed p = process(heic);
  CHECK(p.original_type == MediaType::heic);
  CHECK(p.stored_type == MediaType::jpeg);
  REQUIRE(sniff(p.stored) == MediaType::jpeg);
  check_no_metadata(p.stored);
  const Rgb stored = decode_jpeg(p.stored);
  CHECK(stored.width == 64);
  CHECK(stored.height == 48);
  CHECK(p.width == 64);
  CHECK(p.height == 48);
  CHECK(reddish(stored.at(10, 24)));
  CHECK(bluish(stored.at(54, 24)));
  REQUIRE(p.taken_at);
  CHECK(*p.taken_at == t_2024_03_15 + 6 * 3600 + 30 * 60);
  REQUIRE(p.lat);
  CHECK(*p.lat == Approx(22.5));
  CHECK(*p.lon == Approx(114.05));
  check_thumbnail(p);
}

TEST_CASE("a PDF is kept as it is, without a thumbnail", "[media]") {
  const std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
  REQUIRE(sniff(pdf) == MediaType::pdf);
  const Processed p = process(pdf);
  CHECK(p.original_type == MediaType::pdf);
  CHECK(p.stored_type == MediaType::pdf);
  CHECK(p.stored == pdf);
  CHECK_FALSE(p.thumbnail);
  CHECK(p.width == 0);
  CHECK(p.height == 0);
  CHECK(error_kind_of(pdf.substr(0, pdf.size() - 7)) == ErrorKind::invalid_input);
}

TEST_CASE("files that lie about their type or do not decode are refused", "[media]") {
  const std::string jpeg = encode_jpeg(two_colours(64, 64));
  const std::string png_magic = "\x89PNG\r\n\x1A\n";

  SECTION("a PNG header on JPEG data") {
    CHECK(error_kind_of(png_magic + jpeg) == ErrorKind::invalid_input);
  }
  SECTION("a PNG header on garbage") {
    std::string garbage = png_magic + std::string(200, 'x');
    CHECK(error_kind_of(garbage) == ErrorKind::invalid_input);
  }
  SECTION("a JPEG truncated at half") {
    CHECK(error_kind_of(jpeg.substr(0, jpeg.size() / 2)) == ErrorKind::invalid_input);
  }
  SECTION("a JPEG whose image data is damaged") {
    std::string damaged = jpeg;
    for (size_t i = damaged.size() / 2; i < damaged.size() / 2 + 64; ++i) damaged[i] = '\xFF';
    CHECK(error_kind_of(damaged) == ErrorKind::invalid_input);
  }
  SECTION("a truncated PNG and WebP") {
    const std::string png = encode_png(two_colours(32, 32), make_exif(ExifSpec{}).substr(6));
    CHECK(error_kind_of(png.substr(0, png.size() - 30)) == ErrorKind::invalid_input);
    const std::string webp = encode_webp(two_colours(32, 32), "II*\0"s);
    CHECK(error_kind_of(webp.substr(0, webp.size() / 2)) == ErrorKind::invalid_input);
  }
  SECTION("random bytes") {
    std::mt19937 rng(20240315);
    std::string random(4096, '\0');
    for (char& c : random) c = char(rng() & 0xFF);
    random[0] = 'x';
    CHECK(error_kind_of(random) == ErrorKind::unsupported_media_type);
  }
  SECTION("a HEIC brand on garbage") {
    CHECK(error_kind_of("\0\0\0\x18"
                        "ftypheic\0\0\0\0mif1heic garbage"s) == ErrorKind::invalid_input);
  }
  SECTION("empty input") {
    CHECK(error_kind_of("") == ErrorKind::invalid_input);
    CHECK_FALSE(has_metadata(""));
  }
}

TEST_CASE("images with more pixels than the limit are refused before decoding", "[media]") {
  SECTION("a 100000x100000 PNG header") {
    std::string ihdr = "IHDR" + be32(100000) + be32(100000) + "\x08\x02\0\0\0"s;
    std::string png = "\x89PNG\r\n\x1A\n"s + be32(13) + ihdr + be32(0) + be32(0) + "IEND" + be32(0);
    CHECK(error_kind_of(png) == ErrorKind::invalid_input);
    CHECK_THAT(error_message_of(png), Catch::Contains("limit"));
  }
  SECTION("a JPEG, a PNG and a WebP over a small limit") {
    Limits small;
    small.max_pixels = 999;
    CHECK(error_kind_of(encode_jpeg(two_colours(40, 25)), small) == ErrorKind::invalid_input);
    CHECK(error_kind_of(encode_png(two_colours(40, 25), "II*\0"s), small) ==
          ErrorKind::invalid_input);
    CHECK(error_kind_of(encode_webp(two_colours(40, 25), "II*\0"s), small) ==
          ErrorKind::invalid_input);
    small.max_pixels = 1000;
    CHECK(process(encode_jpeg(two_colours(40, 25)), small).width == 40);
  }
  SECTION("a JPEG with a zero height") {
    std::string jpeg = encode_jpeg(two_colours(8, 8));
    size_t sof = jpeg.find("\xFF\xC0");
    REQUIRE(sof != std::string::npos);
    jpeg[sof + 5] = 0;
    jpeg[sof + 6] = 0;
    CHECK(error_kind_of(jpeg) == ErrorKind::invalid_input);
  }
}
