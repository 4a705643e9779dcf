#include "geo/crs.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"

using namespace gridmap;

TEST_CASE("WGS84 to GCJ-02 matches the published reference coordinates") {
  // Reference pair used across public GCJ-02 implementations (Beijing, Tiananmen area).
  LonLat g = crs::wgs84_to_gcj02({116.404, 39.915});
  CHECK(g.lon == Approx(116.41024449916938).margin(1e-11));
  CHECK(g.lat == Approx(39.91640428150164).margin(1e-11));
}

TEST_CASE("GCJ-02 and BD-09 convert both ways against the published reference") {
  LonLat b = crs::gcj02_to_bd09({116.404, 39.915});
  CHECK(b.lon == Approx(116.41036949371029).margin(1e-11));
  CHECK(b.lat == Approx(39.92133699351021).margin(1e-11));
  // The published inverse is a closed-form approximation (about 0.1 m off); ours refines
  // it, so it agrees to a few micro-degrees and round-trips exactly.
  LonLat g = crs::bd09_to_gcj02({116.404, 39.915});
  CHECK(g.lon == Approx(116.39762729119315).margin(3e-6));
  CHECK(g.lat == Approx(39.90865673957631).margin(3e-6));
  LonLat again = crs::gcj02_to_bd09(g);
  CHECK(again.lon == Approx(116.404).margin(1e-10));
  CHECK(again.lat == Approx(39.915).margin(1e-10));
}

TEST_CASE("the GCJ-02 inverse is accurate to well under half a metre across China") {
  std::mt19937_64 rng(20261125);
  std::uniform_real_distribution<double> lon(73.5, 135.0), lat(18.0, 53.5);
  double worst = 0;
  for (int i = 0; i < 20000; ++i) {
    LonLat w{lon(rng), lat(rng)};
    LonLat back = crs::gcj02_to_wgs84(crs::wgs84_to_gcj02(w));
    worst = std::max(worst, geodesic_distance_m(w, back));
  }
  INFO("worst round-trip error " << worst << " m");
  CHECK(worst < 0.01);
  // The offset itself is hundreds of metres, so the test would notice an identity inverse.
  CHECK(geodesic_distance_m({116.404, 39.915}, crs::wgs84_to_gcj02({116.404, 39.915})) > 100);
}

TEST_CASE("GCJ-02 leaves points outside China unchanged") {
  LonLat paris{2.3522, 48.8566};
  CHECK(crs::wgs84_to_gcj02(paris) == paris);
  CHECK(crs::gcj02_to_wgs84(paris) == paris);
}

TEST_CASE("BD-09 to WGS84 through the transformer round-trips within a centimetre") {
  crs::Transformer to_bd(crs::Crs{}, crs::parse("bd09"));
  crs::Transformer from_bd(crs::parse("bd09"), crs::Crs{});
  LonLat w{111.75, 40.84};
  LonLat back = from_bd(to_bd(w));
  CHECK(geodesic_distance_m(w, back) < 0.01);
}

TEST_CASE("EPSG codes go through PROJ with longitude first") {
  crs::Transformer to_merc(crs::Crs{}, crs::parse("EPSG:3857"));
  LonLat m = to_merc({116.404, 39.915});
  CHECK(m.lon == Approx(12958034.0).margin(5.0));
  CHECK(m.lat == Approx(4853597.0).margin(5.0));
  crs::Transformer back(crs::parse("epsg:3857"), crs::Crs{});
  LonLat w = back(m);
  CHECK(w.lon == Approx(116.404).margin(1e-9));
  CHECK(w.lat == Approx(39.915).margin(1e-9));
  // CGCS2000 zone (3-degree Gauss-Kruger, CM 117E), used for Chinese survey data.
  crs::Transformer gk(crs::parse("EPSG:4548"), crs::Crs{});
  LonLat p = gk({500000.0, 4420000.0});
  CHECK(p.lon == Approx(117.0).margin(1e-6));
}

TEST_CASE("CGCS2000 and EPSG:4326/4490 are WGS84") {
  CHECK(crs::parse("cgcs2000").kind == crs::Kind::wgs84);
  CHECK(crs::parse("EPSG:4490").kind == crs::Kind::wgs84);
  CHECK(crs::parse("EPSG:4326").kind == crs::Kind::wgs84);
}

TEST_CASE("unknown CRS names and codes are refused with a clear message") {
  CHECK_THROWS_WITH(crs::parse("mars"), Catch::Contains("unknown CRS 'mars'"));
  CHECK_THROWS_WITH(crs::parse("EPSG:"), Catch::Contains("unknown CRS"));
  CHECK_THROWS_WITH(crs::parse("EPSG:12x"), Catch::Contains("unknown CRS"));
  CHECK_THROWS_AS(crs::Transformer(crs::parse("EPSG:999999"), crs::Crs{}), Error);
}

TEST_CASE("a transformer refuses non-finite coordinates") {
  crs::Transformer t(crs::parse("gcj02"), crs::Crs{});
  CHECK_THROWS_AS(t({std::nan(""), 30}), Error);
}
