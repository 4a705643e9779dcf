#include "geo/crs.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>

#include "core/text.hpp"
#include "geo/error.hpp"
#include "geo/proj_lib.hpp"

namespace gridmap::crs {
namespace {

// GCJ-02 constants: Krasovsky 1940 ellipsoid, as used by the published algorithm.
constexpr double kA = 6378245.0;
constexpr double kEE = 0.00669342162296594323;
constexpr double kPi = std::numbers::pi;
constexpr double kXPi = kPi * 3000.0 / 180.0;

double offset_lat(double x, double y) {
  double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  r += (160.0 * std::sin(y / 12.0 * kPi) + 320 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return r;
}

double offset_lon(double x, double y) {
  double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return r;
}

}  // namespace

std::string Crs::name() const {
  switch (kind) {
    case Kind::wgs84:
      return "wgs84";
    case Kind::gcj02:
      return "gcj02";
    case Kind::bd09:
      return "bd09";
    case Kind::epsg:
      return "EPSG:" + std::to_string(epsg);
  }
  return "wgs84";
}

Crs parse(std::string_view text) {
  std::string s = ascii_lower(text);
  if (s == "wgs84" || s == "cgcs2000") return {Kind::wgs84, 4326};
  if (s == "gcj02" || s == "gcj-02") return {Kind::gcj02, 0};
  if (s == "bd09" || s == "bd-09") return {Kind::bd09, 0};
  if (s.rfind("epsg:", 0) == 0) {
    int code = 0;
    const char* b = s.data() + 5;
    const char* e = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(b, e, code);
    if (ec == std::errc() && ptr == e && b != e && code > 0) {
      if (code == 4326 || code == 4490) return {Kind::wgs84, 4326};
      return {Kind::epsg, code};
    }
  }
  throw_invalid("unknown CRS '" + std::string(text) +
                "' (use EPSG:N, wgs84, cgcs2000, gcj02 or bd09)");
}

bool outside_china(LonLat p) noexcept {
  return p.lon < 72.004 || p.lon > 137.8347 || p.lat < 0.8293 || p.lat > 55.8271;
}

LonLat wgs84_to_gcj02(LonLat p) noexcept {
  if (outside_china(p)) return p;
  double dlat = offset_lat(p.lon - 105.0, p.lat - 35.0);
  double dlon = offset_lon(p.lon - 105.0, p.lat - 35.0);
  double radlat = p.lat / 180.0 * kPi;
  double magic = std::sin(radlat);
  magic = 1 - kEE * magic * magic;
  double sqrtmagic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kA * (1 - kEE)) / (magic * sqrtmagic) * kPi);
  dlon = (dlon * 180.0) / (kA / sqrtmagic * std::cos(radlat) * kPi);
  return {p.lon + dlon, p.lat + dlat};
}

LonLat gcj02_to_wgs84(LonLat p) noexcept {
  if (outside_china(p)) return p;
  // Fixed-point iteration on the forward map; the offset varies slowly (a few hundred metres
  // over hundreds of kilometres), so each step gains about three orders of magnitude.
  LonLat w = p;
  for (int i = 0; i < 30; ++i) {
    LonLat g = wgs84_to_gcj02(w);
    double dlon = g.lon - p.lon, dlat = g.lat - p.lat;
    w.lon -= dlon;
    w.lat -= dlat;
    if (std::fabs(dlon) < 1e-12 && std::fabs(dlat) < 1e-12) break;
  }
  return w;
}

LonLat gcj02_to_bd09(LonLat p) noexcept {
  double z = std::sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * std::sin(p.lat * kXPi);
  double theta = std::atan2(p.lat, p.lon) + 0.000003 * std::cos(p.lon * kXPi);
  return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

LonLat bd09_to_gcj02(LonLat p) noexcept {
  // The published closed form is off by about a decimetre; refine it on the forward map.
  double x = p.lon - 0.0065, y = p.lat - 0.006;
  double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * kXPi);
  double theta = std::atan2(y, x) - 0.000003 * std::cos(x * kXPi);
  LonLat g{z * std::cos(theta), z * std::sin(theta)};
  for (int i = 0; i < 10; ++i) {
    LonLat b = gcj02_to_bd09(g);
    double dlon = b.lon - p.lon, dlat = b.lat - p.lat;
    g.lon -= dlon;
    g.lat -= dlat;
    if (std::fabs(dlon) < 1e-12 && std::fabs(dlat) < 1e-12) break;
  }
  return g;
}

