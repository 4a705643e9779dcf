#include "data/gdal_util.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <mutex>

#include "core/text.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data::gdal {

void register_drivers() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

namespace {

// Drivers gridmap reads; GDAL may know many more, but only these are accepted.
const char* const kReadDrivers[] = {"GeoJSON", "ESRI Shapefile", "GPKG", "LIBKML", "KML",
                                    "CSV",     "XLSX",           nullptr};

std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string trim(std::string s) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), blank));
  while (!s.empty() && blank(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// Shortest text that reads back as the same double; integral values without ".0".
std::string number_text(double v) {
  if (std::nearbyint(v) == v && std::fabs(v) < 9.0e15)
    return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

CPLStringList open_options(const std::string& driver, const std::optional<std::string>& encoding) {
  CPLStringList oo;
  if (driver == "ESRI Shapefile" && encoding) oo.SetNameValue("ENCODING", encoding->c_str());
  if (driver == "CSV") oo.SetNameValue("EMPTY_STRING_AS_NULL", "YES");
  if (driver == "GeoJSON") oo.SetNameValue("DATE_AS_STRING", "YES");
  return oo;
}

std::optional<int64_t> epoch_of(int y, int mo, int d, int h, int mi, float sec, int tz) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t offset = 8 * 3600;  // no zone, or "local": China Standard Time as in data/time.hpp
  if (tz >= 100) offset = (tz - 100) * 15 * 60;
  if (tz > 1 && tz < 100) offset = -(100 - tz) * 15 * 60;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400 + h * 3600 + mi * 60 + static_cast<int64_t>(std::lround(sec)) - offset;
}

}  // namespace

ErrorCapture::ErrorCapture() : pusher_(&ErrorCapture::on_message, this) {
  CPLErrorReset();
}

void CPL_STDCALL ErrorCapture::on_message(CPLErr type, CPLErrorNum, const char* msg) {
  auto* self = static_cast<ErrorCapture*>(CPLGetErrorHandlerUserData());
  if (!self || !msg) return;
  if (type == CE_Failure || type == CE_Fatal) self->failure_ = one_line(msg);
  if (type == CE_Warning && self->warnings_.size() < 100) self->warnings_.push_back(one_line(msg));
}

std::string ErrorCapture::message() const {
  if (!failure_.empty()) return failure_;
  return warnings_.empty() ? std::string() : warnings_.back();
}

void fail(const std::string& what, const ErrorCapture& errors) {
  std::string why = errors.message();
  throw_invalid(what + ": " + (why.empty() ? "GDAL gave no reason" : why));
}

Source::Source(const std::string& path, const std::optional<std::string>& encoding) : path_(path) {
  register_drivers();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw_invalid("cannot open " + path + ": no such file");
  ErrorCapture errors;
  GDALDriverH drv = GDALIdentifyDriverEx(path.c_str(), GDAL_OF_VECTOR, kReadDrivers, nullptr);
  if (!drv)
    throw_invalid("cannot open " + path +
                  ": not a GeoJSON, Shapefile, GeoPackage, KML, CSV or XLSX file");
  driver_ = GDALGetDriverShortName(drv);
  if (driver_ == "XLSX") {
    // Spreadsheets of text only would otherwise lose their header row.
    if (const char* old = CPLGetThreadLocalConfigOption("OGR_XLSX_HEADERS", nullptr))
      xlsx_headers_ = old;
    CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
  }
  const char* const only[] = {driver_.c_str(), nullptr};
  CPLStringList oo = open_options(driver_, encoding);
  unsigned flags = GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR;
  ds_.reset(GDALDataset::FromHandle(GDALOpenEx(path.c_str(), flags, only, oo.List(), nullptr)));
  if (!ds_) {
    restore_config();  // the destructor does not run when the constructor throws
    fail("cannot open " + path, errors);
  }
}

Source::~Source() {
  ds_.reset();
  restore_config();
}

void Source::restore_config() {
  if (driver_ == "XLSX")
    CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS",
                                  xlsx_headers_ ? xlsx_headers_->c_str() : nullptr);
}

