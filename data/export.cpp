#include "data/export.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <variant>
#include <vector>

#include "core/text.hpp"
#include "data/areas.hpp"
#include "data/csv.hpp"
#include "data/gdal_module.hpp"
#include "data/gdal_util.hpp"
#include "data/households.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"

namespace gridmap::data {
namespace fs = std::filesystem;
namespace {

using geos::GeomPtr;
using Value = std::variant<std::monostate, std::string, int64_t>;
using Values = std::vector<Value>;

// An attribute: its CSV name and its name in GDAL formats (Shapefile allows 10 characters).
// Import recognises both. Personal data (residents, reporter contacts, phones) has no column.
struct Column {
  std::string name;
  std::string short_name;
  bool integer = false;
};

struct Schema {
  std::vector<Column> columns;
  bool areas = false;
};

Schema schema_of(Layer l) {
  if (is_area(l)) return {{{"code", "code"}, {"name", "name"}, {"parent", "parent"}}, true};
  if (l == Layer::workers)
    return {{{"id", "id", true},
             {"name", "name"},
             {"on_duty", "on_duty", true},
             {"grids", "grids"},
             {"position_at", "pos_at"}}};
  if (l == Layer::households)
    return {{{"id", "id", true}, {"address", "address"}, {"grid_code", "grid_code"}}};
  return {{{"id", "id", true},
           {"kind", "kind"},
           {"category", "category"},
           {"description", "descr"},
           {"status", "status"},
           {"handler", "handler"},
           {"created_at", "created_at"},
           {"deadline", "deadline"},
           {"closed_at", "closed_at"},
           {"grid_code", "grid_code"}}};
}

Value text(const std::optional<std::string>& s) {
  return s ? Value(*s) : Value();
}
Value time_value(const std::optional<int64_t>& t) {
  return t ? Value(format_time(*t)) : Value();
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ";") + p;
  return out;
}

// ---------------------------------------------------------------------------------------
// Rows: each layer's records as attribute values and a WGS84 geometry (null when none).

using RowFn = std::function<void(Values, GeomPtr)>;

void area_rows(Db& db, Layer l, const RowFn& emit) {
  AreaRepo(db, l).for_each([&](const Area& a) {
    emit({a.code, a.name, text(a.parent)}, geos::from_wkb(a.wkb));
  });
}

void worker_rows(Db& db, const RowFn& emit) {
  WorkerRepo(db).for_each([&](const Worker& w) {
    Values v{*w.id, w.name, int64_t{w.on_duty ? 1 : 0}, joined(w.grids), time_value(w.position_at)};
    emit(std::move(v), w.position ? geos::point(*w.position) : nullptr);
  });
}

void household_rows(Db& db, const RowFn& emit) {
  HouseholdRepo(db).for_each([&](const Household& h) {
    emit({*h.id, h.address, text(h.grid_code)}, geos::point(h.position));
  });
}

void petition_rows(Db& db, const RowFn& emit) {
  PetitionRepo(db).for_each([&](const Petition& p) {
    Values v{p.id->value,
             std::string(to_string(p.kind)),
             p.category,
             p.description,
             std::string(to_string(p.status)),
             std::string(to_string(p.handler_level)),
             format_time(p.created_at),
             time_value(p.deadline_at),
             time_value(p.closed_at),
             text(p.grid_code)};
    emit(std::move(v), geos::point(p.position));
  });
}

void each_row(Db& db, Layer l, const RowFn& emit) {
  if (is_area(l)) return area_rows(db, l, emit);
  if (l == Layer::workers) return worker_rows(db, emit);
  if (l == Layer::households) return household_rows(db, emit);
  petition_rows(db, emit);
}

// ---------------------------------------------------------------------------------------
// Sinks: CSV written by us, the rest through GDAL. Geometries arrive in the output CRS.

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const Values& v, const GEOSGeometry* g) = 0;
  virtual void close() = 0;
};

std::string number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string csv_text(const Value& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return {};
}

