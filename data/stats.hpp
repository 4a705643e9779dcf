// KPIs of petitions per grid, community, subdistrict or worker over a time window.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/petition_types.hpp"

namespace gridmap::data {

enum class StatsLevel { grid, community, subdistrict, worker };
std::optional<StatsLevel> parse_stats_level(std::string_view s) noexcept;

struct StatsRow {
  std::string code, name;
  int64_t total = 0;
  std::array<int64_t, kAllStatuses.size()> by_status{};  // indexed by Status
  int64_t closed = 0;
  int64_t closed_on_time = 0, reopened = 0, overdue = 0;
  double completion_rate = 0;  // closed / total
  double on_time_rate = 0;     // closed within deadline / closed
  double rework_rate = 0;      // reopened / closed
  // 回访: petitions whose reporter was reached (their latest such follow-up), and of those
  // the satisfied or basically satisfied; satisfaction_rate = satisfied / followed_up.
  int64_t followed_up = 0, satisfied = 0;
  int64_t extended = 0;         // petitions granted at least one extension (延期)
  double extension_rate = 0;    // extended / total
  double satisfaction_rate = 0;
  std::optional<double> mean_hours_to_close, p90_hours_to_close;
};

// Petitions created in [from, to) (open ends when absent); overdue = open past deadline at `now`.
// Which petitions count: within a subdistrict or community, of a category (a 小类, or every
// 小类 of a 大类).
struct StatsFilter {
  std::optional<std::string> subdistrict_code, community_code, category;
};
std::vector<StatsRow> petition_stats(Db& db, StatsLevel level, std::optional<int64_t> from,
                                     std::optional<int64_t> to, int64_t now, const StatsFilter& filter = {});

}  // namespace gridmap::data
