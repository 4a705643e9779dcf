// Photos and documents (see media.hpp). Each C library sits behind a small RAII wrapper here;
// libjpeg and libpng report errors through callbacks that throw gridmap::Error (they are
// compiled with unwind tables, and nothing in their frames needs cleaning up: the wrappers'
// destructors free their state), and every library's own messages are silenced.
#include "data/media.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>  // before jpeglib.h, which needs FILE
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/mux_types.h>

#include "core/error.hpp"

namespace gridmap::data::media {

namespace {

using namespace std::string_view_literals;

constexpr int stored_quality = 90;
constexpr int thumbnail_quality = 85;
constexpr int max_jpeg_scans = 100;  // a progressive JPEG of thousands of scans is a CPU bomb
constexpr std::string_view exif_header = "Exif\0\0"sv;

[[noreturn]] void invalid(const std::string& why) {
  throw Error(ErrorKind::invalid_input, why);
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
uint32_t be16(const unsigned char* p) {
  return (uint32_t{p[0]} << 8) | p[1];
}
uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint32_t le32(const unsigned char* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
void put_le32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Rejects an empty or too large image before any pixel buffer exists.
void check_size(int64_t w, int64_t h, const Limits& limits, std::string_view what) {
  std::string dims = std::to_string(w) + "x" + std::to_string(h);
  if (w <= 0 || h <= 0) invalid(std::string(what) + " has no pixels (" + dims + ")");
  if (w > limits.max_pixels / h)
    invalid(std::string(what) + " of " + dims + " pixels is larger than the limit of " +
            std::to_string(limits.max_pixels) + " pixels");
}

// ---- Pixels ------------------------------------------------------------------------------

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;  // 3 bytes a pixel, rows top to bottom
};

// The size of a thumbnail of a w x h image: longest side `side`, never enlarged.
std::pair<int, int> fit(int w, int h, int side) {
  side = std::max(side, 1);
  if (w <= side && h <= side) return {w, h};
  auto scaled = [side](int a, int b) {
    return std::max(1, static_cast<int>(std::lround(static_cast<double>(a) * side / b)));
  };
  return w >= h ? std::pair{side, scaled(h, w)} : std::pair{scaled(w, h), side};
}

// A box filter fed one source row at a time, so that no full-size copy is needed.
class Shrinker {
 public:
  Shrinker(int w, int h, int tw, int th)
      : w_(w),
        h_(h),
        tw_(std::min(tw, w)),
        th_(std::min(th, h)),
        sums_(size_t(tw_) * 3),
        counts_(size_t(tw_)),
        column_(size_t(w)) {
    out_.width = tw_;
    out_.height = th_;
    out_.rgb.resize(size_t(tw_) * size_t(th_) * 3);
    for (int x = 0; x < w_; ++x) column_[x] = static_cast<int>(int64_t{x} * tw_ / w_);
  }
  void add_row(const unsigned char* rgb) {
    int ty = static_cast<int>(int64_t{y_} * th_ / h_);
    if (ty != row_) flush();
    row_ = ty;
    for (int x = 0; x < w_; ++x) {
      size_t c = size_t(column_[x]);
      for (int k = 0; k < 3; ++k) sums_[c * 3 + k] += rgb[size_t(x) * 3 + k];
      ++counts_[c];
    }
    ++y_;
  }
  Image finish() {
    flush();
    return std::move(out_);
  }

 private:
  void flush() {
    if (row_ < 0) return;
    unsigned char* out = &out_.rgb[size_t(row_) * size_t(tw_) * 3];
    for (size_t c = 0; c < size_t(tw_); ++c) {
      uint64_t n = std::max<uint64_t>(counts_[c], 1);
      for (int k = 0; k < 3; ++k)
        out[c * 3 + k] = static_cast<unsigned char>((sums_[c * 3 + k] + n / 2) / n);
    }
    std::fill(sums_.begin(), sums_.end(), 0);
    std::fill(counts_.begin(), counts_.end(), 0);
  }

  int w_, h_, tw_, th_;
  int y_ = 0, row_ = -1;
  std::vector<uint64_t> sums_, counts_;
  std::vector<int> column_;
  Image out_;
};

Image shrink(const Image& img, int side) {
  auto [tw, th] = fit(img.width, img.height, side);
  Shrinker s(img.width, img.height, tw, th);
  for (int y = 0; y < img.height; ++y) s.add_row(&img.rgb[size_t(y) * size_t(img.width) * 3]);
  return s.finish();
}

// RGBA over white, one row.
void flatten(const unsigned char* rgba, int w, unsigned char* rgb) {
  for (int x = 0; x < w; ++x) {
    unsigned a = rgba[x * 4 + 3];
    for (int k = 0; k < 3; ++k)
      rgb[x * 3 + k] =
          static_cast<unsigned char>((rgba[x * 4 + k] * a + 255 * (255 - a) + 127) / 255);
  }
}

// The image as displayed for EXIF orientation `o` (1 upright … 8 rotated 90° anticlockwise).
Image orient(const Image& src, int o) {
  const int w = src.width, h = src.height;
  const bool swap = o >= 5;
  Image out{swap ? h : w, swap ? w : h, std::vector<unsigned char>(src.rgb.size())};
  for (int y2 = 0; y2 < out.height; ++y2)
    for (int x2 = 0; x2 < out.width; ++x2) {
      int x = x2, y = y2;
      switch (o) {
        case 2:
          x = w - 1 - x2;
          break;
        case 3:
          x = w - 1 - x2, y = h - 1 - y2;
          break;
        case 4:
          y = h - 1 - y2;
          break;
        case 5:
          x = y2, y = x2;
          break;
        case 6:
          x = y2, y = h - 1 - x2;
          break;
        case 7:
          x = w - 1 - y2, y = h - 1 - x2;
          break;
        case 8:
          x = w - 1 - y2, y = x2;
          break;
        default:
          break;
      }
      std::memcpy(&out.rgb[(size_t(y2) * out.width + x2) * 3], &src.rgb[(size_t(y) * w + x) * 3],
                  3);
    }
  return out;
}

// An ICC profile is carried over only when it describes RGB data, which is what we write.
bool is_rgb_icc(std::string_view icc) {
  return icc.size() >= 128 && icc.substr(16, 4) == "RGB ";
}

// ---- libjpeg -----------------------------------------------------------------------------

struct JpegErrors : jpeg_error_mgr {
  ErrorKind kind = ErrorKind::invalid_input;  // internal when encoding our own pixels
};

[[noreturn]] void jpeg_fail(j_common_ptr c) {
  char text[JMSG_LENGTH_MAX] = {};
  c->err->format_message(c, text);
  auto kind = static_cast<JpegErrors*>(c->err)->kind;
  throw Error(kind, std::string(kind == ErrorKind::invalid_input ? "not a valid JPEG: "
                                                                 : "JPEG encoding failed: ") +
                        text);
}

// Warnings about damaged data fail the decoding (libjpeg would fill the gap with grey); the
// harmless ones and all trace messages are dropped.
void jpeg_message(j_common_ptr c, int level) {
  if (level >= 0) return;
  switch (c->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_BOGUS_ICC:
      return;
    default:
      jpeg_fail(c);
  }
}

void jpeg_progress(j_common_ptr c) {
  if (c->is_decompressor &&
      reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > max_jpeg_scans)
    invalid("not a valid JPEG: more than " + std::to_string(max_jpeg_scans) + " scans");
}

struct JpegDecoder {
  jpeg_decompress_struct info{};
  JpegErrors errors;
  jpeg_progress_mgr progress{};
  JpegDecoder() {
    info.err = jpeg_std_error(&errors);
    errors.error_exit = jpeg_fail;
    errors.emit_message = jpeg_message;
    jpeg_create_decompress(&info);
    progress.progress_monitor = jpeg_progress;
    info.progress = &progress;
  }
  ~JpegDecoder() { jpeg_destroy_decompress(&info); }
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
};

struct JpegEncoder {
  jpeg_compress_struct info{};
  JpegErrors errors;
  JpegEncoder() {
    info.err = jpeg_std_error(&errors);
    errors.kind = ErrorKind::internal;
    errors.error_exit = jpeg_fail;
    errors.emit_message = [](j_common_ptr, int) {};
    jpeg_create_compress(&info);
  }
  ~JpegEncoder() { jpeg_destroy_compress(&info); }
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;
};

struct FreeC {
  void operator()(void* p) const { std::free(p); }
};

std::string encode_jpeg(const Image& img, int quality, std::string_view icc = {}) {
  if (img.width > JPEG_MAX_DIMENSION || img.height > JPEG_MAX_DIMENSION)
    invalid("an image of " + std::to_string(img.width) + "x" + std::to_string(img.height) +
            " pixels is too large to store as JPEG");
  JpegEncoder e;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  struct Release {  // jpeg_mem_dest's buffer, whichever it is when we leave
    unsigned char*& p;
    ~Release() { std::free(p); }
  } release{buffer};
  jpeg_mem_dest(&e.info, &buffer, &size);
  e.info.image_width = static_cast<JDIMENSION>(img.width);
  e.info.image_height = static_cast<JDIMENSION>(img.height);
  e.info.input_components = 3;
  e.info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&e.info);
  jpeg_set_quality(&e.info, quality, TRUE);
  // Optimised Huffman tables need a second pass over the whole image's coefficients: for
  // thumbnails and phone-sized photos only.
  e.info.optimize_coding =
      static_cast<int64_t>(img.width) * img.height <= 16'000'000 ? TRUE : FALSE;
  jpeg_start_compress(&e.info, TRUE);
  if (is_rgb_icc(icc))
    jpeg_write_icc_profile(&e.info, bytes_of(icc), static_cast<unsigned>(icc.size()));
  while (e.info.next_scanline < e.info.image_height) {
    JSAMPROW row =
        const_cast<unsigned char*>(&img.rgb[size_t(e.info.next_scanline) * img.width * 3]);
    jpeg_write_scanlines(&e.info, &row, 1);
  }
  jpeg_finish_compress(&e.info);
  return std::string(reinterpret_cast<const char*>(buffer), size);
}

struct JpegPixels {
  Image image;                // at full size, or reduced by libjpeg's DCT scaling
  int width = 0, height = 0;  // full size
  std::string icc;
};

// Decodes every scan (validating the whole file); at full size when `side` is 0, else at the
// smallest DCT scale whose longest side is still at least `side`.
JpegPixels decode_jpeg(std::string_view bytes, const Limits& limits, int side) {
  JpegDecoder d;
  jpeg_mem_src(&d.info, bytes_of(bytes), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&d.info, JPEG_APP0 + 2, 0xFFFF);
  if (jpeg_read_header(&d.info, TRUE) != JPEG_HEADER_OK) invalid("not a valid JPEG: no image");
  JpegPixels out;
  out.width = static_cast<int>(d.info.image_width);
  out.height = static_cast<int>(d.info.image_height);
  check_size(out.width, out.height, limits, "JPEG");
  JOCTET* icc = nullptr;
  unsigned icc_size = 0;
  if (jpeg_read_icc_profile(&d.info, &icc, &icc_size)) {
    std::unique_ptr<JOCTET, FreeC> owned(icc);
    out.icc.assign(reinterpret_cast<const char*>(icc), icc_size);
  }
  const bool cmyk = d.info.jpeg_color_space == JCS_CMYK || d.info.jpeg_color_space == JCS_YCCK;
  const bool adobe_inverted = d.info.saw_Adobe_marker;
  d.info.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  if (side > 0) {
    const int longest = std::max(out.width, out.height);
    for (unsigned denom : {8u, 4u, 2u})
      if ((longest + int(denom) - 1) / int(denom) >= side) {
        d.info.scale_num = 1;
        d.info.scale_denom = denom;
        break;
      }
  }
  jpeg_start_decompress(&d.info);
  const int w = static_cast<int>(d.info.output_width), h = static_cast<int>(d.info.output_height);
  const int channels = d.info.output_components;
  if (channels != (cmyk ? 4 : 3)) invalid("not a valid JPEG: unexpected colour components");
  out.image = Image{w, h, std::vector<unsigned char>(size_t(w) * size_t(h) * 3)};
  std::vector<unsigned char> row(size_t(w) * size_t(channels));
  while (d.info.output_scanline < d.info.output_height) {
    unsigned char* rgb = &out.image.rgb[size_t(d.info.output_scanline) * size_t(w) * 3];
    JSAMPROW r = row.data();
    if (jpeg_read_scanlines(&d.info, &r, 1) != 1)
      invalid("not a valid JPEG: the image data stops early");
    if (!cmyk) {
      std::memcpy(rgb, row.data(), size_t(w) * 3);
      continue;
    }
    for (int x = 0; x < w; ++x) {
      unsigned k = row[x * 4 + 3];
      for (int c = 0; c < 3; ++c) {
        unsigned v = row[x * 4 + c];
        rgb[x * 3 + c] =
            static_cast<unsigned char>(adobe_inverted ? v * k / 255 : (255 - v) * (255 - k) / 255);
      }
    }
  }
  jpeg_finish_decompress(&d.info);
  return out;
}

// The segments of a JPEG, copied without those that carry metadata.
struct JpegWalk {
  std::string stripped;
  std::string_view exif;  // the first EXIF APP1 payload, "Exif\0\0" header included
  bool had_metadata = false;
};

// APP0 JFIF, APP2 ICC and APP14 Adobe stay (other APP0/APP2 uses — JFXX thumbnails, MPF
// pointers to further images — go); every other APPn and COM go; all else stays.
bool jpeg_segment_kept(unsigned marker, std::string_view payload) {
  if (marker == 0xFE) return false;
  if (marker < 0xE0 || marker > 0xEF) return true;
  if (marker == 0xE0) return payload.starts_with("JFIF\0"sv);
  if (marker == 0xE2) return payload.starts_with("ICC_PROFILE\0"sv);
  if (marker == 0xEE) return payload.starts_with("Adobe"sv);
  return false;
}

// Throws invalid_input for a broken structure; `out` keeps what was seen until then. Bytes
// after the end-of-image marker (appended videos, other images) are dropped.
void walk_jpeg(std::string_view b, JpegWalk& out) {
  const unsigned char* p = bytes_of(b);
  const size_t n = b.size();
  size_t i = 2;
  out.stripped.assign("\xFF\xD8", 2);
  for (;;) {
    if (i >= n) invalid("not a valid JPEG: the file ends before its end-of-image marker");
    if (p[i] != 0xFF) invalid("not a valid JPEG: data where a marker should be");
    while (i < n && p[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) invalid("not a valid JPEG: the file ends before its end-of-image marker");
    const unsigned marker = p[i++];
    const char marker_bytes[2] = {'\xFF', static_cast<char>(marker)};
    if (marker == 0xD9) {
      out.stripped.append(marker_bytes, 2);
      return;
    }
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // no length
      out.stripped.append(marker_bytes, 2);
      continue;
    }
    if (marker == 0x00 || marker == 0xD8) invalid("not a valid JPEG: a misplaced marker");
    if (n - i < 2) invalid("not a valid JPEG: a segment runs past the end of the file");
    const size_t len = be16(p + i);
    if (len < 2 || len > n - i)
      invalid("not a valid JPEG: a segment runs past the end of the file");
    const std::string_view payload = b.substr(i + 2, len - 2);
    if (marker == 0xE0 && jpeg_segment_kept(marker, payload) && payload.size() > 14) {
      // JFIF keeps its version, density and units; its embedded thumbnail (a picture of the
      // original, crop or not) goes: 0 x 0.
      out.stripped.append(marker_bytes, 2);
      out.stripped += std::string("\x00\x10", 2);
      out.stripped.append(payload.substr(0, 12));
      out.stripped += std::string("\x00\x00", 2);
      out.had_metadata = true;
    } else if (jpeg_segment_kept(marker, payload)) {
      out.stripped.append(marker_bytes, 2);
      out.stripped.append(b.substr(i, len));
    } else {
      out.had_metadata = true;
      if (marker == 0xE1 && out.exif.empty() && payload.starts_with(exif_header))
        out.exif = payload;
    }
    i += len;
    if (marker != 0xDA) continue;
    // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
    size_t k = i;
    for (;;) {
      const void* ff = k < n ? std::memchr(p + k, 0xFF, n - k) : nullptr;
      if (!ff) invalid("not a valid JPEG: the file ends inside its image data");
      k = static_cast<size_t>(static_cast<const unsigned char*>(ff) - p);
      if (k + 1 >= n) invalid("not a valid JPEG: the file ends inside its image data");
      const unsigned next = p[k + 1];
      if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7)) break;
      k += 2;
    }
    out.stripped.append(b.substr(i, k - i));
    i = k;
  }
}

