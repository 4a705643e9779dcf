#include "tiles/wkb.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#include "geo/error.hpp"
#include "geo/spatialite_blob.hpp"

namespace gridmap::tiles {
namespace {

inline uint32_t swap(uint32_t v) {
  return __builtin_bswap32(v);
}
inline uint64_t swap(uint64_t v) {
  return __builtin_bswap64(v);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  uint8_t byte() {
    need(1);
    return static_cast<uint8_t>(b_[pos_++]);
  }
  uint32_t u32(bool little) {
    need(4);
    uint32_t v;
    std::memcpy(&v, b_.data() + pos_, 4);
    pos_ += 4;
    return little == (std::endian::native == std::endian::little) ? v : swap(v);
  }
  double f64(bool little) {
    need(8);
    uint64_t v;
    std::memcpy(&v, b_.data() + pos_, 8);
    pos_ += 8;
    if (little != (std::endian::native == std::endian::little)) v = swap(v);
    return std::bit_cast<double>(v);
  }
  void skip(size_t n) {
    need(n);
    pos_ += n;
  }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  void need(size_t n) const {
    if (b_.size() - pos_ < n) throw_internal("truncated WKB geometry");
  }
  std::string_view b_;
  size_t pos_ = 0;
};

// The geometry type and how many ordinates follow x and y (ISO 1000s and EWKB flags).
struct Header {
  bool little;
  uint32_t type;
  int extra;
};

Header header(Reader& r) {
  bool little = r.byte() == 1;
  uint32_t t = r.u32(little);
  int extra = 0;
  if (t & 0x80000000u) ++extra;    // EWKB Z
  if (t & 0x40000000u) ++extra;    // EWKB M
  if (t & 0x20000000u) r.skip(4);  // EWKB SRID
  t &= 0x0fffffffu;
  if (t >= 3000)
    extra = 2;
  else if (t >= 1000)
    extra = 1;
  return {little, t % 1000, extra};
}

void read_polygon(Reader& r, const Header& h, std::vector<LonLatPolygon>& out) {
  uint32_t rings = r.u32(h.little);
  if (rings > r.remaining() / 4)
    throw_internal("truncated WKB polygon");  // 4 bytes a ring at least
  LonLatPolygon p;
  p.rings.resize(rings);
  for (auto& ring : p.rings) {
    uint32_t n = r.u32(h.little);
    if (n > r.remaining() / 16) throw_internal("truncated WKB ring");
    ring.resize(n);
    for (auto& pt : ring) {
      pt.lon = r.f64(h.little);
      pt.lat = r.f64(h.little);
      r.skip(8 * static_cast<size_t>(h.extra));
    }
  }
  out.push_back(std::move(p));
}

}  // namespace

bool is_little_endian_wkb(std::string_view blob) {
  // A SpatiaLite BLOB starts with 0x00; PostGIS writes (E)WKB little-endian, starting 0x01.
  return !blob.empty() && blob[0] == 1;
}

std::vector<LonLatPolygon> polygons_from_wkb(std::string_view wkb) {
  Reader r(wkb);
  Header h = header(r);
  std::vector<LonLatPolygon> out;
  if (h.type == 3) {
    read_polygon(r, h, out);
  } else if (h.type == 6) {
    uint32_t n = r.u32(h.little);
    for (uint32_t i = 0; i < n; ++i) {
      Header part = header(r);
      if (part.type != 3) throw_internal("a MultiPolygon part is not a Polygon");
      read_polygon(r, part, out);
    }
  } else {
    throw_internal("expected a Polygon or MultiPolygon, got WKB type " + std::to_string(h.type));
  }
  return out;
}

// SpatiaLite BLOB (geo/spatialite_blob.hpp): the header, the geometry, 0xFE; collection
// members start with 0x69 and their class.
std::optional<std::vector<LonLatPolygon>> polygons_from_blob(std::string_view blob) {
  if (is_little_endian_wkb(blob)) return polygons_from_wkb(blob);
  auto header = read_blob_header(blob);
  if (!header) return std::nullopt;
  bool little = header->little;
  uint32_t cls = header->geometry_class;
  if (cls >= 4000 || (cls % 1000 != 3 && cls % 1000 != 6)) return std::nullopt;
  int extra = cls >= 3000 ? 2 : cls >= 1000 ? 1 : 0;
  Reader r(blob.substr(kBlobHeaderBytes, blob.size() - kBlobHeaderBytes - 1));
  std::vector<LonLatPolygon> out;
  Header h{little, 3, extra};
  if (cls % 1000 == 3) {
    read_polygon(r, h, out);
    return out;
  }
  uint32_t n = r.u32(little);
  for (uint32_t i = 0; i < n; ++i) {
    if (r.byte() != 0x69 || r.u32(little) != cls - 3) return std::nullopt;
    read_polygon(r, h, out);
  }
  return out;
}

std::optional<LonLat> point_from_blob(std::string_view blob) {
  if (is_little_endian_wkb(blob)) {
    Reader r(blob);
    Header h = header(r);
    if (h.type != 1) return std::nullopt;
    double lon = r.f64(h.little);
    return LonLat{lon, r.f64(h.little)};
  }
  auto header = read_blob_header(blob);
  if (!header || header->geometry_class % 1000 != 1) return std::nullopt;
  return LonLat{header->box.min_lon, header->box.min_lat};
}

}  // namespace gridmap::tiles
