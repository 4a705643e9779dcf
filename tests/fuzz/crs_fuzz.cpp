// China's offset systems and CRS names: WGS84 -> GCJ-02 -> WGS84 and GCJ-02 -> BD-09 ->
// GCJ-02 come back within a millimetre inside China (away from the edge of its box, where
// the published algorithm switches off), as do the PROJ legs; any double, NaN and infinity
// included, goes through every function without undefined behaviour; a CRS name parsed
// and printed parses to the same CRS.
#include <cmath>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "fuzz/fuzz.hpp"
#include "geo/crs.hpp"

using namespace gridmap;

namespace {

constexpr double kMillimetre = 1e-8;  // degrees, generously: 1e-8° is 1.1 mm of latitude

double gap(LonLat a, LonLat b) { return std::max(std::fabs(a.lon - b.lon), std::fabs(a.lat - b.lat)); }

std::string show(LonLat p) { return std::to_string(p.lon) + ", " + std::to_string(p.lat); }

const crs::Transformer& transformer(crs::Crs from, crs::Crs to) {
  static std::map<std::pair<std::string, std::string>, std::unique_ptr<crs::Transformer>> cache;
  auto& t = cache[{from.name(), to.name()}];
  if (!t) t = std::make_unique<crs::Transformer>(from, to);
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);

  // Any coordinates through the offset functions: no undefined behaviour, whatever comes out.
  LonLat any{in.any_real(), in.any_real()};
  crs::wgs84_to_gcj02(any);
  crs::gcj02_to_wgs84(any);
  crs::gcj02_to_bd09(any);
  crs::bd09_to_gcj02(any);

  // Inside China's box, 0.1° in from its edges.
  LonLat p{in.real_in(72.2, 137.6), in.real_in(1.0, 55.6)};
  LonLat g = crs::wgs84_to_gcj02(p);
  FUZZ_CHECK(gap(crs::gcj02_to_wgs84(g), p) < kMillimetre, "WGS84 " + show(p));
  LonLat b = crs::gcj02_to_bd09(p);
  FUZZ_CHECK(gap(crs::bd09_to_gcj02(b), p) < kMillimetre, "GCJ-02 " + show(p));
  crs::Crs wgs84, bd09{crs::Kind::bd09, 0}, mercator{crs::Kind::epsg, 3857},
      utm50{crs::Kind::epsg, 32650};
  FUZZ_CHECK(gap(transformer(bd09, wgs84)(transformer(wgs84, bd09)(p)), p) < kMillimetre,
             "WGS84 -> BD-09 -> WGS84 " + show(p));
  FUZZ_CHECK(gap(transformer(mercator, wgs84)(transformer(wgs84, mercator)(p)), p) < kMillimetre,
             "WGS84 -> EPSG:3857 -> WGS84 " + show(p));
  // A projected CRS far from its zone may refuse, never crash.
  for (LonLat q : {p, any}) {
    try {
      transformer(wgs84, utm50)(q);
      transformer(utm50, wgs84)(q);
    } catch (const Error& e) {
      FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
    }
  }

  std::string text = in.text(32);
  try {
    crs::Crs c = crs::parse(text);
    FUZZ_CHECK(crs::parse(c.name()) == c, "'" + text + "' -> " + c.name());
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
  }
  return 0;
}
