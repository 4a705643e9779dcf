// The header of a SpatiaLite geometry BLOB, as the geometry columns store it: 0x00, the byte
// order (1: little-endian), the SRID, the bounding box (min x, min y, max x, max y), 0x7C and
// the geometry class; the BLOB ends with 0xFE. Read straight from the column, it gives a
// geometry's box and kind without a SQL function call per row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "geo/types.hpp"

namespace gridmap {

struct BlobHeader {
  bool little = true;
  int32_t srid = 0;
  Box box;                      // finite, min <= max
  uint32_t geometry_class = 0;  // 1 point, 3 polygon, 6 multipolygon ...; +1000 Z, +2000 M
};

// Bytes before the geometry's body: start, order, SRID, box, 0x7C, class.
inline constexpr size_t kBlobHeaderBytes = 43;

// nullopt when the bytes are not a SpatiaLite geometry BLOB (or its box is not finite and
// ordered).
std::optional<BlobHeader> read_blob_header(std::string_view blob) noexcept;

}  // namespace gridmap
