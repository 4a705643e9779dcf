#include "bench/bench_data.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <system_error>

#include "data/demo_layout.hpp"
#include "geo/error.hpp"

namespace gridmap::bench {
namespace fs = std::filesystem;
namespace {

using data::demo::Layout;
using data::demo::Region;
using data::demo::Rng;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- writing ----------------------------------------------------------------------------

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

// A CSV file written with stdio; close() reports any write error (the destructor only
// releases the handle of a file that failed).
class CsvOut {
 public:
  explicit CsvOut(const fs::path& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw_internal("bench: cannot create " + path.string());
  }
  void line(const char* fmt, auto... args) {
    if (std::fprintf(f_.get(), fmt, args...) < 0)
      throw_internal("bench: cannot write " + path_.string());
  }
  void text(std::string_view s) {
    if (std::fwrite(s.data(), 1, s.size(), f_.get()) != s.size())
      throw_internal("bench: cannot write " + path_.string());
  }
  void close() {
    std::FILE* f = f_.release();
    bool failed = std::ferror(f) != 0;
    if (std::fclose(f) != 0 || failed) throw_internal("bench: cannot write " + path_.string());
  }

 private:
  fs::path path_;
  std::unique_ptr<std::FILE, FileCloser> f_;
};

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

// The province preset's proportions (70 counties, 700 subdistricts, 6,300 communities per
// 100,000 grids of 3 blocks each), scaled to the number of grids asked for.
data::demo::LayoutSpec layout_spec(const DataSpec& s) {
  data::demo::LayoutSpec l;
  double f = s.grids / 100000.0;
  l.counties = std::max(1, static_cast<int>(std::lround(70 * f)));
  l.subdistricts = std::max(l.counties, static_cast<int>(std::lround(700 * f)));
  l.communities = std::max(l.subdistricts, static_cast<int>(std::lround(6300 * f)));
  l.grids = std::max(l.communities, s.grids);
  l.cells_per_grid = 3;
  return l;
}

geos::GeomPtr multipolygon_of(const Region& r) {
  std::vector<geos::GeomPtr> parts;
  for (const auto& poly : r.polygons) parts.push_back(geos::polygon(poly));
  std::vector<GEOSGeometry*> raw;
  for (auto& p : parts) raw.push_back(p.get());
  GEOSGeometry* mp = GEOSGeom_createCollection_r(geos::ctx(), GEOS_MULTIPOLYGON, raw.data(),
                                                 static_cast<unsigned>(raw.size()));
  if (mp)
    for (auto& p : parts) static_cast<void>(p.release());  // now owned by the collection
  return geos::own(mp, "multipolygon");
}

Box extent_of(const Layout& L) {
  Box b{1e300, 1e300, -1e300, -1e300};
  for (const Region& g : L.grids)
    for (const auto& poly : g.polygons)
      for (const LonLat& p : poly.front()) {
        b.min_lon = std::min(b.min_lon, p.lon), b.max_lon = std::max(b.max_lon, p.lon);
        b.min_lat = std::min(b.min_lat, p.lat), b.max_lat = std::max(b.max_lat, p.lat);
      }
  return b;
}

LonLat uniform_in(const Box& b, Rng& rng) {
  return {rng.uniform(b.min_lon, b.max_lon), rng.uniform(b.min_lat, b.max_lat)};
}

// A vertex of a random grid's outer ring: on the boundary of one to four grids.
LonLat vertex_of_random_grid(const Layout& L, Rng& rng) {
  const Region& g = L.grids[static_cast<size_t>(rng.below(static_cast<int64_t>(L.grids.size())))];
  const auto& poly =
      g.polygons[static_cast<size_t>(rng.below(static_cast<int64_t>(g.polygons.size())))];
  const auto& shell = poly.front();
  return shell[static_cast<size_t>(rng.below(static_cast<int64_t>(shell.size() - 1)))];
}

void write_grids(const Layout& L, const fs::path& dir) {
  CsvOut out(dir / "grids.csv");
  out.text("id,wkb_hex\n");
  for (size_t i = 0; i < L.grids.size(); ++i) {
    out.line("%zu,", i + 1);
    out.text(hex(geos::to_wkb(multipolygon_of(L.grids[i]).get())));
    out.text("\n");
  }
  out.close();
}

// %.17g: every double reads back exactly, so points on vertices stay on them.
void write_points(const Layout& L, const Box& ext, const DataSpec& s, const fs::path& dir) {
  Rng rng(s.seed * 1000003 + 11);
  CsvOut out(dir / "points.csv");
  out.text("id,lon,lat\n");
  for (size_t i = 0; i < s.points; ++i) {
    LonLat p = rng.chance(0.1) ? vertex_of_random_grid(L, rng) : uniform_in(ext, rng);
    out.line("%zu,%.17g,%.17g\n", i + 1, p.lon, p.lat);
  }
  out.close();
}

void write_workers(const Box& ext, const DataSpec& s, const fs::path& dir) {
  Rng rng(s.seed * 1000003 + 23);
  CsvOut out(dir / "workers.csv");
  out.text("id,lon,lat,on_duty\n");
  for (size_t i = 0; i < s.workers; ++i) {
    LonLat p = uniform_in(ext, rng);
    out.line("%zu,%.17g,%.17g,%d\n", i + 1, p.lon, p.lat, rng.chance(0.75) ? 1 : 0);
  }
  out.close();
  CsvOut upd(dir / "updates.csv");
  upd.text("id,lon,lat\n");
  for (size_t i = 0; i < s.workers; ++i) {
    LonLat p = uniform_in(ext, rng);
    upd.line("%zu,%.17g,%.17g\n", i + 1, p.lon, p.lat);
  }
  upd.close();
}

void write_extent(const Box& b, const fs::path& dir) {
  CsvOut out(dir / "extent.csv");
  out.text("min_lon,min_lat,max_lon,max_lat\n");
  out.line("%.17g,%.17g,%.17g,%.17g\n", b.min_lon, b.min_lat, b.max_lon, b.max_lat);
  out.close();
}

// ---- reading ----------------------------------------------------------------------------

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw_invalid("bench: cannot read " + path.string() + " (run `gridmap_bench gen` first)");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw_internal("bench: cannot read " + path.string());
  return s;
}

// Calls f(fields) for every data line of a simple CSV file (no quoting: we wrote it).
template <class F>
void for_each_row(const fs::path& path, F&& f) {
  std::string text = slurp(path);
  std::vector<std::string_view> fields;
  size_t pos = text.find('\n');  // skip the header
  while (pos != std::string::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos + 1, end - pos - 1);
    fields.clear();
    for (size_t a = 0;;) {
      size_t b = line.find(',', a);
      fields.push_back(
          line.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
      if (b == std::string_view::npos) break;
      a = b + 1;
    }
    f(fields);
    pos = end;
  }
}

template <class T>
T number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    throw_invalid("bench: not a number: " + std::string(s));
  return v;
}

