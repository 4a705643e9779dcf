// Coordinate reference systems accepted on input and offered on output: WGS84 (and CGCS2000,
// equal within a metre), any EPSG CRS through PROJ, and China's offset systems GCJ-02 and
// BD-09, which PROJ does not know.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "geo/types.hpp"

namespace gridmap::crs {

enum class Kind { wgs84, gcj02, bd09, epsg };

struct Crs {
  Kind kind = Kind::wgs84;
  int epsg = 4326;  // meaningful when kind == epsg
  std::string name() const;  // "wgs84", "gcj02", "bd09", "EPSG:3857"
  friend bool operator==(const Crs&, const Crs&) = default;
};

// "wgs84", "cgcs2000", "gcj02", "bd09", "EPSG:N" (case-insensitive); EPSG:4326 and
// EPSG:4490 are WGS84. Throws invalid_input naming the accepted forms.
Crs parse(std::string_view text);

// Whether GCJ-02 applies at this point (outside China it is the identity).
bool outside_china(LonLat p) noexcept;
LonLat wgs84_to_gcj02(LonLat p) noexcept;
LonLat gcj02_to_wgs84(LonLat p) noexcept;  // iterative; error well under a centimetre
LonLat gcj02_to_bd09(LonLat p) noexcept;
LonLat bd09_to_gcj02(LonLat p) noexcept;

// Converts between two CRSs through WGS84. Owns its PROJ objects: use one per thread.
class Transformer {
 public:
  Transformer(Crs from, Crs to);  // throws invalid_input for an EPSG code PROJ does not know
  ~Transformer();
  Transformer(Transformer&&) noexcept;
  Transformer& operator=(Transformer&&) noexcept;

  // Throws invalid_input when the point cannot be converted (out of the CRS's domain).
  LonLat operator()(LonLat p) const;
  bool is_identity() const noexcept;
  const Crs& from() const noexcept { return from_; }
  const Crs& to() const noexcept { return to_; }

 private:
  struct Proj;
  Crs from_, to_;
  std::unique_ptr<Proj> proj_;
};

}  // namespace gridmap::crs
