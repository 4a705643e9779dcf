// Import through GDAL of mutated GeoJSON, CSV and Shapefile files into a fresh database:
// the import succeeds or throws a gridmap::Error, nothing else, and its report adds up.
// The first byte picks the format, the layer and the options; a Shapefile's .shp, .shx and
// .dbf are the rest of the input cut at the lines "--shx--" and "--dbf--".
#include <cpl_error.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "data/db.hpp"
#include "data/import.hpp"
#include "fuzz/fuzz.hpp"

using namespace gridmap;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir, empty_db;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "gridmap-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    empty_db = dir / "empty.sqlite";
    data::Db::open(empty_db.string(), true);  // the schema, made once and copied per run
  }
  ~Fixture() {
    std::error_code ignore;
    fs::remove_all(dir, ignore);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void write(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

constexpr data::Layer kLayers[] = {data::Layer::subdistricts, data::Layer::communities,
                                   data::Layer::grids,        data::Layer::workers,
                                   data::Layer::households,   data::Layer::petitions};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  CPLSetErrorHandler(CPLQuietErrorHandler);
  fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = fixture();
  fuzz::Input in(data, size);
  uint8_t how = in.byte();
  int format = how % 3;  // GeoJSON, CSV, Shapefile
  data::ImportOptions o;
  o.layer = kLayers[(how / 3) % 6];
  uint8_t more = in.byte();
  o.skip_invalid = more & 1;
  if (more & 2) o.crs = crs::Crs{crs::Kind::gcj02, 0};
  if (more & 4) o.encoding = "GBK";
  std::string_view rest = in.rest();

  for (auto& e : fs::directory_iterator(fx.dir))
    if (e.path() != fx.empty_db) fs::remove(e.path());
  fs::path db_path = fx.dir / "run.sqlite";
  fs::copy_file(fx.empty_db, db_path, fs::copy_options::overwrite_existing);
  if (format == 0) {
    o.file = (fx.dir / "in.geojson").string();
    write(o.file, rest);
  } else if (format == 1) {
    o.file = (fx.dir / "in.csv").string();
    write(o.file, rest);
  } else {
    o.file = (fx.dir / "in.shp").string();
    size_t shx = rest.find("--shx--\n"), dbf = rest.find("--dbf--\n");
    if (shx == std::string_view::npos || dbf == std::string_view::npos || dbf < shx) return 0;
    write(o.file, rest.substr(0, shx));
    write(fx.dir / "in.shx", rest.substr(shx + 8, dbf - shx - 8));
    write(fx.dir / "in.dbf", rest.substr(dbf + 8));
  }

  try {
    data::Db db = data::Db::open(db_path.string(), false);
    data::ImportReport r = data::import_layer(db, o);
    FUZZ_CHECK(r.imported + r.rejected <= r.read, "more features imported or rejected than read");
    // (An aborted import reports what it repaired before it stopped, with nothing imported.)
    FUZZ_CHECK(!r.committed || r.repaired <= r.imported, "more repaired than imported");
    FUZZ_CHECK(r.committed == (r.rejected == 0 || o.skip_invalid), "committed as it should");
    FUZZ_CHECK(!r.committed || r.imported + r.rejected == r.read, "every feature accounted for");
  } catch (const Error&) {
  }
  return 0;
}