OGRLayer& Source::layer(const std::optional<std::string>& name) {
  if (!name) {
    if (ds_->GetLayerCount() < 1 || !ds_->GetLayer(0)) throw_invalid(path_ + " holds no layer");
    return *ds_->GetLayer(0);
  }
  if (OGRLayer* l = ds_->GetLayerByName(name->c_str())) return *l;
  std::vector<std::string> names;
  for (int i = 0; i < ds_->GetLayerCount(); ++i) names.push_back(ds_->GetLayer(i)->GetName());
  throw_invalid("no layer '" + *name + "' in " + path_ + " (layers: " + join(names, ", ") + ")");
}

GDALDatasetUniquePtr create_dataset(const std::string& driver, const std::string& path) {
  register_drivers();
  ErrorCapture errors;
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(driver.c_str());
  if (!drv) throw Error(ErrorKind::unavailable, "GDAL was built without the " + driver + " driver");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) fail("cannot create " + path, errors);
  return ds;
}

std::vector<std::string> field_names(OGRFeatureDefn& defn) {
  std::vector<std::string> out;
  for (int i = 0; i < defn.GetFieldCount(); ++i) out.push_back(defn.GetFieldDefn(i)->GetNameRef());
  return out;
}

int find_field(OGRFeatureDefn& defn, const std::string& name) {
  std::vector<std::string> names = field_names(defn);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  for (size_t i = 0; i < names.size(); ++i)
    if (ascii_lower(names[i]) == ascii_lower(name)) return static_cast<int>(i);
  return -1;
}

std::optional<std::string> field_text(const OGRFeature& f, int idx) {
  if (idx < 0 || !f.IsFieldSetAndNotNull(idx)) return std::nullopt;
  std::string text;
  switch (f.GetFieldDefnRef(idx)->GetType()) {
    case OFTInteger:
    case OFTInteger64:
      text = std::to_string(f.GetFieldAsInteger64(idx));
      break;
    case OFTReal:
      text = number_text(f.GetFieldAsDouble(idx));
      break;
    case OFTStringList: {
      std::vector<std::string> parts;
      for (CSLConstList p = f.GetFieldAsStringList(idx); p && *p; ++p) parts.push_back(*p);
      text = join(parts, ";");
      break;
    }
    default:
      text = f.GetFieldAsString(idx);
  }
  text = trim(std::move(text));
  if (text.empty()) return std::nullopt;
  return text;
}

std::optional<double> field_number(const OGRFeature& f, int idx) {
  if (idx < 0 || !f.IsFieldSetAndNotNull(idx)) return std::nullopt;
  OGRFieldType type = f.GetFieldDefnRef(idx)->GetType();
  if (type == OFTInteger || type == OFTInteger64 || type == OFTReal) return f.GetFieldAsDouble(idx);
  std::string text = trim(f.GetFieldAsString(idx));
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw_invalid("'" + text + "' is not a number");
  return v;
}

std::optional<int64_t> field_time(const OGRFeature& f, int idx) {
  if (idx < 0 || !f.IsFieldSetAndNotNull(idx)) return std::nullopt;
  OGRFieldType type = f.GetFieldDefnRef(idx)->GetType();
  if (type == OFTDate || type == OFTDateTime) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
    float sec = 0;
    if (!f.GetFieldAsDateTime(idx, &y, &mo, &d, &h, &mi, &sec, &tz)) return std::nullopt;
    auto t = epoch_of(y, mo, d, h, mi, sec, tz);
    if (!t) throw_invalid("'" + std::string(f.GetFieldAsString(idx)) + "' is not a time");
    return t;
  }
  if (type == OFTInteger || type == OFTInteger64) return f.GetFieldAsInteger64(idx);
  std::optional<std::string> text = field_text(f, idx);
  if (!text) return std::nullopt;
  std::string s = *text;  // OGR writes dates as 2025/03/01
  std::replace(s.begin(), s.begin() + static_cast<long>(std::min<size_t>(s.size(), 10)), '/', '-');
  auto t = parse_time(s);
  if (!t)
    throw_invalid("'" + *text + "' is not a time (use ISO 8601, e.g. 2025-03-01T08:00:00+08:00)");
  return t;
}

