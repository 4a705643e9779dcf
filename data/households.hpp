// Repository of households (public: a point, an address, its grid) and their residents
// (personal data, kept in their own table and never joined into anything public).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

struct Household {
  std::optional<int64_t> id;
  std::string address;
  LonLat position;
  std::optional<std::string> grid_code, community_code, subdistrict_code;
};

struct Resident {
  std::optional<int64_t> id;
  int64_t household_id = 0;
  std::string name;
  std::optional<std::string> phone, id_number, notes;
};

class HouseholdRepo {
 public:
  explicit HouseholdRepo(Db& db);
  int64_t upsert(const Household& h);
  int64_t add_resident(const Resident& r);
  std::optional<Household> get(int64_t id);
  void for_each(const std::function<void(const Household&)>& f);  // ordered by id
  int64_t count();
  int64_t count_residents();

 private:
  Db& db_;
  Statement upsert_, add_resident_;
};

}  // namespace gridmap::data