// ---- EXIF --------------------------------------------------------------------------------

struct ExifInfo {
  std::optional<int64_t> taken_at;
  std::optional<double> lon, lat;
  int orientation = 1;
};

struct ExifUnref {
  void operator()(ExifData* d) const { exif_data_unref(d); }
};

ExifEntry* exif_entry(ExifData* ed, ExifIfd ifd, int tag) {
  return exif_content_get_entry(ed->ifd[ifd], static_cast<ExifTag>(tag));
}

std::optional<std::string> exif_ascii(ExifEntry* e) {
  if (!e || e->format != EXIF_FORMAT_ASCII || !e->data) return std::nullopt;
  const char* s = reinterpret_cast<const char*>(e->data);
  return std::string(s, strnlen(s, e->size));
}

int64_t days_from_civil(int64_t y, int m, int d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<int> digits(std::string_view s, size_t at, size_t count) {
  if (at + count > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "+08:00" / "-05:30" as minutes east of UTC.
std::optional<int> utc_offset(const std::optional<std::string>& s) {
  if (!s || s->size() < 6 || ((*s)[0] != '+' && (*s)[0] != '-') || (*s)[3] != ':')
    return std::nullopt;
  auto h = digits(*s, 1, 2), m = digits(*s, 4, 2);
  if (!h || !m || *h > 14 || *m > 59) return std::nullopt;
  return ((*s)[0] == '-' ? -1 : 1) * (*h * 60 + *m);
}

// "YYYY:MM:DD HH:MM:SS" in the zone `offset_minutes` east of UTC; nonsense gives nothing.
std::optional<int64_t> exif_time(std::string_view s, int offset_minutes) {
  if (s.size() < 19 || (s[4] != ':' && s[4] != '-') || s[7] != s[4] || s[10] != ' ' ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  static constexpr std::array<int, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*y < 1800 || *mo < 1 || *mo > 12 || *d < 1 || *d > month_days[*mo - 1] ||
      (*mo == 2 && *d == 29 && !leap) || *h > 23 || *mi > 59 || *sec > 59)
    return std::nullopt;
  return days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *sec -
         int64_t{offset_minutes} * 60;
}

// Degrees from GPS rationals (degrees, minutes, seconds) and their N/S or E/W reference.
std::optional<double> gps_degrees(ExifData* ed, int value_tag, int ref_tag, char negative,
                                  double limit) {
  ExifEntry* v = exif_entry(ed, EXIF_IFD_GPS, value_tag);
  auto ref = exif_ascii(exif_entry(ed, EXIF_IFD_GPS, ref_tag));
  if (!v || !v->data || v->format != EXIF_FORMAT_RATIONAL || v->components < 1 ||
      v->size < v->components * 8 || !ref || ref->empty())
    return std::nullopt;
  const ExifByteOrder order = exif_data_get_byte_order(ed);
  double value = 0, unit = 1;
  for (unsigned long i = 0; i < std::min<unsigned long>(v->components, 3); ++i, unit *= 60) {
    ExifRational r = exif_get_rational(v->data + 8 * i, order);
    if (r.denominator == 0) {
      if (r.numerator != 0 || i == 0) return std::nullopt;
      continue;
    }
    value += static_cast<double>(r.numerator) / r.denominator / unit;
  }
  if (!std::isfinite(value) || value > limit) return std::nullopt;
  return (*ref)[0] == negative ? -value : value;
}

// `blob`: a TIFF-structured EXIF block, with or without the "Exif\0\0" header of JPEG's APP1.
ExifInfo read_exif(std::string_view blob, int default_offset_minutes) {
  ExifInfo info;
  if (blob.starts_with(exif_header)) blob.remove_prefix(exif_header.size());
  if (!blob.starts_with("II*\0"sv) && !blob.starts_with("MM\0*"sv)) return info;
  std::string data(exif_header);
  data.append(blob.substr(0, 0xFFFF));
  std::unique_ptr<ExifData, ExifUnref> ed(exif_data_new());
  if (!ed) throw Error(ErrorKind::internal, "out of memory reading EXIF");
  // Read as written: "following the specification" would add missing tags (a DateTime of now).
  exif_data_unset_option(ed.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(ed.get(), bytes_of(data), static_cast<unsigned>(data.size()));

  if (ExifEntry* o = exif_entry(ed.get(), EXIF_IFD_0, EXIF_TAG_ORIENTATION);
      o && o->data && o->format == EXIF_FORMAT_SHORT && o->size >= 2) {
    int v = exif_get_short(o->data, exif_data_get_byte_order(ed.get()));
    if (v >= 1 && v <= 8) info.orientation = v;
  }

  auto original = exif_ascii(exif_entry(ed.get(), EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL));
  if (original) {
    auto zone =
        utc_offset(exif_ascii(exif_entry(ed.get(), EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME_ORIGINAL)));
    info.taken_at = exif_time(*original, zone.value_or(default_offset_minutes));
  }
  if (!info.taken_at)
    if (auto plain = exif_ascii(exif_entry(ed.get(), EXIF_IFD_0, EXIF_TAG_DATE_TIME))) {
      auto zone = utc_offset(exif_ascii(exif_entry(ed.get(), EXIF_IFD_EXIF, EXIF_TAG_OFFSET_TIME)));
      info.taken_at = exif_time(*plain, zone.value_or(default_offset_minutes));
    }

  auto lat = gps_degrees(ed.get(), EXIF_TAG_GPS_LATITUDE, EXIF_TAG_GPS_LATITUDE_REF, 'S', 90);
  auto lon = gps_degrees(ed.get(), EXIF_TAG_GPS_LONGITUDE, EXIF_TAG_GPS_LONGITUDE_REF, 'W', 180);
  if (lat && lon) info.lat = lat, info.lon = lon;
  return info;
}

void take_exif(Processed& p, const ExifInfo& e) {
  p.taken_at = e.taken_at;
  p.lat = e.lat;
  p.lon = e.lon;
}

// ---- JPEG --------------------------------------------------------------------------------

Processed process_jpeg(std::string_view bytes, const Limits& limits, int offset) {
  Processed p{MediaType::jpeg, MediaType::jpeg, {}, {}, 0, 0, {}, {}, {}};
  JpegWalk walk;
  walk_jpeg(bytes, walk);
  const ExifInfo exif = read_exif(walk.exif, offset);
  take_exif(p, exif);
  const int side = std::max(limits.thumbnail_side, 1);
  if (exif.orientation == 1) {
    JpegPixels px = decode_jpeg(bytes, limits, side);
    p.width = px.width;
    p.height = px.height;
    p.stored = std::move(walk.stripped);
    p.thumbnail = encode_jpeg(shrink(px.image, side), thumbnail_quality);
    return p;
  }
  // The orientation tag goes with the metadata, so the pixels themselves are turned.
  JpegPixels px = decode_jpeg(bytes, limits, 0);
  Image upright = orient(px.image, exif.orientation);
  px.image = Image{};
  p.width = upright.width;
  p.height = upright.height;
  p.stored = encode_jpeg(upright, stored_quality, px.icc);
  p.thumbnail = encode_jpeg(shrink(upright, side), thumbnail_quality);
  return p;
}

// ---- PNG ---------------------------------------------------------------------------------

struct PngWalk {
  std::string stripped;
  std::string_view exif;  // the eXIf chunk's data
  bool had_metadata = false;
};

// Critical chunks and the ancillary ones about how to show the pixels stay; text, time, EXIF
// and anything unknown go.
bool png_chunk_kept(std::string_view type) {
  if (!(type[0] & 0x20)) return true;  // critical
  static constexpr std::array<std::string_view, 8> kept{"tRNS", "gAMA", "cHRM", "sRGB",
                                                        "iCCP", "pHYs", "bKGD", "sBIT"};
  return std::find(kept.begin(), kept.end(), type) != kept.end();
}

// Checks the image size in IHDR against `limits` (when given) before anything is decoded.
void walk_png(std::string_view b, PngWalk& out, const Limits* limits) {
  const unsigned char* p = bytes_of(b);
  const size_t n = b.size();
  size_t i = 8;
  out.stripped.assign(b.substr(0, 8));
  for (bool first = true;; first = false) {
    if (n - i < 12) invalid("not a valid PNG: the file ends before its IEND chunk");
    const size_t len = be32(p + i);
    if (len > 0x7FFFFFFF || len > n - i - 12)
      invalid("not a valid PNG: a chunk runs past the end of the file");
    const std::string_view type = b.substr(i + 4, 4), data = b.substr(i + 8, len);
    for (char c : type)
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        invalid("not a valid PNG: a malformed chunk type");
    if (first) {
      if (type != "IHDR" || len != 13) invalid("not a valid PNG: it does not start with IHDR");
      if (limits) check_size(be32(p + i + 8), be32(p + i + 12), *limits, "PNG");
    }
    if (png_chunk_kept(type)) {
      out.stripped.append(b.substr(i, 12 + len));
    } else {
      out.had_metadata = true;
      if (type == "eXIf" && out.exif.empty()) out.exif = data;
    }
    i += 12 + len;
    if (type == "IEND") return;
  }
}

[[noreturn]] void png_fail(png_structp, png_const_charp message) {
  throw Error(ErrorKind::invalid_input, std::string("not a valid PNG: ") + message);
}
void png_quiet(png_structp, png_const_charp) {}

struct PngSource {
  std::string_view data;
  size_t at = 0;
};

void png_source_read(png_structp png, png_bytep out, size_t size) {
  auto* s = static_cast<PngSource*>(png_get_io_ptr(png));
  if (size > s->data.size() - s->at) png_error(png, "the file ends too early");
  std::memcpy(out, s->data.data() + s->at, size);
  s->at += size;
}

struct PngDecoder {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngDecoder() {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_quiet);
    if (!png) throw Error(ErrorKind::internal, "libpng could not start");
    info = png_create_info_struct(png);
    if (!info) {
      png_destroy_read_struct(&png, nullptr, nullptr);
      throw Error(ErrorKind::internal, "libpng could not start");
    }
  }
  ~PngDecoder() { png_destroy_read_struct(&png, &info, nullptr); }
  PngDecoder(const PngDecoder&) = delete;
  PngDecoder& operator=(const PngDecoder&) = delete;
};

// Decodes every row (validating the whole file) into a thumbnail; `width`/`height` get the
// full size.
Image decode_png(std::string_view bytes, const Limits& limits, int& width, int& height) {
  PngDecoder d;
  PngSource source{bytes};
  png_set_read_fn(d.png, &source, png_source_read);
  png_read_info(d.png, d.info);
  const png_uint_32 w = png_get_image_width(d.png, d.info), h = png_get_image_height(d.png, d.info);
  check_size(w, h, limits, "PNG");
  width = static_cast<int>(w);
  height = static_cast<int>(h);
  png_set_expand(d.png);
  png_set_strip_16(d.png);
  png_set_gray_to_rgb(d.png);
  png_set_add_alpha(d.png, 0xFF, PNG_FILLER_AFTER);
  const int passes = png_set_interlace_handling(d.png);
  png_read_update_info(d.png, d.info);
  if (png_get_rowbytes(d.png, d.info) != size_t(w) * 4)
    throw Error(ErrorKind::internal, "libpng did not give RGBA rows");
  auto [tw, th] = fit(width, height, limits.thumbnail_side);
  Shrinker shrinker(width, height, tw, th);
  std::vector<unsigned char> rgb(size_t(w) * 3);
  if (passes == 1) {
    std::vector<unsigned char> row(size_t(w) * 4);
    for (png_uint_32 y = 0; y < h; ++y) {
      png_read_row(d.png, row.data(), nullptr);
      flatten(row.data(), width, rgb.data());
      shrinker.add_row(rgb.data());
    }
  } else {  // Adam7: each pass fills in rows of the whole image
    std::vector<unsigned char> all(size_t(w) * size_t(h) * 4);
    for (int pass = 0; pass < passes; ++pass)
      for (png_uint_32 y = 0; y < h; ++y) png_read_row(d.png, &all[size_t(y) * w * 4], nullptr);
    for (png_uint_32 y = 0; y < h; ++y) {
      flatten(&all[size_t(y) * w * 4], width, rgb.data());
      shrinker.add_row(rgb.data());
    }
  }
  png_read_end(d.png, nullptr);
  return shrinker.finish();
}

Processed process_png(std::string_view bytes, const Limits& limits, int offset) {
  Processed p{MediaType::png, MediaType::png, {}, {}, 0, 0, {}, {}, {}};
  PngWalk walk;
  walk_png(bytes, walk, &limits);
  Image thumb = decode_png(bytes, limits, p.width, p.height);
  take_exif(p, read_exif(walk.exif, offset));
  p.stored = std::move(walk.stripped);
  p.thumbnail = encode_jpeg(thumb, thumbnail_quality);
  return p;
}

// ---- WebP --------------------------------------------------------------------------------

struct WebpWalk {
  std::string stripped;
  std::string_view exif;  // the EXIF chunk's data
  bool had_metadata = false;
};

// The chunks that make up the picture stay; EXIF, XMP and anything unknown go, and VP8X no
// longer announces them.
void walk_webp(std::string_view b, WebpWalk& out) {
  const unsigned char* p = bytes_of(b);
  if (b.size() < 12) invalid("not a valid WebP: the file is truncated");
  const size_t riff = le32(p + 4);
  if (riff < 4 || riff > b.size() - 8) invalid("not a valid WebP: the file is truncated");
  const size_t end = 8 + riff;
  out.stripped.assign(b.substr(0, 12));
  size_t vp8x = std::string::npos;
  for (size_t i = 12; i < end;) {
    if (end - i < 8) invalid("not a valid WebP: a chunk header is truncated");
    const std::string_view fourcc = b.substr(i, 4);
    const size_t size = le32(p + i + 4);
    if (size > end - i - 8) invalid("not a valid WebP: a chunk runs past the end of the file");
    const size_t total = 8 + std::min(size + (size & 1), end - i - 8);
    static constexpr std::array<std::string_view, 7> kept{"VP8X", "VP8 ", "VP8L", "ALPH",
                                                          "ANIM", "ANMF", "ICCP"};
    if (std::find(kept.begin(), kept.end(), fourcc) != kept.end()) {
      if (fourcc == "VP8X" && vp8x == std::string::npos && size >= 1) vp8x = out.stripped.size();
      out.stripped.append(b.substr(i, total));
    } else {
      out.had_metadata = true;
      if (fourcc == "EXIF" && out.exif.empty()) out.exif = b.substr(i + 8, size);
    }
    i += total;
  }
  if (vp8x != std::string::npos) {
    char& flags = out.stripped[vp8x + 8];
    const char metadata_flags = static_cast<char>(EXIF_FLAG | XMP_FLAG);
    if (flags & metadata_flags) out.had_metadata = true;
    flags = static_cast<char>(flags & ~metadata_flags);
  }
  if (out.stripped.size() & 1) out.stripped.push_back('\0');
  put_le32(out.stripped, 4, static_cast<uint32_t>(out.stripped.size() - 8));
}

std::string webp_status(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case VP8_STATUS_INVALID_PARAM:
      return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "unsupported feature";
    case VP8_STATUS_SUSPENDED:
      return "suspended";
    case VP8_STATUS_USER_ABORT:
      return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "the file is truncated";
    default:
      return "error " + std::to_string(int(s));
  }
}

struct WebpConfig {
  WebPDecoderConfig config;
  WebpConfig() {
    if (!WebPInitDecoderConfig(&config))
      throw Error(ErrorKind::internal, "libwebp version mismatch");
  }
  ~WebpConfig() { WebPFreeDecBuffer(&config.output); }
  WebpConfig(const WebpConfig&) = delete;
  WebpConfig& operator=(const WebpConfig&) = delete;
};

Processed process_webp(std::string_view bytes, const Limits& limits, int offset) {
  Processed p{MediaType::webp, MediaType::webp, {}, {}, 0, 0, {}, {}, {}};
  WebpWalk walk;
  walk_webp(bytes, walk);
  WebpConfig c;
  VP8StatusCode status = WebPGetFeatures(bytes_of(bytes), bytes.size(), &c.config.input);
  if (status != VP8_STATUS_OK) invalid("not a valid WebP: " + webp_status(status));
  if (c.config.input.has_animation)
    throw Error(ErrorKind::unsupported_media_type, "animated WebP is not accepted");
  check_size(c.config.input.width, c.config.input.height, limits, "WebP");
  p.width = c.config.input.width;
  p.height = c.config.input.height;
  // Decoding straight to the thumbnail's size still decodes (so validates) everything.
  auto [tw, th] = fit(p.width, p.height, limits.thumbnail_side);
  c.config.options.use_scaling = tw != p.width || th != p.height;
  c.config.options.scaled_width = tw;
  c.config.options.scaled_height = th;
  c.config.output.colorspace = MODE_RGBA;
  status = WebPDecode(bytes_of(bytes), bytes.size(), &c.config);
  if (status != VP8_STATUS_OK) invalid("not a valid WebP: " + webp_status(status));
  const WebPRGBABuffer& out = c.config.output.u.RGBA;
  const int ow = c.config.output.width, oh = c.config.output.height;
  if (!out.rgba || ow <= 0 || oh <= 0) invalid("not a valid WebP: no pixels");
  Image thumb{ow, oh, std::vector<unsigned char>(size_t(ow) * size_t(oh) * 3)};
  for (int y = 0; y < oh; ++y)
    flatten(out.rgba + size_t(y) * size_t(out.stride), ow, &thumb.rgb[size_t(y) * ow * 3]);
  take_exif(p, read_exif(walk.exif, offset));
  p.stored = std::move(walk.stripped);
  p.thumbnail = encode_jpeg(thumb, thumbnail_quality);
  return p;
}

// ---- HEIC --------------------------------------------------------------------------------

struct HeifContextFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HeifHandleFree {
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct HeifImageFree {
  void operator()(heif_image* i) const { heif_image_release(i); }
};

void heif_check(const heif_error& e) {
  if (e.code != heif_error_Ok)
    invalid(std::string("not a valid HEIC: ") + (e.message ? e.message : "decoding failed"));
}

// The Exif item: a 4-byte offset to the TIFF header (from after the offset), then the block.
std::string heic_exif(heif_image_handle* h) {
  if (heif_image_handle_get_number_of_metadata_blocks(h, "Exif") < 1) return {};
  heif_item_id id = 0;
  if (heif_image_handle_get_list_of_metadata_block_IDs(h, "Exif", &id, 1) != 1) return {};
  std::string blob(heif_image_handle_get_metadata_size(h, id), '\0');
  if (blob.size() < 4 || heif_image_handle_get_metadata(h, id, blob.data()).code != heif_error_Ok)
    return {};
  const size_t skip = be32(bytes_of(blob));
  if (skip > blob.size() - 4) return {};
  return blob.substr(4 + skip);
}

std::string heic_icc(heif_image_handle* h) {
  const heif_color_profile_type type = heif_image_handle_get_color_profile_type(h);
  if (type != heif_color_profile_type_prof && type != heif_color_profile_type_rICC) return {};
  std::string icc(heif_image_handle_get_raw_color_profile_size(h), '\0');
  if (icc.empty() || heif_image_handle_get_raw_color_profile(h, icc.data()).code != heif_error_Ok)
    return {};
  return icc;
}

Processed process_heic(std::string_view bytes, const Limits& limits, int offset) {
  Processed p{MediaType::heic, MediaType::jpeg, {}, {}, 0, 0, {}, {}, {}};
  std::unique_ptr<heif_context, HeifContextFree> context(heif_context_alloc());
  if (!context) throw Error(ErrorKind::internal, "libheif could not start");
  heif_check(heif_context_read_from_memory_without_copy(context.get(), bytes.data(), bytes.size(),
                                                        nullptr));
  heif_image_handle* raw_handle = nullptr;
  heif_check(heif_context_get_primary_image_handle(context.get(), &raw_handle));
  std::unique_ptr<heif_image_handle, HeifHandleFree> handle(raw_handle);
  check_size(heif_image_handle_get_width(raw_handle), heif_image_handle_get_height(raw_handle),
             limits, "HEIC");
  // libheif applies the file's rotation and mirroring; EXIF orientation does not apply to HEIF.
  take_exif(p, read_exif(heic_exif(raw_handle), offset));
  heif_image* raw_image = nullptr;
  heif_check(heif_decode_image(raw_handle, &raw_image, heif_colorspace_RGB,
                               heif_chroma_interleaved_RGB, nullptr));
  std::unique_ptr<heif_image, HeifImageFree> image(raw_image);
  int stride = 0;
  const uint8_t* plane =
      heif_image_get_plane_readonly(raw_image, heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(raw_image, heif_channel_interleaved);
  const int h = heif_image_get_height(raw_image, heif_channel_interleaved);
  if (!plane || stride < w * 3) invalid("not a valid HEIC: no pixels");
  check_size(w, h, limits, "HEIC");
  Image full{w, h, std::vector<unsigned char>(size_t(w) * size_t(h) * 3)};
  for (int y = 0; y < h; ++y)
    std::memcpy(&full.rgb[size_t(y) * w * 3], plane + size_t(y) * size_t(stride), size_t(w) * 3);
  image.reset();
  p.width = w;
  p.height = h;
  p.stored = encode_jpeg(full, stored_quality, heic_icc(raw_handle));
  p.thumbnail = encode_jpeg(shrink(full, limits.thumbnail_side), thumbnail_quality);
  return p;
}

// ---- PDF ---------------------------------------------------------------------------------

Processed process_pdf(std::string_view bytes) {
  const std::string_view tail = bytes.substr(bytes.size() - std::min<size_t>(bytes.size(), 1024));
  if (tail.find("%%EOF") == std::string_view::npos)
    invalid("not a valid PDF: no %%EOF trailer at its end (truncated?)");
  return Processed{
      MediaType::pdf, MediaType::pdf, std::string(bytes), std::nullopt, 0, 0, {}, {}, {}};
}

}  // namespace

std::optional<MediaType> sniff(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF"sv)) return MediaType::jpeg;
  if (b.starts_with("\x89PNG\r\n\x1A\n"sv)) return MediaType::png;
  if (b.size() >= 12 && b.starts_with("RIFF"sv) && b.substr(8, 4) == "WEBP") return MediaType::webp;
  if (b.starts_with("%PDF-"sv)) return MediaType::pdf;
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    static constexpr std::array<std::string_view, 6> brands{"heic", "heix", "hevc",
                                                            "heim", "heis", "mif1"};
    if (std::find(brands.begin(), brands.end(), b.substr(8, 4)) != brands.end())
      return MediaType::heic;
  }
  return std::nullopt;
}

std::string_view mime_of(MediaType t) noexcept {
  switch (t) {
    case MediaType::jpeg:
      return "image/jpeg";
    case MediaType::png:
      return "image/png";
    case MediaType::webp:
      return "image/webp";
    case MediaType::heic:
      return "image/heic";
    case MediaType::pdf:
      return "application/pdf";
  }
  return "application/octet-stream";
}

std::string_view extension_of(MediaType t) noexcept {
  switch (t) {
    case MediaType::jpeg:
      return "jpg";
    case MediaType::png:
      return "png";
    case MediaType::webp:
      return "webp";
    case MediaType::heic:
      return "heic";
    case MediaType::pdf:
      return "pdf";
  }
  return "bin";
}

Processed process(std::string_view bytes, const Limits& limits, int default_utc_offset_minutes) {
  if (bytes.empty()) invalid("the file is empty");
  const auto type = sniff(bytes);
  if (!type)
    throw Error(ErrorKind::unsupported_media_type,
                "not a JPEG, PNG, WebP, HEIC or PDF file (judged by its content)");
  switch (*type) {
    case MediaType::jpeg:
      return process_jpeg(bytes, limits, default_utc_offset_minutes);
    case MediaType::png:
      return process_png(bytes, limits, default_utc_offset_minutes);
    case MediaType::webp:
      return process_webp(bytes, limits, default_utc_offset_minutes);
    case MediaType::heic:
      return process_heic(bytes, limits, default_utc_offset_minutes);
    case MediaType::pdf:
      return process_pdf(bytes);
  }
  throw Error(ErrorKind::internal, "unhandled media type");
}

bool has_metadata(std::string_view bytes) {
  const auto type = sniff(bytes);
  if (!type) return false;
  JpegWalk jpeg;
  PngWalk png;
  WebpWalk webp;
  try {
    if (*type == MediaType::jpeg) walk_jpeg(bytes, jpeg);
    if (*type == MediaType::png) walk_png(bytes, png, nullptr);
    if (*type == MediaType::webp) walk_webp(bytes, webp);
  } catch (const Error&) {  // damaged: report what was found before the damage
  }
  return jpeg.had_metadata || png.had_metadata || webp.had_metadata;
}

}  // namespace gridmap::data::media