std::string unhex(std::string_view h) {
  if (h.size() % 2) throw_invalid("bench: odd-length hex");
  std::string out(h.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(h.data() + 2 * i, h.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || end != h.data() + 2 * i + 2) throw_invalid("bench: bad hex");
    out[i] = static_cast<char>(v);
  }
  return out;
}

void expect_fields(const std::vector<std::string_view>& f, size_t n, const char* file) {
  if (f.size() != n) throw_invalid(std::string("bench: malformed line in ") + file);
}

}  // namespace

std::string cache_key(const DataSpec& s) {
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "g%d-p%zu-w%zu-s%llu-v1", s.grids, s.points, s.workers,
                        static_cast<unsigned long long>(s.seed));
  if (n < 0 || static_cast<size_t>(n) >= sizeof buf) throw_internal("bench: cache key too long");
  return buf;
}

void generate(const DataSpec& s, const std::string& dir_name) {
  fs::path dir(dir_name);
  if (fs::exists(dir / "complete")) {
    std::fprintf(stderr, "bench: using cached data in %s\n", dir.c_str());
    return;
  }
  // Written next to the final place, then renamed: an interrupted run leaves no half cache.
  fs::path tmp = dir;
  tmp += ".partial";
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  auto t0 = std::chrono::steady_clock::now();
  Rng rng(s.seed * 7919 + 17);
  Layout L = data::demo::make_layout(layout_spec(s), rng);
  std::fprintf(stderr, "bench: make_layout (%zu grids) took %.1f s\n", L.grids.size(),
               seconds_since(t0));
  Box ext = extent_of(L);

  auto t1 = std::chrono::steady_clock::now();
  write_grids(L, tmp);
  std::fprintf(stderr, "bench: grids.csv (MultiPolygon WKB) took %.1f s\n", seconds_since(t1));
  auto t2 = std::chrono::steady_clock::now();
  write_points(L, ext, s, tmp);
  write_workers(ext, s, tmp);
  write_extent(ext, tmp);
  std::fprintf(stderr, "bench: points, workers and updates took %.1f s\n", seconds_since(t2));

  CsvOut done(tmp / "complete");
  done.line("generated in %.1f s\n", seconds_since(t0));
  done.close();
  fs::remove_all(dir);
  fs::rename(tmp, dir);
}

std::vector<geos::GeomPtr> read_grids(const std::string& dir) {
  std::vector<geos::GeomPtr> out;
  for_each_row(fs::path(dir) / "grids.csv", [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 2, "grids.csv");
    out.push_back(geos::from_wkb(unhex(f[1])));
  });
  return out;
}

