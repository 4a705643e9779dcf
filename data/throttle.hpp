// The sign-in throttle's memory shared by the servers of one PostgreSQL database: the times
// of attempts per key (gridmap_throttle), read and written in the caller's transaction, so
// that guesses spread over several servers count together. On SQLite (one server per file)
// the throttle keeps them in memory and never calls these.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace gridmap::data {

class Db;

std::deque<int64_t> throttle_times(Db& db, const std::string& key, int64_t since);  // oldest first
void set_throttle_times(Db& db, const std::string& key, const std::deque<int64_t>& times);
int64_t prune_throttle(Db& db, int64_t before);  // rows older than `before`; how many went

}  // namespace gridmap::data
