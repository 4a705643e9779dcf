#include "support/city_support.hpp"

#include <catch2/catch.hpp>

#include "data/db.hpp"

namespace gridmap::test {

int64_t count_rows(const std::string& db, const std::string& sql) {
  data::Db d = data::Db::open(db, false);
  data::Statement st(d, sql);
  REQUIRE(st.step());
  return st.int64(0);
}

data::Household household_in(const std::string& db, const std::string& grid, bool inside) {
  data::Db d = data::Db::open(db, false);
  data::Statement st(
      d, inside ? "SELECT id FROM households WHERE grid_code = ?1 ORDER BY id LIMIT 1"
                : "SELECT id FROM households WHERE grid_code <> ?1 ORDER BY id LIMIT 1");
  st.bind(1, grid);
  REQUIRE(st.step());
  return *data::HouseholdRepo(d).get(st.int64(0));
}

}  // namespace gridmap::test
