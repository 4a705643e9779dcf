// GET /api/v1/export/{layer}?format=csv|xlsx|gpkg|geojson[&crs=]: a whole layer as a file,
// as `gridmap export` writes it (no personal data: no resident records, reporter contacts or
// phone numbers), for the roles that list the whole layer: an admin every layer, a planner
// the boundaries. The file is written by GDAL off the event loop (a deferred answer), then
// streamed in chunks from a temporary file that is already unlinked, so nothing is left
// behind whatever happens to the connection. Each export is audited. (The statistics are
// exported by /api/v1/stats?format=csv|xlsx.)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.hpp"
#include "data/audit.hpp"
#include "data/csv.hpp"
#include "data/export.hpp"
#include "data/scratch_dir.hpp"
#include "data/stats.hpp"
#include "server/access.hpp"
#include "server/app.hpp"

namespace gridmap::server {
namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr size_t kMostSheetRows = 1'048'575;  // a worksheet's rows, less its header

// Sends an open file from where it stands to its end, a chunk at each poll.
class FileStream : public StreamSource {
 public:
  explicit FileStream(std::FILE* f) : f_(f) {}
  ~FileStream() override { std::fclose(f_); }
  std::optional<std::string> poll() override {
    std::string chunk(kChunk, '\0');
    size_t n = std::fread(chunk.data(), 1, chunk.size(), f_);
    if (n == 0) return std::nullopt;
    chunk.resize(n);
    return chunk;
  }

 private:
  std::FILE* f_;
};

struct Format {
  const char* name;
  const char* extension;
  const char* type;
};
constexpr Format kFormats[] = {
    {"csv", "csv", "text/csv; charset=utf-8"},
    {"xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"gpkg", "gpkg", "application/geopackage+sqlite3"},
    {"geojson", "geojson", "application/geo+json"},
};

const Format& format_of(const Request& req) {
  std::string f = req.param("format").value_or("csv");
  for (const Format& x : kFormats)
    if (f == x.name) return x;
  throw_invalid("'format' is csv, xlsx, gpkg or geojson, not '" + f + "'");
}

// A CSV export as one worksheet: whole numbers as numbers, the rest as text.
data::Sheet csv_sheet(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  data::CsvReader csv(in);
  data::Sheet sheet;
  sheet.name = name;
  auto header = csv.next();
  if (!header) return sheet;
  sheet.headers = *header;
  std::vector<std::string> fields;
  while (csv.next(fields)) {
    if (sheet.rows.size() == kMostSheetRows)
      throw Error(ErrorKind::too_large, "more rows than a worksheet holds: export as csv or gpkg");
    std::vector<data::SheetCell> row;
    row.reserve(fields.size());
    for (const std::string& f : fields) {
      // Coordinates and other decimals as numbers; codes, ids and the rest as text (a grid
      // code is not a number to add up, and Excel would round its 15 digits).
      char* end = nullptr;
      double d = f.find('.') == std::string::npos ? 0 : std::strtod(f.c_str(), &end);
      if (f.empty())
        row.emplace_back(std::monostate{});
      else if (end && *end == '\0' && std::isfinite(d))
        row.emplace_back(d);
      else
        row.emplace_back(f);
    }
    sheet.rows.push_back(std::move(row));
  }
  return sheet;
}

Response export_layer(App& app, const Request& req, const Context& ctx) {
  std::string name = req.path_params.at("layer");
  auto layer = data::parse_layer(name);
  if (!layer) throw Error(ErrorKind::not_found, "no layer '" + name + "'");
  // The whole layer: only for a role that lists all of it.
  const Principal& p = principal(ctx);
  const AccessRule* list = rule_for(name + ".list");
  if (!list || scope_of(*list, p.role) != Scope::all)
    throw Error(ErrorKind::forbidden, "a " + p.role + " may not export " + name);
  const Format& format = format_of(req);
  crs::Crs out_crs = req.param("crs") ? crs::parse(*req.param("crs")) : crs::Crs{};
  std::string user = p.name;
  Response later;
  later.deferred = [&app, layer = *layer, name, &format, out_crs, user]() {
    data::ScratchDir scratch(std::filesystem::temp_directory_path(), "gridmap-export");
    data::ExportOptions o;
    o.layer = layer;
    o.crs = out_crs;
    bool sheet = std::string_view(format.name) == "xlsx";
    o.format = sheet ? data::ExportFormat::csv : *data::parse_format(format.name);
    o.out = scratch.file(name + "." + (sheet ? std::string("csv") : format.extension));
    data::Db db = data::Db::open(app.options().db_path, false);
    int64_t rows = data::export_layer(db, o);
    std::string file = o.out;
    if (sheet) {
      file = scratch.file(name + ".xlsx");
      std::ofstream(file, std::ios::binary) << data::sheet_xlsx(csv_sheet(o.out, name));
    }
    app.write([&](data::Db& w) {
      data::audit(w, App::now(), user, "export_layer", "layer:" + name,
                  std::to_string(rows) + " rows as " + format.name);
      return 0;
    });
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) throw Error(ErrorKind::unavailable, "cannot read the export back");
    // Open, it outlives the directory's removal.
    Response r;
    r.content_type = format.type;
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + name + "." + format.extension + "\"");
    r.headers.emplace_back("X-Export-Rows", std::to_string(rows));
    r.stream = std::make_shared<FileStream>(f);
    return r;
  };
  return later;
}

}  // namespace

void register_exports(Router& r) {
  r.add("GET", "/api/v1/export/{layer}", "exports.layer", export_layer);
}

}  // namespace gridmap::server
