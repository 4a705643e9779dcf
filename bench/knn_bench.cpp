// k nearest on-duty workers for a batch of query points.
#include <algorithm>
#include <span>
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
  for (const WorkerRow& w : workers)
    index.upsert({WorkerId{w.id}, w.position, w.on_duty, UINT32_MAX, {}});

  // The anchor answers the queries as one batch (a LATERAL join): so does gridmap here
  // (nearest_all, what POST /api/v1/workers/nearest runs).
  std::span<const LonLat> queries(pts.data(), o.queries);
  NearestAnswers batch;
  double s = best_seconds(o.runs, [&] { batch = index.nearest_all(queries, o.k); });
  // One query at a time (GET /api/v1/workers/nearest), on stderr; both must agree.
  size_t one_by_one = 0;
  double single_s = best_seconds(o.runs, [&] {
    one_by_one = 0;
    for (LonLat p : queries) one_by_one += index.nearest(p, o.k).size();
  });
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<WorkerDistance> single = index.nearest(queries[i], o.k);
    std::span<const WorkerDistance> b = batch.of(i);
    if (!std::equal(b.begin(), b.end(), single.begin(), single.end()))
      throw_internal("knn: the batch and the single query disagree for query " + std::to_string(i));
  }
  note("knn: %zu workers, %zu queries, %zu answers; %.0f queries/s one at a time", workers.size(),
       o.queries, batch.items.size(), o.queries / single_s);
  report("knn_rate", o.queries / s);
  report("knn_answers", static_cast<double>(batch.items.size()));
}

}  // namespace gridmap::bench
