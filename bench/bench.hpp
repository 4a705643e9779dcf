// The gridmap side of `bench/run`: one function per benchmark, each printing its results as
// `key=value` lines on stdout for the script to pair with the PostGIS figures. Progress and
// details go to stderr.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "bench/bench_data.hpp"

namespace gridmap::bench {

struct Options {
  std::string dir;  // the generated data set
  DataSpec spec;
  size_t queries = 10000;  // knn
  size_t k = 5;            // knn
  size_t moves = 1000000;  // updates and updates_persisted
  std::string db;          // updates_persisted: the SpatiaLite file to create; mvt, kpi: to read
  std::string out;         // mvt: where its tiles go; mvt_grids: the CSV file; kpi: a directory
  std::string zooms = "10,12,14,16";  // mvt
  size_t petitions = 10000000;        // heat: petitions to generate
  std::string petitions_csv;          // heat: the generated petitions (gen_petitions prints it)
  int runs = 3;                       // best of
};

void run_pip(const Options& o);        // pip, pip_geos, pip_build, pip_memory
void run_knn(const Options& o);        // knn
void run_updates(const Options& o);    // updates
void run_persisted(const Options& o);  // updates_persisted
void run_hotspots(const Options& o);   // gistar, gistar_neighbours (--db: counts CSV to write)
void run_mvt(const Options& o);        // mvt_z10 ... mvt_z16: cold grids tiles
void run_mvt_grids(const Options& o);  // the grids with their tile attributes, as CSV
void run_mvt_count(const Options& o);  // features and vertices of the tile file o.dir
void run_heat(const Options& o);       // heat_z8, heat_z11, heat_z14, heat_build, heat_memory
void run_transitions(const Options& o);  // transitions_rate: lifecycle moves/s; SQL for PostgreSQL
void run_kpi(const Options& o);        // kpi_s: KPIs per grid over a year; rows for PostgreSQL

void report(std::string_view key, double value);
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));  // to stderr

// The shortest wall-clock time of `runs` calls of f, in seconds.
template <class F>
double best_seconds(int runs, F&& f) {
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace gridmap::bench
