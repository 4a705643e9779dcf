#include "server/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
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

void Metrics::counter(std::string name, std::string help, std::function<double()> read) {
  if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0) name += "_total";
  std::lock_guard l(lock_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), true});
}

namespace {

// A sample value at full precision: the shortest text that reads back as the same double.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void family(std::string& out, const std::string& name, const char* type, const std::string& help,
            double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         number(value) + "\n";
}

// The process's own metrics under Prometheus's standard names, from /proc.
void process_metrics(std::string& out) {
  long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command (which may hold spaces, so read from its closing parenthesis).
  size_t close = line.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(rest), {}};
    // rest[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
    auto field = [&](size_t n) { return n - 3 < f.size() ? std::strtod(f[n - 3].c_str(), nullptr) : 0.0; };
    family(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
           (field(14) + field(15)) / static_cast<double>(ticks));
    family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23));
    family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           field(24) * static_cast<double>(page));
    std::ifstream boot("/proc/stat");
    double btime = 0;
    for (std::string l; std::getline(boot, l);)
      if (l.rfind("btime ", 0) == 0) btime = std::strtod(l.c_str() + 6, nullptr);
    if (btime > 0)
      family(out, "process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch in seconds.",
             btime + field(22) / static_cast<double>(ticks));
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  if (!ec) family(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           static_cast<double>(limit.rlim_cur));
}

}  // namespace

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
                  "gridmap_request_seconds_sum{route=\"%s\"} ", route.c_str());
    out += buf + number(h.sum) + "\n";
    std::snprintf(buf, sizeof buf, "gridmap_request_seconds_count{route=\"%s\"} %llu\n",
                  route.c_str(), static_cast<unsigned long long>(h.count));
    out += buf;
  }
  for (auto& g : gauges_) family(out, g.name, g.counter ? "counter" : "gauge", g.help, g.read());
  process_metrics(out);
  return out;
}

}  // namespace gridmap::server
