#include "data/visit_coverage.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "data/calendar_store.hpp"
#include "data/work_calendar.hpp"

namespace gridmap::data {

namespace {

constexpr int64_t kDay = 86400;

// The working days among the 30 China days ending with the day of `now`.
int64_t working_days_30(Db& db, int64_t now) {
  WorkCalendar calendar = load_calendar(db);
  CstDate today = CstDate::containing(now);
  int64_t n = 0;
  for (int64_t d = today.day - 29; d <= today.day; ++d)
    n += calendar.is_working_day(CstDate{d}) ? 1 : 0;
  return n;
}

// ?1 = 30 days ago, ?2 = 90 days ago, ?3 = now; visits in (?1, ?3] are "the last 30 days".
constexpr const char* kGridSql =
    "SELECT g.code, g.name, coalesce(g.community_code, ''), coalesce(c.subdistrict_code, ''), "
    " (SELECT count(*) FROM households h WHERE h.grid_code = g.code), "
    " (SELECT count(*) FROM households h WHERE h.grid_code = g.code AND EXISTS (SELECT 1 FROM "
    "   visits v WHERE v.household_id = h.id AND v.at > ?1 AND v.at <= ?3)), "
    " (SELECT count(*) FROM households h WHERE h.grid_code = g.code AND EXISTS (SELECT 1 FROM "
    "   visits v WHERE v.household_id = h.id AND v.at > ?2 AND v.at <= ?3)), "
    " (SELECT count(*) FROM households h WHERE h.grid_code = g.code AND NOT EXISTS (SELECT 1 "
    "   FROM visits v WHERE v.household_id = h.id AND v.at <= ?3)), "
    " (SELECT count(*) FROM households h JOIN visits v ON v.household_id = h.id "
    "   WHERE h.grid_code = g.code AND v.at > ?1 AND v.at <= ?3), "
    " CASE WHEN ?4 = 1 THEN AsGeoJSON(SimplifyPreserveTopology(g.geom, 0.00001), 6) END "
    "FROM grids g LEFT JOIN communities c ON c.code = g.community_code ORDER BY g.code";

constexpr const char* kWorkerSql =
    "SELECT w.id, w.name, "
    " (SELECT count(*) FROM households h WHERE h.grid_code IN "
    "   (SELECT grid_code FROM worker_grids WHERE worker_id = w.id)), "
    " (SELECT count(*) FROM households h WHERE h.grid_code IN "
    "   (SELECT grid_code FROM worker_grids WHERE worker_id = w.id) AND EXISTS (SELECT 1 FROM "
    "   visits v WHERE v.household_id = h.id AND v.worker_id = w.id AND v.at > ?1 AND v.at <= "
    "?3)), "
    " (SELECT count(*) FROM households h WHERE h.grid_code IN "
    "   (SELECT grid_code FROM worker_grids WHERE worker_id = w.id) AND EXISTS (SELECT 1 FROM "
    "   visits v WHERE v.household_id = h.id AND v.worker_id = w.id AND v.at > ?2 AND v.at <= "
    "?3)), "
    " (SELECT count(*) FROM households h WHERE h.grid_code IN "
    "   (SELECT grid_code FROM worker_grids WHERE worker_id = w.id) AND NOT EXISTS (SELECT 1 "
    "   FROM visits v WHERE v.household_id = h.id AND v.worker_id = w.id AND v.at <= ?3)), "
    " (SELECT count(*) FROM visits v WHERE v.worker_id = w.id AND v.at > ?1 AND v.at <= ?3) "
    "FROM workers w ORDER BY w.id";

void finish(VisitCoverage& c, int64_t working_days) {
  c.working_days_30d = working_days;
  c.visits_per_working_day =
      working_days ? static_cast<double>(c.visits_30d) / static_cast<double>(working_days) : 0.0;
  c.share_30d =
      c.households ? static_cast<double>(c.visited_30d) / static_cast<double>(c.households) : 0.0;
}

// Rows of level grid, with the simplified geometry when `geometry`.
std::vector<std::pair<VisitCoverage, std::optional<std::string>>> grid_rows(
    Db& db, const VisitCoverageQuery& q, bool geometry) {
  int64_t days = working_days_30(db, q.now);
  std::set<std::string> scope;
  if (q.grids) scope.insert(q.grids->begin(), q.grids->end());
  std::vector<std::pair<VisitCoverage, std::optional<std::string>>> out;
  Statement st(db, kGridSql);
  st.bind(1, q.now - 30 * kDay).bind(2, q.now - 90 * kDay).bind(3, q.now).bind(4, geometry ? 1 : 0);
  while (st.step()) {
    VisitCoverage c;
    c.grid_code = st.text(0);
    if (q.grids && !scope.count(c.grid_code)) continue;
    c.name = st.text(1);
    c.community_code = st.text(2);
    c.subdistrict_code = st.text(3);
    c.households = st.int64(4);
    c.visited_30d = st.int64(5);
    c.visited_90d = st.int64(6);
    c.never_visited = st.int64(7);
    c.visits_30d = st.int64(8);
    finish(c, days);
    out.emplace_back(std::move(c), st.opt_text(9));
  }
  return out;
}

std::vector<VisitCoverage> worker_rows(Db& db, const VisitCoverageQuery& q) {
  int64_t days = working_days_30(db, q.now);
  std::set<int64_t> in_scope;
  if (q.grids) {
    Statement wg(db, "SELECT worker_id, grid_code FROM worker_grids");
    while (wg.step())
      if (std::find(q.grids->begin(), q.grids->end(), wg.text(1)) != q.grids->end())
        in_scope.insert(wg.int64(0));
  }
  std::vector<VisitCoverage> out;
  Statement st(db, kWorkerSql);
  st.bind(1, q.now - 30 * kDay).bind(2, q.now - 90 * kDay).bind(3, q.now);
  while (st.step()) {
    VisitCoverage c;
    c.worker_id = st.int64(0);
    if (q.grids && !in_scope.count(*c.worker_id)) continue;
    c.name = st.text(1);
    c.households = st.int64(2);
    c.visited_30d = st.int64(3);
    c.visited_90d = st.int64(4);
    c.never_visited = st.int64(5);
    c.visits_30d = st.int64(6);
    finish(c, days);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::optional<CoverageLevel> parse_coverage_level(std::string_view s) noexcept {
  if (s == "grid") return CoverageLevel::grid;
  if (s == "worker") return CoverageLevel::worker;
  return std::nullopt;
}

std::vector<VisitCoverage> visit_coverage(Db& db, const VisitCoverageQuery& q) {
  if (q.level == CoverageLevel::worker) return worker_rows(db, q);
  std::vector<VisitCoverage> out;
  for (auto& [c, geom] : grid_rows(db, q, false)) out.push_back(std::move(c));
  return out;
}

std::vector<Feature> visit_coverage_features(Db& db, const VisitCoverageQuery& q) {
  std::vector<Feature> out;
  for (auto& [c, geom] : grid_rows(db, q, true)) {
    Feature f;
    f.id = c.grid_code;
    f.geometry = std::move(geom);
    f.properties = {{"code", c.grid_code},
                    {"name", c.name},
                    {"community_code", c.community_code},
                    {"subdistrict_code", c.subdistrict_code},
                    {"households", c.households},
                    {"visited_30d", c.visited_30d},
                    {"visited_90d", c.visited_90d},
                    {"never_visited", c.never_visited},
                    {"visits_30d", c.visits_30d},
                    {"working_days_30d", c.working_days_30d},
                    {"visits_per_working_day", c.visits_per_working_day},
                    {"share_30d", c.share_30d}};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace gridmap::data
