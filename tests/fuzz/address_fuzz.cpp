// Standard addresses (household import): the parser on any bytes (no crash, no UB, every
// failure explained, every success locatable) and the canonical form of what parses.
#include <string>

#include "data/address.hpp"
#include "fuzz/fuzz.hpp"

using namespace gridmap;

namespace {

std::string show(const data::StandardAddress& a) {
  std::string s;
  for (auto* f : {&a.province, &a.city, &a.district, &a.subdistrict, &a.community, &a.road,
                  &a.number, &a.compound, &a.building, &a.unit, &a.room})
    s += "<" + *f + ">";
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto p = data::parse_address(text);
  if (!p.address) {
    FUZZ_CHECK(!p.problems.empty(), "a failure without a problem");
    return 0;
  }
  const data::StandardAddress& a = *p.address;
  FUZZ_CHECK(!a.compound.empty() || (!a.road.empty() && !a.number.empty()),
             "no locatable base: " + show(a));
  const std::string canonical = data::format_address(a);
  FUZZ_CHECK(!canonical.empty(), "an empty canonical form for " + show(a));
  // The fields are UTF-8, so the canonical form is; whether it parses back to the same fields
  // is tested on the hand-labelled addresses (tests/data/address_test.cpp), not promised for
  // arbitrary text, where junk can shift a boundary the canonical form no longer shows.
  const auto again = data::parse_address(canonical);
  FUZZ_CHECK(again.address || again.problems.front().find("UTF-8") == std::string::npos,
             "the canonical form '" + canonical + "' is not UTF-8");
  return 0;
}
