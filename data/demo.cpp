#include "data/demo.hpp"

#include "geo/error.hpp"

namespace gridmap::data {

std::optional<Preset> parse_preset(std::string_view name) noexcept {
  if (name == "tatabu") return Preset::tatabu;
  if (name == "city") return Preset::city;
  if (name == "province") return Preset::province;
  return std::nullopt;
}

DemoSummary generate_demo(Db&, const DemoOptions&) {
  throw Error(ErrorKind::unavailable, "demo is not built yet");
}

}  // namespace gridmap::data