// Areas: code,name,parent,wkt. Points: id,lon,lat and the other attributes.
class CsvSink : public Sink {
 public:
  CsvSink(const std::string& path, Schema schema) : path_(path), schema_(std::move(schema)) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) throw_invalid("cannot write " + path);
    std::vector<std::string> header;
    for (const Column& c : schema_.columns) header.push_back(c.name);
    if (schema_.areas)
      header.push_back("wkt");
    else
      header.insert(header.begin() + 1, {"lon", "lat"});
    write_csv_row(out_, header);
  }

  void write(const Values& v, const GEOSGeometry* g) override {
    std::vector<std::string> row;
    for (const Value& x : v) row.push_back(csv_text(x));
    if (schema_.areas) {
      row.push_back(geos::to_wkt(g, 12));
    } else {
      std::vector<std::string> xy(2);
      if (g) xy = {number(coordinate(g, GEOSGeomGetX_r)), number(coordinate(g, GEOSGeomGetY_r))};
      row.insert(row.begin() + 1, xy.begin(), xy.end());
    }
    write_csv_row(out_, row);
  }

  void close() override {
    out_.close();
    if (!out_) throw Error(ErrorKind::unavailable, "cannot write " + path_ + " (disk full?)");
  }

 private:
  static double coordinate(const GEOSGeometry* g,
                           int (*get)(GEOSContextHandle_t, const GEOSGeometry*, double*)) {
    double v = 0;
    if (!get(geos::ctx(), g, &v)) throw_internal("GEOS cannot read a point");
    return v;
  }

  std::string path_;
  Schema schema_;
  std::ofstream out_;
};

const char* driver_of(ExportFormat f) {
  if (f == ExportFormat::gpkg) return "GPKG";
  if (f == ExportFormat::shp) return "ESRI Shapefile";
  return "GeoJSON";
}

constexpr size_t kShapefileText = 254;  // bytes a DBF character field holds

class GdalSink : public Sink {
 public:
  GdalSink(const ExportOptions& o, Schema schema)
      : path_(o.out),
        shp_(o.format == ExportFormat::shp),
        gpkg_(o.format == ExportFormat::gpkg),
        schema_(std::move(schema)) {
    ds_ = gdal::create_dataset(driver_of(o.format), o.out);
    create_layer(o);
    if (gpkg_ && ds_->StartTransaction() != OGRERR_NONE)
      gdal::fail("cannot write " + path_, errors_);
  }

  void write(const Values& v, const GEOSGeometry* g) override {
    OGRFeatureUniquePtr f(OGRFeature::CreateFeature(layer_->GetLayerDefn()));
    if (!f) throw_internal("OGR cannot create a feature");
    for (size_t i = 0; i < v.size(); ++i) set_field(*f, static_cast<int>(i), v[i]);
    if (g && f->SetGeometry(gdal::to_ogr(g).get()) != OGRERR_NONE)
      gdal::fail("cannot write a geometry to " + path_, errors_);
    if (layer_->CreateFeature(f.get()) != OGRERR_NONE) gdal::fail("cannot write " + path_, errors_);
  }

  void close() override {
    if (gpkg_ && ds_->CommitTransaction() != OGRERR_NONE)
      gdal::fail("cannot write " + path_, errors_);
    GDALClose(GDALDataset::ToHandle(ds_.release()));
    if (errors_.has_failure()) gdal::fail("cannot write " + path_, errors_);
  }

 private:
  void create_layer(const ExportOptions& o) {
    OGRSpatialReference srs;
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    bool has_srs = o.crs.kind == crs::Kind::wgs84 || o.crs.kind == crs::Kind::epsg;
    // GCJ-02 and BD-09 have no EPSG code; labelling them WGS84 would be a lie, so no SRS.
    if (has_srs &&
        srs.importFromEPSG(o.crs.kind == crs::Kind::epsg ? o.crs.epsg : 4326) != OGRERR_NONE)
      gdal::fail("cannot describe " + o.crs.name() + " to GDAL", errors_);
    CPLStringList lco;
    if (shp_) lco.SetNameValue("ENCODING", "UTF-8");
    if (o.format == ExportFormat::geojson) {
      if (o.crs.kind == crs::Kind::wgs84) {
        // RFC 7946: WGS84, no "crs" member, polygons wound right-handed, 7 decimals (~1 cm).
        lco.SetNameValue("RFC7946", "YES");
        lco.SetNameValue("COORDINATE_PRECISION", "7");
      } else {
        // Another CRS is outside RFC 7946: the file says so in a foreign member
        // ("description"), so that no reader takes its coordinates for WGS84 unawares.
        lco.SetNameValue("DESCRIPTION",
                         ("NOT RFC 7946 GeoJSON: coordinates are in " + o.crs.name() +
                          ", not WGS84 (gridmap export --crs)")
                             .c_str());
      }
    }
    OGRwkbGeometryType type = schema_.areas ? wkbMultiPolygon : wkbPoint;
    std::string name(to_string(o.layer));
    layer_ = ds_->CreateLayer(name.c_str(), has_srs ? &srs : nullptr, type, lco.List());
    if (!layer_) gdal::fail("cannot create layer " + name + " in " + path_, errors_);
    for (const Column& c : schema_.columns) {
      OGRFieldDefn fd(c.short_name.c_str(), c.integer ? OFTInteger64 : OFTString);
      if (shp_ && !c.integer) fd.SetWidth(static_cast<int>(kShapefileText));
      if (layer_->CreateField(&fd) != OGRERR_NONE)
        gdal::fail("cannot create field " + c.short_name, errors_);
    }
  }

