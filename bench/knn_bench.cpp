// k nearest on-duty workers for a batch of query points.
#include <vector>

#include "bench/bench.hpp"
#include "geo/error.hpp"
#include "geo/worker_index.hpp"

namespace gridmap::bench {

void run_knn(const Options& o) {
  std::vector<WorkerRow> workers = read_workers(o.dir);
  std::vector<LonLat> pts = read_points(o.dir);
  if (pts.size() < o.queries) throw_invalid("knn: fewer points than queries");
  WorkerIndex index(workers.size());
  for (const WorkerRow& w : workers) index.upsert({w.id, w.position, w.on_duty, UINT32_MAX, {}});

  size_t answers = 0;
  double s = best_seconds(o.runs, [&] {
    answers = 0;
    for (size_t i = 0; i < o.queries; ++i) answers += index.nearest(pts[i], o.k).size();
  });
  note("knn: %zu workers, %zu queries, %zu answers", workers.size(), o.queries, answers);
  report("knn_rate", o.queries / s);
  report("knn_answers", static_cast<double>(answers));
}

}  // namespace gridmap::bench
