// The release and the commit gridmap was built from (`gridmap --version`, /healthz, the
// gridmap_build_info metric); written at build time by cmake/version_info.cmake.
#pragma once

namespace gridmap {

const char* version() noexcept;  // "0.1.0"
const char* commit() noexcept;   // `git describe --always --dirty`, or "unknown" outside git

}  // namespace gridmap
