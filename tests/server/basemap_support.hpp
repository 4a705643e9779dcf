// What the base map tests (MBTiles and PMTiles) share: the tatabu demo with a dispatcher's
// token, and one-colour PNG tiles made by GDAL.
#pragma once

#include <catch2/catch.hpp>

#include <cpl_vsi.h>
#include <gdal.h>

#include <cstdint>
#include <map>
#include <string>

#include "support/test_support.hpp"

namespace gridmap::test {

struct BasemapFixture {
  TempDir dir;
  std::string db = dir.file("tatabu.sqlite");
  std::string token;
  BasemapFixture() {
    REQUIRE(run_gridmap({"demo", "--db", db, "--preset", "tatabu"}).exit_code == 0);
    token = make_user(db, "dispatcher", "dispatcher");
    set_default_headers({});
  }
  HttpResult get(const ServerProcess& s, const std::string& target,
                 std::map<std::string, std::string> headers = {}) const {
    headers["Authorization"] = "Bearer " + token;
    return http(s.port(), "GET", target, "", headers);
  }
  // The grids' tiles of zooms 10 to 13 into OUT (.mbtiles or .pmtiles).
  void export_tiles(const std::string& out) const {
    auto r = run_gridmap({"tiles", "export", "--layer", "grids", "--minzoom", "10", "--maxzoom",
                          "13", "--out", out, "--db", db});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
};

// A one-colour 256 x 256 PNG, written by GDAL into memory.
inline std::string png_tile(uint8_t red, uint8_t green, uint8_t blue) {
  GDALAllRegister();
  GDALDatasetH mem = GDALCreate(GDALGetDriverByName("MEM"), "", 256, 256, 3, GDT_Byte, nullptr);
  REQUIRE(mem);
  uint8_t rgb[] = {red, green, blue};
  for (int b = 0; b < 3; ++b)
    REQUIRE(GDALFillRaster(GDALGetRasterBand(mem, b + 1), rgb[b], 0) == CE_None);
  std::string path = "/vsimem/basemap_tile_" + std::to_string(red) + "_" + std::to_string(green) +
                     "_" + std::to_string(blue) + ".png";
  GDALDatasetH png = GDALCreateCopy(GDALGetDriverByName("PNG"), path.c_str(), mem, FALSE, nullptr,
                                    nullptr, nullptr);
  REQUIRE(png);
  GDALClose(png);
  GDALClose(mem);
  vsi_l_offset size = 0;
  GByte* bytes = VSIGetMemFileBuffer(path.c_str(), &size, TRUE);
  REQUIRE(bytes);
  std::string out(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
  VSIFree(bytes);
  VSIUnlink((path + ".aux.xml").c_str());
  return out;
}

}  // namespace gridmap::test
