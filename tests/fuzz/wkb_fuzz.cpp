// Stored geometries on the tile path: the WKB and SpatiaLite BLOB readers on any bytes
// (refusing with an internal error, never reading out of bounds), and on polygons written
// here in every byte order and dimension, which must come back bit for bit.
#include <bit>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "fuzz/fuzz.hpp"
#include "tiles/wkb.hpp"

using namespace gridmap;
using namespace gridmap::tiles;

namespace {

struct Writer {
  bool little;
  std::string out;
  void byte(uint8_t b) { out += static_cast<char>(b); }
  void u32(uint32_t v) {
    if (little != (std::endian::native == std::endian::little)) v = __builtin_bswap32(v);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  void f64(double d) {
    uint64_t v = std::bit_cast<uint64_t>(d);
    if (little != (std::endian::native == std::endian::little)) v = __builtin_bswap64(v);
    out.append(reinterpret_cast<const char*>(&v), 8);
  }
  void rings(const LonLatPolygon& p, int extra) {
    u32(static_cast<uint32_t>(p.rings.size()));
    for (auto& ring : p.rings) {
      u32(static_cast<uint32_t>(ring.size()));
      for (const LonLat& q : ring) {
        f64(q.lon);
        f64(q.lat);
        for (int i = 0; i < extra; ++i) f64(1.5);
      }
    }
  }
};

// How a geometry's dimensions are written in WKB: ISO type codes or EWKB flags.
struct Flavour {
  uint32_t iso_base;  // 0, 1000 (Z), 2000 (M), 3000 (ZM)
  uint32_t ewkb_flags;
  int extra;
  bool srid;
};
constexpr Flavour kFlavours[] = {{0, 0, 0, false},          {1000, 0, 1, false},
                                 {2000, 0, 1, false},       {3000, 0, 2, false},
                                 {0, 0x80000000u, 1, false}, {0, 0xC0000000u, 2, false},
                                 {0, 0, 0, true}};

std::string to_wkb(const std::vector<LonLatPolygon>& ps, bool little, const Flavour& f,
                   bool multi) {
  Writer w{little, {}};
  auto head = [&](uint32_t type, bool with_srid) {
    w.byte(little ? 1 : 0);
    w.u32((f.iso_base + type) | f.ewkb_flags | (with_srid ? 0x20000000u : 0));
    if (with_srid) w.u32(4326);
  };
  if (!multi) {
    head(3, f.srid);
    w.rings(ps[0], f.extra);
    return w.out;
  }
  head(6, f.srid);
  w.u32(static_cast<uint32_t>(ps.size()));
  for (auto& p : ps) {
    head(3, false);
    w.rings(p, f.extra);
  }
  return w.out;
}

std::string to_blob(const std::vector<LonLatPolygon>& ps, bool little, uint32_t base, bool multi) {
  int extra = base == 0 ? 0 : base == 3000 ? 2 : 1;
  Writer w{little, {}};
  w.byte(0);
  w.byte(little ? 1 : 0);
  w.u32(4326);
  for (int i = 0; i < 4; ++i) w.f64(0);  // the box: not read for polygons
  w.byte(0x7C);
  w.u32(base + (multi ? 6 : 3));
  if (!multi) {
    w.rings(ps[0], extra);
  } else {
    w.u32(static_cast<uint32_t>(ps.size()));
    for (auto& p : ps) {
      w.byte(0x69);
      w.u32(base + 3);
      w.rings(p, extra);
    }
  }
  w.byte(0xFE);
  return w.out;
}

bool same(const std::vector<LonLatPolygon>& a, const std::vector<LonLatPolygon>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].rings.size() != b[i].rings.size()) return false;
    for (size_t r = 0; r < a[i].rings.size(); ++r) {
      const auto &x = a[i].rings[r], &y = b[i].rings[r];
      if (x.size() != y.size() ||
          (!x.empty() && std::memcmp(x.data(), y.data(), x.size() * sizeof(LonLat))))
        return false;
    }
  }
  return true;
}

template <class F>
void expect_refusal_at_most(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::internal, e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  expect_refusal_at_most([&] { polygons_from_wkb(raw); });
  expect_refusal_at_most([&] { polygons_from_blob(raw); });
  expect_refusal_at_most([&] { point_from_blob(raw); });

  fuzz::Input in(data, size);
  bool little = in.flag(), multi = in.flag(), blob = in.flag();
  const Flavour& flavour = kFlavours[in.in_range(0, std::size(kFlavours) - 1)];
  std::vector<LonLatPolygon> ps(multi ? in.in_range(0, 4) : 1);
  for (auto& p : ps) {
    p.rings.resize(in.in_range(0, 3));
    for (auto& ring : p.rings) {
      ring.resize(in.in_range(0, 12));
      for (auto& q : ring) q = {in.any_real(), in.any_real()};
    }
  }
  std::vector<LonLatPolygon> back;
  if (blob) {
    uint32_t base = static_cast<uint32_t>(in.in_range(0, 3)) * 1000;
    auto got = polygons_from_blob(to_blob(ps, little, base, multi));
    FUZZ_CHECK(got.has_value(), "a SpatiaLite polygon BLOB was not read");
    back = std::move(*got);
  } else {
    back = polygons_from_wkb(to_wkb(ps, little, flavour, multi));
  }
  FUZZ_CHECK(same(ps, back), "polygons changed on the way through WKB");
  return 0;
}
