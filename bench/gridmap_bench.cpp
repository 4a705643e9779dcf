// gridmap_bench: the gridmap side of bench/run.
//
//   gridmap_bench gen CACHE [--grids N] [--points N] [--workers N] [--seed N]
//   (prints CACHE/KEY, the data set's directory)
//   gridmap_bench pip|knn|updates DIR [--runs N] [--queries N] [--k N] [--moves N]
//   gridmap_bench updates_persisted DIR --db FILE [--runs N] [--moves N]
//   gridmap_bench hotspots DIR [--runs N] [--seed N] [--db COUNTS_CSV]
//   gridmap_bench mvt DIR --db CITY.sqlite --out TILEDIR [--runs N] [--zooms 10,12,14,16]  (DIR
//   unused: -) gridmap_bench mvt_grids - --db CITY.sqlite --out GRIDS.csv gridmap_bench mvt_count
//   TILE.mvt
//   gridmap_bench gen_petitions DIR [--petitions N] [--seed N]   (prints the CSV's path)
//   gridmap_bench heat DIR --csv FILE [--runs N]
//   gridmap_bench kpi DIR --db CITY.sqlite --out OUTDIR [--runs N]  (DIR unused)
//   gridmap_bench transitions DIR --db NEW.sqlite --out OUTDIR [--moves N]  (N petitions; DIR unused)
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "bench/bench.hpp"
#include "geo/error.hpp"

namespace gridmap::bench {

void report(std::string_view key, double value) {
  std::printf("%.*s=%.17g\n", static_cast<int>(key.size()), key.data(), value);
  std::fflush(stdout);
}

void note(const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  std::fputs("bench: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

namespace {

unsigned long long count_arg(const char* name, const char* value) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(value, &end, 10);
  if (!*value || *end || value[0] == '-')
    throw_invalid(std::string(name) + " needs a whole number");
  return v;
}

Options parse(int argc, char** argv) {
  if (argc < 3)
    throw_invalid(
        "usage: gridmap_bench "
        "gen|gen_petitions|pip|knn|updates|updates_persisted|hotspots|heat|mvt|"
        "mvt_grids|mvt_count|kpi DIR [options]");
  Options o;
  o.dir = argv[2];
  for (int i = 3; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) throw_invalid(flag + " needs a value");
    const char* v = argv[i + 1];
    if (flag == "--grids")
      o.spec.grids = static_cast<int>(count_arg("--grids", v));
    else if (flag == "--points")
      o.spec.points = count_arg("--points", v);
    else if (flag == "--workers")
      o.spec.workers = count_arg("--workers", v);
    else if (flag == "--seed")
      o.spec.seed = count_arg("--seed", v);
    else if (flag == "--queries")
      o.queries = count_arg("--queries", v);
    else if (flag == "--k")
      o.k = count_arg("--k", v);
    else if (flag == "--moves")
      o.moves = count_arg("--moves", v);
    else if (flag == "--runs")
      o.runs = static_cast<int>(count_arg("--runs", v));
    else if (flag == "--db")
      o.db = v;
    else if (flag == "--out")
      o.out = v;
    else if (flag == "--zooms")
      o.zooms = v;
    else if (flag == "--petitions")
      o.petitions = count_arg("--petitions", v);
    else if (flag == "--csv")
      o.petitions_csv = v;
    else
      throw_invalid("unknown option " + flag);
  }
  if (o.spec.grids < 1 || o.spec.points < 1 || o.spec.workers < 1 || o.runs < 1)
    throw_invalid("counts must be at least 1");
  return o;
}

int run(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::string what = argv[1];
  if (what == "gen") {
    std::string dir = o.dir + "/" + cache_key(o.spec);
    generate(o.spec, dir);
    std::printf("%s\n", dir.c_str());
  } else if (what == "gen_petitions") {
    std::printf("%s\n", generate_petitions(o.dir, o.petitions, o.spec.seed).c_str());
  } else if (what == "heat") {
    if (o.petitions_csv.empty()) throw_invalid("heat needs --csv FILE (from gen_petitions)");
    run_heat(o);
  } else if (what == "pip")
    run_pip(o);
  else if (what == "knn")
    run_knn(o);
  else if (what == "updates")
    run_updates(o);
  else if (what == "hotspots")
    run_hotspots(o);
  else if (what == "updates_persisted") {
    if (o.db.empty()) throw_invalid("updates_persisted needs --db FILE");
    run_persisted(o);
  } else if (what == "mvt")
    run_mvt(o);
  else if (what == "mvt_grids")
    run_mvt_grids(o);
  else if (what == "mvt_count")
    run_mvt_count(o);
  else if (what == "kpi")
    run_kpi(o);
  else if (what == "transitions")
    run_transitions(o);
  else {
    throw_invalid("unknown benchmark " + what);
  }
  return 0;
}

}  // namespace
}  // namespace gridmap::bench

int main(int argc, char** argv) {
  try {
    return gridmap::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridmap_bench: %s\n", e.what());
    return 2;
  }
}
