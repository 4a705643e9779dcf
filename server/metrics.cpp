#include "server/metrics.hpp"

#include <atomic>
#include <cstdio>
#include <utility>

#include "core/version.hpp"

namespace gridmap::server {

namespace {
std::atomic<uint64_t> next_metrics_id{1};
}

Metrics::Metrics() : id_(next_metrics_id++) {}
Metrics::~Metrics() = default;

Metrics::Shard& Metrics::shard() {
  // Ids are never reused, so an entry of a destroyed instance is never matched again.
  thread_local std::vector<std::pair<uint64_t, Shard*>> mine;
  for (auto& [id, s] : mine)
    if (id == id_) return *s;
  std::lock_guard l(lock_);
  shards_.push_back(std::make_unique<Shard>());
  mine.emplace_back(id_, shards_.back().get());
  return *shards_.back();
}

void Metrics::observe(const std::string& route, int status, double seconds) {
  Shard& s = shard();
  std::lock_guard l(s.lock);
  ++s.requests[{route, status}];
  Histogram& h = s.latency[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard l(lock_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

void Metrics::count(const std::string& counter, double by) {
  std::lock_guard l(lock_);
  counters_[counter] += by;
}

std::string Metrics::render() const {
  std::lock_guard l(lock_);
  std::map<std::pair<std::string, int>, uint64_t> requests;
  std::map<std::string, Histogram> latency;
  for (auto& s : shards_) {
    std::lock_guard sl(s->lock);
    for (auto& [key, n] : s->requests) requests[key] += n;
    for (auto& [route, h] : s->latency) {
      Histogram& sum = latency[route];
      for (size_t i = 0; i < kBuckets.size(); ++i) sum.buckets[i] += h.buckets[i];
      sum.count += h.count;
      sum.sum += h.sum;
    }
  }
  char buf[256];
  // The build a scrape comes from, as Prometheus exporters give it: a constant 1 labelled.
  std::snprintf(buf, sizeof buf,
                "# HELP gridmap_build_info The version and commit of this gridmap.\n# TYPE "
                "gridmap_build_info gauge\ngridmap_build_info{version=\"%s\",commit=\"%s\"} 1\n",
                version(), commit());
  std::string out = buf;
  out +=
      "# HELP gridmap_requests_total HTTP requests by route and status.\n# TYPE "
      "gridmap_requests_total counter\n";
  for (auto& [key, n] : requests) {
    std::snprintf(buf, sizeof buf, "gridmap_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                  key.first.c_str(), key.second, static_cast<unsigned long long>(n));
    out += buf;
  }
  out +=
      "# HELP gridmap_request_seconds Request latency by route.\n# TYPE gridmap_request_seconds "
      "histogram\n";
  for (auto& [route, h] : latency) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(buf, sizeof buf,
                    "gridmap_request_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", route.c_str(),
                    kBuckets[i], static_cast<unsigned long long>(h.buckets[i]));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "gridmap_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", route.c_str(),
                  static_cast<unsigned long long>(h.count));
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "gridmap_request_seconds_sum{route=\"%s\"} "
                  "%.6f\ngridmap_request_seconds_count{route=\"%s\"} %llu\n",
                  route.c_str(), h.sum, route.c_str(), static_cast<unsigned long long>(h.count));
    out += buf;
  }
  for (auto& [name, v] : counters_) {
    std::snprintf(buf, sizeof buf, "# TYPE %s counter\n%s %.0f\n", name.c_str(), name.c_str(), v);
    out += buf;
  }
  for (auto& g : gauges_) {
    std::snprintf(buf, sizeof buf, "# HELP %s %s\n# TYPE %s gauge\n%s %.6g\n", g.name.c_str(),
                  g.help.c_str(), g.name.c_str(), g.name.c_str(), g.read());
    out += buf;
  }
  return out;
}

}  // namespace gridmap::server
