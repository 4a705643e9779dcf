// gzip with libdeflate at a fast level: tiles are compressed once, when they are built.
#pragma once

#include <string>
#include <string_view>

namespace gridmap::tiles {

std::string gzip(std::string_view raw, int level = 1);
// `raw_size` is the exact size of the uncompressed data (the cache keeps it).
std::string gunzip(std::string_view compressed, size_t raw_size);

}  // namespace gridmap::tiles
