#include "data/changes.hpp"

#include <cstdio>
#include <cstdlib>

#include "data/change_log.hpp"
#include "data/db.hpp"

namespace gridmap::data {

namespace {
void append_box(std::string& out, const std::optional<Box>& b) {
  if (!b) {
    out += "-";
    return;
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g %.17g", b->min_lon, b->min_lat, b->max_lon,
                b->max_lat);
  out += buf;
}

std::optional<Box> parse_box(std::string_view text) {
  std::string s(text);
  Box b;
  if (std::sscanf(s.c_str(), "%lf %lf %lf %lf", &b.min_lon, &b.min_lat, &b.max_lon, &b.max_lat) !=
      4)
    return std::nullopt;
  return b;
}
}  // namespace

std::optional<std::string> notice_detail(const ChangeNotice& n) {
  if (!n.before && !n.after) return std::nullopt;
  std::string out;
  append_box(out, n.before);
  out += ';';
  append_box(out, n.after);
  return out;
}

std::optional<ChangeNotice> notice_of(const LoggedChange& c) {
  auto layer = parse_layer(c.kind);
  if (!layer) return std::nullopt;
  ChangeNotice n{*layer, c.key, std::nullopt, std::nullopt};
  if (c.detail) {
    std::string_view d = *c.detail;
    size_t semi = d.find(';');
    if (semi != std::string_view::npos) {
      n.before = parse_box(d.substr(0, semi));
      n.after = parse_box(d.substr(semi + 1));
    }
  }
  return n;
}

ChangeFeed::ChangeFeed() : origin_(new_origin()) {}

void ChangeFeed::subscribe(Listener listener) {
  std::lock_guard l(lock_);
  listeners_.push_back(std::move(listener));
}

void ChangeFeed::publish(Db& db, ChangeNotice notice) {
  if (db.postgresql()) {
    auto detail = notice_detail(notice);
    log_change(db, origin_, to_string(notice.layer), notice.key,
               detail ? std::optional<std::string_view>(*detail) : std::nullopt);
  }
  db.after_commit([this, n = std::move(notice)]() mutable {
    std::lock_guard l(lock_);
    queued_.push_back(std::move(n));
  });
}

void ChangeFeed::deliver() noexcept {
  std::vector<ChangeNotice> batch;
  std::vector<Listener> listeners;
  {
    std::lock_guard l(lock_);
    if (queued_.empty()) return;
    batch.swap(queued_);
    listeners = listeners_;
  }
  for (const ChangeNotice& n : batch)
    for (const Listener& f : listeners) {
      try {
        f(n);
      } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "gridmap: updating the in-memory indexes after a change of %s %s failed: %s\n",
                     std::string(to_string(n.layer)).c_str(), n.key.c_str(), e.what());
      }
    }
}

}  // namespace gridmap::data
