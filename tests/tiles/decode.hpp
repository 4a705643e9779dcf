// Decoding tiles with an independent decoder, GDAL's MVT driver, for the tiles tests.
#pragma once

#include <gdal.h>
#include <ogr_api.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "geo/geos.hpp"

namespace gridmap::test {

struct DecodedFeature {
  int64_t id = -1;                           // the MVT feature id (GDAL's mvt_id), -1 when none
  std::map<std::string, std::string> attrs;  // as text
  std::map<std::string, OGRFieldType> types;
  geos::GeomPtr geom;  // tile coordinates as GDAL reports them for a lone tile
};
using DecodedTile = std::map<std::string, std::vector<DecodedFeature>>;  // by layer

// Every layer and feature of the tile, geometries unclipped (CLIP=NO keeps the buffer).
inline DecodedTile decode_with_gdal(const std::string& mvt) {
  DecodedTile out;
  if (mvt.empty()) return out;
  static int counter = 0;
  std::string path = "/vsimem/decode_" + std::to_string(++counter) + ".mvt";
  VSILFILE* f = VSIFileFromMemBuffer(
      path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(mvt.data())), mvt.size(), FALSE);
  VSIFCloseL(f);
  GDALAllRegister();
  const char* drivers[] = {"MVT", nullptr};
  const char* options[] = {"CLIP=NO", nullptr};
  GDALDatasetH ds =
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, options, nullptr);
  if (!ds) {
    VSIUnlink(path.c_str());
    throw std::runtime_error("GDAL cannot open the tile");
  }
  for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
    OGRLayerH layer = GDALDatasetGetLayer(ds, i);
    auto& features = out[OGR_L_GetName(layer)];
    OGR_L_ResetReading(layer);
    while (OGRFeatureH feat = OGR_L_GetNextFeature(layer)) {
      DecodedFeature d;
      OGRFeatureDefnH defn = OGR_F_GetDefnRef(feat);
      for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k) {
        if (!OGR_F_IsFieldSetAndNotNull(feat, k)) continue;
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, k);
        std::string name = OGR_Fld_GetNameRef(fd);
        if (name == "mvt_id") {
          d.id = OGR_F_GetFieldAsInteger64(feat, k);
          continue;
        }
        d.attrs[name] = OGR_F_GetFieldAsString(feat, k);
        d.types[name] = OGR_Fld_GetType(fd);
      }
      if (OGRGeometryH g = OGR_F_GetGeometryRef(feat)) {
        std::string wkb(static_cast<size_t>(OGR_G_WkbSize(g)), '\0');
        OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
        d.geom = geos::from_wkb(wkb);
      }
      features.push_back(std::move(d));
      OGR_F_Destroy(feat);
    }
  }
  GDALClose(ds);
  VSIUnlink(path.c_str());
  return out;
}

// The features of one layer of the tile (none when the layer is absent).
inline std::vector<DecodedFeature> decode_layer(const std::string& mvt, const std::string& layer) {
  DecodedTile d = decode_with_gdal(mvt);
  return std::move(d[layer]);
}

}  // namespace gridmap::test
