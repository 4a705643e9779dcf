// data::sheet_xlsx: a Sheet through GDAL's XLSX driver into /vsimem/, read back as bytes.
// Built into the GDAL module (see gdal_module.hpp).
#include <cpl_vsi.h>

#include <atomic>
#include <iterator>
#include <string>

#include "data/gdal_module.hpp"
#include "data/gdal_util.hpp"
#include "geo/error.hpp"

namespace gridmap::data::gdal {
namespace {

// Removes the in-memory file however the write ends.
struct MemFile {
  std::string path;
  ~MemFile() { VSIUnlink(path.c_str()); }
};

OGRFieldType field_type(const Sheet& s, size_t col) {
  OGRFieldType t = OFTString;
  bool seen = false;
  for (const auto& row : s.rows) {
    const SheetCell& c = row[col];
    if (std::holds_alternative<std::monostate>(c)) continue;
    OGRFieldType here = std::holds_alternative<int64_t>(c)  ? OFTInteger64
                        : std::holds_alternative<double>(c) ? OFTReal
                                                            : OFTString;
    if (!seen)
      t = here, seen = true;
    else if (t != here)
      t = (t == OFTString || here == OFTString) ? OFTString : OFTReal;
  }
  return t;
}

}  // namespace

std::string sheet_xlsx(const Sheet& sheet) {
  static std::atomic<int64_t> serial{0};
  MemFile file{"/vsimem/gridmap-sheet-" + std::to_string(++serial) + ".xlsx"};
  ErrorCapture errors;
  {
    GDALDatasetUniquePtr ds = create_dataset("XLSX", file.path);
    OGRLayer* layer = ds->CreateLayer(sheet.name.c_str(), nullptr, wkbNone, nullptr);
    if (!layer) fail("cannot create the worksheet", errors);
    for (size_t i = 0; i < sheet.headers.size(); ++i) {
      OGRFieldDefn field(sheet.headers[i].c_str(), field_type(sheet, i));
      if (layer->CreateField(&field) != OGRERR_NONE) fail("cannot add a column", errors);
    }
    for (const auto& row : sheet.rows) {
      OGRFeatureUniquePtr f(OGRFeature::CreateFeature(layer->GetLayerDefn()));
      for (size_t i = 0; i < row.size(); ++i) {
        int idx = static_cast<int>(i);
        if (auto* n = std::get_if<int64_t>(&row[i])) {
          f->SetField(idx, static_cast<GIntBig>(*n));
        } else if (auto* d = std::get_if<double>(&row[i])) {
          f->SetField(idx, *d);
        } else if (auto* s = std::get_if<std::string>(&row[i])) {
          f->SetField(idx, s->c_str());
        }
      }
      if (layer->CreateFeature(f.get()) != OGRERR_NONE) fail("cannot add a row", errors);
    }
    ds.reset();  // writes the workbook (GDAL 3.6 has no Close() that reports failure)
  }
  if (errors.has_failure()) fail("cannot write the workbook", errors);
  vsi_l_offset size = 0;
  GByte* bytes = VSIGetMemFileBuffer(file.path.c_str(), &size, FALSE);
  if (!bytes) throw Error(ErrorKind::internal, "the workbook was not written");
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
}

Sheet read_sheet(const std::string& path) {
  register_drivers();
  ErrorCapture errors;
  // The first row names the columns, and cells are read as written ("3d", "0501"): the
  // drivers' configuration, for this thread while the file is read (GDAL 3.6 has no open
  // options for it).
  struct Config {
    const char* key;
    const char* value;
  };
  const Config config[] = {{"OGR_XLSX_HEADERS", "FORCE"},
                           {"OGR_XLSX_FIELD_TYPES", "STRING"},
                           {"OGR_ODS_HEADERS", "FORCE"},
                           {"OGR_ODS_FIELD_TYPES", "STRING"}};
  for (const Config& c : config) CPLSetThreadLocalConfigOption(c.key, c.value);
  struct Reset {
    const Config* begin;
    const Config* end;
    ~Reset() {
      for (const Config* c = begin; c != end; ++c) CPLSetThreadLocalConfigOption(c->key, nullptr);
    }
  } reset{std::begin(config), std::end(config)};
  const char* const drivers[] = {"XLSX", "ODS", nullptr};
  GDALDatasetUniquePtr ds(GDALDataset::FromHandle(
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr)));
  if (!ds) fail("cannot read " + path + " as a spreadsheet (.xlsx or .ods)", errors);
  OGRLayer* layer = ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr;
  if (!layer) throw_invalid(path + " has no worksheet");
  Sheet sheet;
  sheet.name = layer->GetName();
  OGRFeatureDefn* def = layer->GetLayerDefn();
  for (int i = 0; i < def->GetFieldCount(); ++i)
    sheet.headers.emplace_back(def->GetFieldDefn(i)->GetNameRef());
  for (auto& f : *layer) {
    std::vector<SheetCell>& row = sheet.rows.emplace_back();
    for (int i = 0; i < def->GetFieldCount(); ++i) {
      if (f->IsFieldSetAndNotNull(i))
        row.emplace_back(std::string(f->GetFieldAsString(i)));
      else
        row.emplace_back(std::monostate{});
    }
  }
  return sheet;
}

}  // namespace gridmap::data::gdal
