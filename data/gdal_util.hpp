// The GDAL/OGR edge of gridmap: opening and creating files with an allow-list of drivers,
// turning GDAL's messages into gridmap::Error, moving geometries between OGR and GEOS and
// reading field values the way a user typed them. Only import.cpp and export.cpp include it
// (built into the GDAL module, see gdal_module.hpp).
#pragma once

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/crs.hpp"
#include "geo/geos.hpp"

namespace gridmap::data::gdal {

// Records GDAL's messages for as long as it lives instead of printing them to stderr.
class ErrorCapture {
 public:
  ErrorCapture();
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;
  // The last failure, else the last warning, on one line; empty when GDAL said nothing.
  std::string message() const;
  bool has_failure() const noexcept { return !failure_.empty(); }
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  static void CPL_STDCALL on_message(CPLErr type, CPLErrorNum num, const char* msg);
  std::string failure_;
  std::vector<std::string> warnings_;
  CPLErrorHandlerPusher pusher_;
};

// GDAL's drivers, registered once per process.
void register_drivers();

// Throws invalid_input "what: <GDAL's message>".
[[noreturn]] void fail(const std::string& what, const ErrorCapture& errors);

// A dataset opened for reading with the thread-local configuration it needs while read.
class Source {
 public:
  // Any of GeoJSON, Shapefile, GeoPackage, KML, CSV, XLSX. `encoding` is the Shapefile
  // ENCODING open option. Throws invalid_input "cannot open FILE: ..." on failure.
  Source(const std::string& path, const std::optional<std::string>& encoding);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const std::string& driver() const noexcept { return driver_; }
  // The layer named `name`, else the first one; throws invalid_input when there is none.
  OGRLayer& layer(const std::optional<std::string>& name);

 private:
  void restore_config();
  std::string path_, driver_;
  std::optional<std::string> xlsx_headers_;  // previous OGR_XLSX_HEADERS of this thread
  GDALDatasetUniquePtr ds_;
};

// Creates an empty dataset (the driver is one of GeoJSON, GPKG, "ESRI Shapefile").
GDALDatasetUniquePtr create_dataset(const std::string& driver, const std::string& path);

std::vector<std::string> field_names(OGRFeatureDefn& defn);
// Index of `name` (exact, then case-insensitive), or -1.
int find_field(OGRFeatureDefn& defn, const std::string& name);

// A field as text the way a user would type it: integral numbers without ".0", null when
// unset, null or blank.
std::optional<std::string> field_text(const OGRFeature& f, int idx);
// A field as a number; nullopt when unset or blank; throws invalid_input when not a number.
std::optional<double> field_number(const OGRFeature& f, int idx);
// A date/time field as epoch seconds (no zone = UTC+8, as data/time.hpp); nullopt when unset.
// Text fields go through data::parse_time; throws invalid_input when not a time.
std::optional<int64_t> field_time(const OGRFeature& f, int idx);

// Throws invalid_input when iconv does not know the encoding.
void check_encoding(const std::string& encoding);
std::string recode_to_utf8(const std::string& text, const std::string& encoding);
bool is_utf8(const std::string& text);

// A 2D copy with curves linearised, to inspect or fix before conversion.
OGRGeometryUniquePtr linear_2d(const OGRGeometry& g);
// 2D GEOS copy of an OGR geometry; curves are linearised.
geos::GeomPtr to_geos(const OGRGeometry& g);
OGRGeometryUniquePtr to_ogr(const GEOSGeometry* g);

// The gridmap CRS of a spatial reference (EPSG:4326/4490 are WGS84), nullopt when it cannot
// be identified as an EPSG code.
std::optional<crs::Crs> identify(const OGRSpatialReference& srs);

}  // namespace gridmap::data::gdal