  void set_field(OGRFeature& f, int i, const Value& v) {
    if (const std::string* s = std::get_if<std::string>(&v)) {
      if (shp_ && s->size() > kShapefileText)
        throw_invalid("a " + schema_.columns[static_cast<size_t>(i)].name + " is longer than the " +
                      std::to_string(kShapefileText) +
                      " bytes a Shapefile field holds; export as gpkg or geojson");
      f.SetField(i, s->c_str());
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      f.SetField(i, static_cast<GIntBig>(*n));
    } else {
      f.SetFieldNull(i);
    }
  }

  gdal::ErrorCapture errors_;  // first member: it must outlive the dataset
  std::string path_;
  bool shp_ = false, gpkg_ = false;  // GeoPackage rows go in one transaction, for speed
  Schema schema_;
  GDALDatasetUniquePtr ds_;
  OGRLayer* layer_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// The output file: its directory must exist; an old file (and its sidecars) is replaced.

std::vector<fs::path> files_of(const fs::path& out, ExportFormat f) {
  std::vector<fs::path> files{out};
  if (f == ExportFormat::shp)
    for (const char* ext : {".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"})
      files.push_back(fs::path(out).replace_extension(ext));
  if (f == ExportFormat::gpkg)
    for (const char* suffix : {"-wal", "-shm", "-journal"}) files.push_back(out.string() + suffix);
  return files;
}

void prepare_output(const ExportOptions& o, const Db& db) {
  if (o.out.empty()) throw_invalid("export needs an output file name");
  fs::path out(o.out);
  fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  if (fs::equivalent(out, db.path(), ec)) throw_invalid(o.out + " is the database itself");
  if (!fs::is_directory(dir, ec))
    throw_invalid("output directory " + dir.string() + " does not exist");
  if (fs::is_directory(out, ec)) throw_invalid(o.out + " is a directory, not a file");
  if (o.format == ExportFormat::shp && ascii_lower(out.extension().string()) != ".shp")
    throw_invalid("a Shapefile output must end in .shp: " + o.out);
  for (const fs::path& f : files_of(out, o.format)) {
    fs::remove(f, ec);
    if (ec) throw_invalid("cannot replace " + f.string() + ": " + ec.message());
  }
}

void discard_output(const ExportOptions& o) {
  std::error_code ec;
  for (const fs::path& f : files_of(fs::path(o.out), o.format)) fs::remove(f, ec);
}

std::unique_ptr<Sink> open_sink(const ExportOptions& o) {
  if (o.format == ExportFormat::csv) return std::make_unique<CsvSink>(o.out, schema_of(o.layer));
  return std::make_unique<GdalSink>(o, schema_of(o.layer));
}

GeomPtr to_output_crs(const crs::Transformer& t, const GEOSGeometry* g) {
  try {
    return geos::map_points(g, [&t](LonLat p) { return t(p); });
  } catch (const std::exception& e) {
    throw_invalid("cannot convert to " + t.to().name() + ": " + e.what());
  }
}

int64_t row_count(Db& db, Layer l) {
  if (is_area(l)) return AreaRepo(db, l).count();
  if (l == Layer::workers) return WorkerRepo(db).count();
  if (l == Layer::households) return HouseholdRepo(db).count();
  return PetitionRepo(db).count();
}

int64_t write_all(Db& db, const ExportOptions& o) {
  crs::Transformer to_out(crs::Crs{}, o.crs);
  std::unique_ptr<Sink> sink = open_sink(o);
  int64_t total = o.progress ? row_count(db, o.layer) : 0;
  int64_t n = 0;
  each_row(db, o.layer, [&](Values v, GeomPtr g) {
    if (g && !to_out.is_identity()) g = to_output_crs(to_out, g.get());
    sink->write(v, g.get());
    if (++n % 1000 == 0 && o.progress) o.progress(n, total);
  });
  sink->close();
  if (o.progress) o.progress(n, total);
  return n;
}

}  // namespace

int64_t gdal::export_layer(Db& db, const ExportOptions& o) {
  crs::Transformer check(crs::Crs{},
                         o.crs);  // an unknown EPSG code fails before any file is touched
  prepare_output(o, db);
  try {
    return write_all(db, o);
  } catch (...) {
    discard_output(o);
    throw;
  }
}

}  // namespace gridmap::data
