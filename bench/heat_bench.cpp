// heat: the gridmap side of bench/run heat. Builds the heat index of the petitions CSV
// (keys, sort, unfiltered count pyramid), then makes cold heat tiles (index query, kernel,
// colours, PNG) in-process at zooms 8, 11 and 14 over the busiest town, and prints the
// tiles' lon/lat bounds for the PostGIS side.
#include <chrono>

#include "bench/bench.hpp"
#include "tiles/heat_service.hpp"

namespace gridmap::bench {

void run_heat(const Options& o) {
  std::string csv = o.petitions_csv;
  auto t_read = std::chrono::steady_clock::now();
  std::vector<PetitionRow> rows = read_petitions(csv);
  LonLat hot = read_hot_spot(csv);
  note("heat: read %zu petitions in %.1f s", rows.size(),
       std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count());

  auto t0 = std::chrono::steady_clock::now();
  std::vector<tiles::HeatPointInput> points;
  points.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    tiles::HeatAttrs a;
    a.category = rows[i].category;
    a.kind = rows[i].kind;
    a.status = rows[i].status;
    a.day = tiles::heat_day(rows[i].created_at);
    points.push_back({tiles::heat_key(tiles::to_world(rows[i].position)), a.pack(),
                      static_cast<uint32_t>(i + 1)});
  }
  rows.clear();
  rows.shrink_to_fit();
  tiles::HeatSnapshot s;
  s.base = tiles::HeatIndex::build(std::move(points));
  double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report("heat_build_s", build_s);
  report("heat_memory_bytes", double(s.base->memory_bytes()));
  for (int i = 0; i < 8; ++i) s.categories.push_back(std::to_string(i));
  // A filter's first coarse tile builds that filter's count pyramid: one pass over the points.
  for (const char* status : {"closed", "reported"}) {
    tiles::PetitionFilter pf;
    pf.status = {status};
    tiles::HeatFilter f = s.compile(pf);
    std::vector<uint32_t> one(1, 0);
    double t = best_seconds(1, [&] { s.base->add_counts(tiles::CellBox{0, 0, 0, 1, 1}, f, one); });
    note("heat: count pyramid for status=%s built in %.1f ms (%u petitions)", status, t * 1000,
         one[0]);
  }

  for (int z : {8, 11, 14}) {
    tiles::HeatRequest r;
    r.tile = tiles::tile_at(hot, z);
    std::string key = "heat_z" + std::to_string(z);
    std::vector<uint32_t> n(1, 0);
    s.base->add_counts(tiles::CellBox{z, r.tile.x, r.tile.y, 1, 1}, tiles::HeatFilter{}, n);
    Box b = tiles::bounds(r.tile);
    report(key + "_points", n[0]);
    report(key + "_x0", b.min_lon);
    report(key + "_y0", b.min_lat);
    report(key + "_x1", b.max_lon);
    report(key + "_y1", b.max_lat);
    size_t bytes = 0;
    double first = 0;
    double best = best_seconds(o.runs, [&] {
      auto t = std::chrono::steady_clock::now();
      bytes = tiles::heat_png(s, r).size();
      if (first == 0)
        first = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    });
    report(key + "_ms", best * 1000);
    r.scale = 2;
    double best2 = best_seconds(o.runs, [&] { tiles::heat_png(s, r); });
    r.scale = 1;
    r.filter.status = {"reported", "dispatched"};
    r.filter.category = {"3"};
    double filtered_first = best_seconds(1, [&] { tiles::heat_png(s, r); });
    double filtered = best_seconds(o.runs, [&] { tiles::heat_png(s, r); });
    note(
        "heat z%d tile %d/%u/%u: %u points, %.2f ms (first run %.2f ms), %zu bytes; @2x %.2f ms; "
        "filtered (category, status) first %.2f ms then %.2f ms",
        z, r.tile.z, r.tile.x, r.tile.y, n[0], best * 1000, first * 1000, bytes, best2 * 1000,
        filtered_first * 1000, filtered * 1000);
  }
}

}  // namespace gridmap::bench