std::vector<LonLat> read_points(const std::string& dir) {
  std::vector<LonLat> out;
  for_each_row(fs::path(dir) / "points.csv", [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 3, "points.csv");
    out.push_back({number<double>(f[1]), number<double>(f[2])});
  });
  return out;
}

std::vector<WorkerRow> read_workers(const std::string& dir) {
  std::vector<WorkerRow> out;
  for_each_row(fs::path(dir) / "workers.csv", [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 4, "workers.csv");
    out.push_back(
        {number<int64_t>(f[0]), {number<double>(f[1]), number<double>(f[2])}, f[3] == "1"});
  });
  return out;
}

Box read_extent(const std::string& dir) {
  Box b;
  int rows = 0;
  for_each_row(fs::path(dir) / "extent.csv", [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 4, "extent.csv");
    b = {number<double>(f[0]), number<double>(f[1]), number<double>(f[2]), number<double>(f[3])};
    ++rows;
  });
  if (rows != 1) throw_invalid("bench: malformed extent.csv");
  return b;
}

namespace {
std::string hot_path(const std::string& csv) {
  return csv.substr(0, csv.size() - 4) + "-hot.csv";
}
}  // namespace

std::string generate_petitions(const std::string& dir, size_t n, uint64_t seed) {
  fs::path csv = fs::path(dir) / ("petitions-" + std::to_string(n) + ".csv");
  std::string hot = hot_path(csv.string());
  if (fs::exists(csv) && fs::exists(hot)) {
    std::fprintf(stderr, "bench: using cached petitions in %s\n", csv.c_str());
    return csv.string();
  }
  auto t0 = std::chrono::steady_clock::now();
  Box ext = read_extent(dir);
  Rng rng(seed * 1000003 + 37);
  constexpr int kTowns = 300;
  struct Town {
    LonLat centre;
    double sigma_m, cumulative;
  };
  std::vector<Town> towns;
  double total = 0;
  for (int i = 0; i < kTowns; ++i) {
    total += 1.0 / (i + 1);
    towns.push_back({uniform_in(ext, rng), rng.lognormal(2000, 0.5), total});
  }
  constexpr int64_t kEnd = 1767196800;  // 2026-01-01T00:00:00+08:00
  fs::path tmp = csv;
  tmp += ".partial";
  CsvOut out(tmp);
  out.line("id,lon,lat,category,kind,status,created_at\n");
  for (size_t i = 0; i < n; ++i) {
    LonLat p;
    if (rng.chance(0.05)) {
      p = uniform_in(ext, rng);
    } else {
      double pick = rng.uniform(0, total);
      const Town& t =
          *std::lower_bound(towns.begin(), towns.end(), pick,
                            [](const Town& town, double v) { return town.cumulative < v; });
      double m_per_deg = 111320.0;
      p.lat = t.centre.lat + rng.normal() * t.sigma_m / m_per_deg;
      p.lon = t.centre.lon + rng.normal() * t.sigma_m /
                                 (m_per_deg * std::cos(t.centre.lat * 3.14159265358979 / 180));
    }
    int category = static_cast<int>(rng.below(8)), kind = rng.chance(0.3) ? 1 : 0;
    double u = rng.uniform();
    int status = u < 0.85 ? 4 : u < 0.9 ? 0 : u < 0.94 ? 1 : u < 0.98 ? 2 : 3;
    int64_t created = kEnd - 1 - rng.below(730 * 86400);
    out.line("%zu,%.7f,%.7f,%d,%d,%d,%lld\n", i + 1, p.lon, p.lat, category, kind, status,
             static_cast<long long>(created));
  }
  out.close();
  CsvOut h(hot + ".partial");
  h.line("lon,lat\n%.7f,%.7f\n", towns[0].centre.lon, towns[0].centre.lat);
  h.close();
  fs::rename(hot + ".partial", hot);
  fs::rename(tmp, csv);
  std::fprintf(stderr, "bench: %zu petitions written in %.1f s\n", n, seconds_since(t0));
  return csv.string();
}

std::vector<PetitionRow> read_petitions(const std::string& csv) {
  std::vector<PetitionRow> out;
  for_each_row(csv, [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 7, "petitions csv");
    PetitionRow r;
    r.position = {number<double>(f[1]), number<double>(f[2])};
    r.category = static_cast<uint8_t>(number<int>(f[3]));
    r.kind = static_cast<uint8_t>(number<int>(f[4]));
    r.status = static_cast<uint8_t>(number<int>(f[5]));
    r.created_at = number<int64_t>(f[6]);
    out.push_back(r);
  });
  return out;
}

LonLat read_hot_spot(const std::string& csv) {
  LonLat p;
  int rows = 0;
  for_each_row(hot_path(csv), [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 2, "petitions hot spot csv");
    p = {number<double>(f[0]), number<double>(f[1])};
    ++rows;
  });
  if (rows != 1) throw_invalid("bench: malformed hot spot file");
  return p;
}

}  // namespace gridmap::bench
