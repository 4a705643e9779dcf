// Reading a test's database: header-only, for the test programs that link the data library.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "data/db.hpp"

namespace gridmap::test {

// The first value of the first row of `sql` on `db` (a count, a sum); the test stops when there
// is no row.
inline int64_t scalar(data::Db& db, const std::string& sql) {
  data::Statement st(db, sql);
  REQUIRE(st.step());
  return st.int64(0);
}

}  // namespace gridmap::test