void check_encoding(const std::string& encoding) {
  ErrorCapture errors;
  recode_to_utf8("a", encoding);
  if (errors.has_failure() || !errors.warnings().empty())
    throw_invalid("unknown encoding '" + encoding +
                  "' (e.g. GBK, GB18030, UTF-8): " + errors.message());
}

std::string recode_to_utf8(const std::string& text, const std::string& encoding) {
  std::unique_ptr<char, void (*)(char*)> out(
      CPLRecode(text.c_str(), encoding.c_str(), CPL_ENC_UTF8), [](char* p) { CPLFree(p); });
  return out ? std::string(out.get()) : text;
}

bool is_utf8(const std::string& text) {
  return CPLIsUTF8(text.data(), static_cast<int>(text.size())) != 0;
}

OGRGeometryUniquePtr linear_2d(const OGRGeometry& g) {
  OGRGeometryUniquePtr copy(g.clone());
  if (!copy) throw_internal("OGR cannot copy a geometry");
  if (copy->hasCurveGeometry()) copy.reset(copy->getLinearGeometry());
  if (!copy) throw_invalid("cannot linearise a curved geometry");
  copy->flattenTo2D();
  return copy;
}

geos::GeomPtr to_geos(const OGRGeometry& g) {
  OGRGeometryUniquePtr copy = linear_2d(g);
  std::string wkb(copy->WkbSize(), '\0');
  if (copy->exportToWkb(wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()), wkbVariantIso) !=
      OGRERR_NONE)
    throw_invalid("cannot encode a " + std::string(copy->getGeometryName()) + " as WKB");
  return geos::from_wkb(wkb);
}

OGRGeometryUniquePtr to_ogr(const GEOSGeometry* g) {
  std::string wkb = geos::to_wkb(g);
  OGRGeometry* raw = nullptr;
  OGRErr err =
      OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &raw, wkb.size(), wkbVariantIso);
  OGRGeometryUniquePtr out(raw);
  if (err != OGRERR_NONE || !out) throw_internal("OGR cannot read a GEOS geometry");
  return out;
}

std::optional<crs::Crs> identify(const OGRSpatialReference& srs) {
  std::unique_ptr<OGRSpatialReference, void (*)(OGRSpatialReference*)> copy(
      srs.Clone(), [](OGRSpatialReference* s) { OGRSpatialReference::DestroySpatialReference(s); });
  auto epsg_code = [](const OGRSpatialReference& s) -> const char* {
    const char* auth = s.GetAuthorityName(nullptr);
    return auth && EQUAL(auth, "EPSG") ? s.GetAuthorityCode(nullptr) : nullptr;
  };
  const char* code = epsg_code(*copy);
  if (!code && copy->AutoIdentifyEPSG() == OGRERR_NONE) code = epsg_code(*copy);
  std::unique_ptr<OGRSpatialReference, void (*)(OGRSpatialReference*)> best(
      nullptr, [](OGRSpatialReference* s) { OGRSpatialReference::DestroySpatialReference(s); });
  if (!code) {
    ErrorCapture quiet;  // FindBestMatch reports "no match" as an error
    best.reset(copy->FindBestMatch(90, "EPSG"));
    if (best) code = epsg_code(*best);
  }
  if (!code) return std::nullopt;
  return crs::parse(std::string("EPSG:") + code);
}

}  // namespace gridmap::data::gdal
