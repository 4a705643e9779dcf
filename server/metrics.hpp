// Prometheus metrics: requests by route and status, latency histograms, gauges, counters and
// the process's own (CPU, memory, file descriptors), in the text exposition format 0.0.4.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gridmap::server {

// Request counts and latencies are kept per thread (one shard each, merged when rendered),
// so serving threads do not contend for one lock on every request.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  void observe(const std::string& route, int status, double seconds);
  // A gauge read when /metrics is scraped.
  void gauge(std::string name, std::string help, std::function<double()> read);
  // A counter kept elsewhere (a cache's hits), read when scraped; its name ends in _total.
  void counter(std::string name, std::string help, std::function<double()> read);
  std::string render() const;

 private:
  static constexpr std::array<double, 10> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                   0.025,  0.05,  0.1,    0.5,   2.5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
    bool counter = false;
  };
  struct Shard {
    std::mutex lock;  // taken by its own thread, and by render()
    std::map<std::pair<std::string, int>, uint64_t> requests;
    std::map<std::string, Histogram> latency;
  };
  Shard& shard();

  const uint64_t id_;  // tells this instance's shards apart in each thread's cache
  mutable std::mutex lock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<Gauge> gauges_;
};

}  // namespace gridmap::server
