// See media_samples.hpp. Made with the libraries directly, never with data/media.
#include "support/media_samples.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

#if defined(__SANITIZE_ADDRESS__)
#define MEDIA_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEDIA_TEST_LSAN 1
#endif
#endif
#ifdef MEDIA_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

using namespace std::string_literals;

namespace gridmap::test {

// Left half red, right half blue.
Rgb two_colours(int w, int h) {
  Rgb img{w, h, std::vector<unsigned char>(size_t(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      unsigned char* p = &img.px[(size_t(y) * w + x) * 3];
      p[0] = x < w / 2 ? 230 : 20;
      p[1] = 20;
      p[2] = x < w / 2 ? 20 : 230;
    }
  return img;
}

bool reddish(const unsigned char* p) {
  return p[0] > 150 && p[2] < 100;
}
bool bluish(const unsigned char* p) {
  return p[2] > 150 && p[0] < 100;
}

const unsigned char* bytes_of(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// ---- JPEG ----

std::string encode_jpeg(const Rgb& img) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = JDIMENSION(img.width);
  c.image_height = JDIMENSION(img.height);
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(img.at(0, int(c.next_scanline)));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

namespace {
struct JpegQuiet : jpeg_error_mgr {};
}  // namespace
[[noreturn]] static void jpeg_throw(j_common_ptr) {
  throw std::runtime_error("bad JPEG");
}

Rgb decode_jpeg(const std::string& bytes) {
  jpeg_decompress_struct d{};
  JpegQuiet err;
  d.err = jpeg_std_error(&err);
  err.error_exit = jpeg_throw;
  err.emit_message = [](j_common_ptr, int) {};
  jpeg_create_decompress(&d);
  Rgb img;
  try {
    jpeg_mem_src(&d, bytes_of(bytes), bytes.size());
    jpeg_read_header(&d, TRUE);
    d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d);
    img = Rgb{int(d.output_width), int(d.output_height),
              std::vector<unsigned char>(size_t(d.output_width) * d.output_height * 3)};
    while (d.output_scanline < d.output_height) {
      JSAMPROW row = &img.px[size_t(d.output_scanline) * img.width * 3];
      jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
  } catch (...) {
    jpeg_destroy_decompress(&d);
    throw;
  }
  jpeg_destroy_decompress(&d);
  return img;
}

std::string segment(unsigned marker, const std::string& payload) {
  size_t len = payload.size() + 2;
  return "\xFF"s + char(marker) + char(len >> 8) + char(len & 0xFF) + payload;
}

// Inserts segments after the JFIF APP0 that libjpeg writes first.
std::string with_segments(const std::string& jpeg, const std::string& segments) {
  size_t app0 = 4 + ((size_t(uint8_t(jpeg[4])) << 8) | uint8_t(jpeg[5]));
  return jpeg.substr(0, app0) + segments + jpeg.substr(app0);
}

// ---- EXIF ----

static ExifEntry* add_entry(ExifData* ed, ExifIfd ifd, ExifTag tag, ExifFormat format,
                            unsigned count) {
  ExifMem* mem = exif_mem_new_default();
  ExifEntry* e = exif_entry_new_mem(mem);
  const unsigned size = exif_format_get_size(format) * count;
  e->data = static_cast<unsigned char*>(exif_mem_alloc(mem, size));
  e->size = size;
  e->tag = tag;
  e->components = count;
  e->format = format;
  exif_content_add_entry(ed->ifd[ifd], e);
  exif_mem_unref(mem);
  exif_entry_unref(e);
  return e;
}

static void add_ascii(ExifData* ed, ExifIfd ifd, int tag, const std::string& text) {
  if (text.empty()) return;
  ExifEntry* e = add_entry(ed, ifd, ExifTag(tag), EXIF_FORMAT_ASCII, unsigned(text.size() + 1));
  std::memcpy(e->data, text.c_str(), text.size() + 1);
}

static void add_gps(ExifData* ed, int ref_tag, char ref, int tag,
                    const std::array<std::pair<uint32_t, uint32_t>, 3>& v) {
  add_ascii(ed, EXIF_IFD_GPS, ref_tag, std::string(1, ref));
  ExifEntry* e = add_entry(ed, EXIF_IFD_GPS, ExifTag(tag), EXIF_FORMAT_RATIONAL, 3);
  for (int i = 0; i < 3; ++i)
    exif_set_rational(e->data + 8 * i, EXIF_BYTE_ORDER_INTEL,
                      ExifRational{v[i].first, v[i].second});
}

// "Exif\0\0" followed by the TIFF structure, as in a JPEG APP1.
std::string make_exif(const ExifSpec& s) {
  ExifData* ed = exif_data_new();
  exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
  if (s.orientation) {
    ExifEntry* e = add_entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, EXIF_FORMAT_SHORT, 1);
    exif_set_short(e->data, EXIF_BYTE_ORDER_INTEL, ExifShort(s.orientation));
  }
  add_ascii(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME, s.date_time);
  add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, s.date_time_original);
  add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_ORIGINAL, s.offset_time_original);
  if (s.lat_ref) add_gps(ed, EXIF_TAG_GPS_LATITUDE_REF, s.lat_ref, EXIF_TAG_GPS_LATITUDE, s.lat);
  if (s.lon_ref) add_gps(ed, EXIF_TAG_GPS_LONGITUDE_REF, s.lon_ref, EXIF_TAG_GPS_LONGITUDE, s.lon);
  unsigned char* buf = nullptr;
  unsigned size = 0;
  exif_data_save_data(ed, &buf, &size);
  exif_data_unref(ed);
  REQUIRE(buf);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  REQUIRE(out.rfind("Exif\0\0"s, 0) == 0);
  return out;
}

// Does libexif find any EXIF entry in `bytes`?
bool libexif_finds_exif(const std::string& bytes) {
  ExifData* ed = exif_data_new_from_data(bytes_of(bytes), unsigned(bytes.size()));
  if (!ed) return false;
  bool any = false;
  for (int i = 0; i < EXIF_IFD_COUNT; ++i)
    if (ed->ifd[i] && ed->ifd[i]->count) any = true;
  exif_data_unref(ed);
  return any;
}

const std::string xmp_payload = "http://ns.adobe.com/xap/1.0/\0"s +
                                "<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret-xmp</x:xmpmeta>";

// ---- PNG ----

static void png_sink(png_structp png, png_bytep data, size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

std::string encode_png(const Rgb& img, const std::string& tiff_exif) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, png_sink, nullptr);
  png_set_IHDR(png, info, png_uint_32(img.width), png_uint_32(img.height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_text text{};
  text.compression = PNG_TEXT_COMPRESSION_NONE;
  text.key = const_cast<char*>("Comment");
  text.text = const_cast<char*>("secret-text");
  png_set_text(png, info, &text, 1);
  png_time when{2024, 3, 15, 6, 30, 0};
  png_set_tIME(png, info, &when);
  png_set_eXIf_1(png, info, png_uint_32(tiff_exif.size()),
                 const_cast<png_bytep>(bytes_of(tiff_exif)));
  png_write_info(png, info);
  for (int y = 0; y < img.height; ++y) png_write_row(png, img.at(0, y));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

namespace {
struct PngSource {
  const std::string* data;
  size_t at = 0;
};
}  // namespace

// Width and height of a PNG that libpng decodes to the end.
std::pair<int, int> decode_png_size(const std::string& bytes) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  PngSource src{&bytes};
  png_set_read_fn(png, &src, [](png_structp p, png_bytep out, size_t n) {
    auto* s = static_cast<PngSource*>(png_get_io_ptr(p));
    REQUIRE(n <= s->data->size() - s->at);
    std::memcpy(out, s->data->data() + s->at, n);
    s->at += n;
  });
  png_read_info(png, info);
  std::pair<int, int> size{int(png_get_image_width(png, info)),
                           int(png_get_image_height(png, info))};
  std::vector<unsigned char> row(png_get_rowbytes(png, info));
  for (int y = 0; y < size.second; ++y) png_read_row(png, row.data(), nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return size;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}

// ---- WebP ----

std::string le32(uint32_t v) {
  return {char(v & 0xFF), char((v >> 8) & 0xFF), char((v >> 16) & 0xFF), char(v >> 24)};
}
static std::string le24(uint32_t v) {
  return {char(v & 0xFF), char((v >> 8) & 0xFF), char((v >> 16) & 0xFF)};
}

static std::string riff_chunk(const std::string& fourcc, const std::string& data) {
  std::string c = fourcc + le32(uint32_t(data.size())) + data;
  if (data.size() & 1) c += '\0';
  return c;
}

// A lossy WebP in the extended (VP8X) container with EXIF and XMP chunks.
std::string encode_webp(const Rgb& img, const std::string& tiff_exif) {
  uint8_t* out = nullptr;
  size_t size = WebPEncodeRGB(img.px.data(), img.width, img.height, img.width * 3, 80, &out);
  REQUIRE(size > 20);
  std::string simple(reinterpret_cast<char*>(out), size);
  WebPFree(out);
  REQUIRE(simple.substr(12, 4) == "VP8 ");
  std::string vp8x = std::string(1, char(0x08 | 0x04)) + std::string(3, '\0') +
                     le24(uint32_t(img.width - 1)) + le24(uint32_t(img.height - 1));
  std::string body = "WEBP" + riff_chunk("VP8X", vp8x) + simple.substr(12) +
                     riff_chunk("EXIF", tiff_exif) +
                     riff_chunk("XMP ", "<x:xmpmeta>secret-xmp</x:xmpmeta>");
  return "RIFF" + le32(uint32_t(body.size())) + body;
}

// ---- HEIC ----

static heif_error heif_sink(heif_context*, const void* data, size_t size, void* user) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

// Empty when no HEVC encoder is available.
std::string encode_heic(const Rgb& img, const std::string& exif) {
  if (!heif_have_encoder_for_format(heif_compression_HEVC)) return {};
#ifdef MEDIA_TEST_LSAN
  // x265 (only the fixture encodes) keeps one block of each encoder it opens: not ours.
  __lsan::ScopedDisabler x265_keeps_memory;
#endif
  heif_context* ctx = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  if (heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &encoder).code !=
      heif_error_Ok) {
    heif_context_free(ctx);
    return {};
  }
  heif_encoder_set_lossy_quality(encoder, 90);
  heif_encoder_set_logging_level(encoder, 0);
  heif_image* image = nullptr;
  REQUIRE(heif_image_create(img.width, img.height, heif_colorspace_RGB, heif_chroma_interleaved_RGB,
                            &image)
              .code == heif_error_Ok);
  REQUIRE(heif_image_add_plane(image, heif_channel_interleaved, img.width, img.height, 8).code ==
          heif_error_Ok);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  for (int y = 0; y < img.height; ++y)
    std::memcpy(plane + y * stride, img.at(0, y), size_t(img.width) * 3);
  heif_image_handle* handle = nullptr;
  heif_error e = heif_context_encode_image(ctx, image, encoder, nullptr, &handle);
  std::string out;
  if (e.code == heif_error_Ok) {
    REQUIRE(heif_context_add_exif_metadata(ctx, handle, exif.data(), int(exif.size())).code ==
            heif_error_Ok);
    heif_writer writer{1, heif_sink};
    REQUIRE(heif_context_write(ctx, &writer, &out).code == heif_error_Ok);
    heif_image_handle_release(handle);
  }
  heif_image_release(image);
  heif_encoder_release(encoder);
  heif_context_free(ctx);
  return out;
}

namespace {
// Degrees as EXIF's three rationals (degrees, minutes, seconds in 1/10000).
std::array<std::pair<uint32_t, uint32_t>, 3> dms(double v) {
  v = std::abs(v);
  auto deg = static_cast<uint32_t>(v);
  double m = (v - deg) * 60;
  auto min = static_cast<uint32_t>(m);
  auto sec = static_cast<uint32_t>(std::llround((m - min) * 60 * 10000));
  return {{{deg, 1}, {min, 1}, {sec, 10000}}};
}

ExifSpec spec_of(const SampleExif& e) {
  ExifSpec s;
  s.orientation = e.orientation;
  if (e.taken) s.date_time_original = *e.taken;
  if (e.gps) {
    s.lat_ref = e.gps->lat < 0 ? 'S' : 'N';
    s.lon_ref = e.gps->lon < 0 ? 'W' : 'E';
    s.lat = dms(e.gps->lat);
    s.lon = dms(e.gps->lon);
  }
  return s;
}
}  // namespace

std::string sample_jpeg(int w, int h, const SampleExif& exif) {
  return with_segments(encode_jpeg(two_colours(w, h)), segment(0xE1, make_exif(spec_of(exif))) +
                                                           segment(0xE1, xmp_payload) +
                                                           segment(0xFE, "secret-comment"));
}

std::string sample_png(int w, int h) {
  return encode_png(two_colours(w, h), make_exif(spec_of({})).substr(6));
}

std::string sample_webp(int w, int h) {
  return encode_webp(two_colours(w, h), make_exif(spec_of({})).substr(6));
}

std::optional<std::string> sample_heic(int w, int h) {
  std::string out =
      encode_heic(two_colours(w, h), make_exif(spec_of({"2026:01:02 03:04:05", std::nullopt, 0})));
  if (out.empty()) return std::nullopt;
  return out;
}

std::string sample_pdf() {
  return "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
         "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
         "trailer << /Root 1 0 R >>\n%%EOF\n";
}

bool has_exif(const std::string& bytes) {
  return libexif_finds_exif(bytes);
}

}  // namespace gridmap::test