// PROJ objects for EPSG legs: source -> WGS84 and WGS84 -> target, lon/lat order.
struct Transformer::Proj {
  const proj_lib::Api& api = proj_lib::api();
  PJ_CONTEXT* ctx = api.context_create();
  PJ* to_wgs84 = nullptr;
  PJ* from_wgs84 = nullptr;

  Proj() { api.log_level(ctx, PJ_LOG_NONE); }
  ~Proj() {
    if (to_wgs84) api.destroy(to_wgs84);
    if (from_wgs84) api.destroy(from_wgs84);
    api.context_destroy(ctx);
  }
  Proj(const Proj&) = delete;
  Proj& operator=(const Proj&) = delete;

  PJ* make(int src, int dst) {
    std::string a = "EPSG:" + std::to_string(src), b = "EPSG:" + std::to_string(dst);
    PJ* raw = api.create_crs_to_crs(ctx, a.c_str(), b.c_str(), nullptr);
    if (!raw) {
      int unknown = src == 4326 ? dst : src;
      throw_invalid("unknown CRS 'EPSG:" + std::to_string(unknown) + "' (PROJ does not know it)");
    }
    PJ* norm = api.normalize_for_visualization(ctx, raw);
    api.destroy(raw);
    if (!norm) throw_invalid("cannot normalise the axis order of EPSG:" + std::to_string(src));
    return norm;
  }
};

Transformer::Transformer(Crs from, Crs to) : from_(from), to_(to) {
  if (from_.kind == Kind::epsg || to_.kind == Kind::epsg) {
    proj_ = std::make_unique<Proj>();
    if (from_.kind == Kind::epsg) proj_->to_wgs84 = proj_->make(from_.epsg, 4326);
    if (to_.kind == Kind::epsg) proj_->from_wgs84 = proj_->make(4326, to_.epsg);
  }
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

bool Transformer::is_identity() const noexcept {
  return from_ == to_;
}

namespace {
LonLat run(PJ* pj, LonLat p, PJ_DIRECTION dir) {
  const proj_lib::Api& api = proj_lib::api();
  PJ_COORD c = api.coord(p.lon, p.lat, 0, 0);
  PJ_COORD r = api.trans(pj, dir, c);
  if (!std::isfinite(r.xy.x) || !std::isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
    throw_invalid("coordinate (" + std::to_string(p.lon) + ", " + std::to_string(p.lat) +
                  ") is outside the domain of the CRS");
  return {r.xy.x, r.xy.y};
}
}  // namespace

LonLat Transformer::operator()(LonLat p) const {
  if (!is_finite(p)) throw_invalid("coordinate is not a finite number");
  if (is_identity()) return p;
  LonLat w = p;
  switch (from_.kind) {
    case Kind::wgs84:
      break;
    case Kind::gcj02:
      w = gcj02_to_wgs84(p);
      break;
    case Kind::bd09:
      w = gcj02_to_wgs84(bd09_to_gcj02(p));
      break;
    case Kind::epsg:
      w = run(proj_->to_wgs84, p, PJ_FWD);
      break;
  }
  switch (to_.kind) {
    case Kind::wgs84:
      return w;
    case Kind::gcj02:
      return wgs84_to_gcj02(w);
    case Kind::bd09:
      return gcj02_to_bd09(wgs84_to_gcj02(w));
    case Kind::epsg:
      return run(proj_->from_wgs84, w, PJ_FWD);
  }
  return w;
}

}  // namespace gridmap::crs
