#include "geo/detail/huge_page_array.hpp"

#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gridmap::detail {

void* huge_page_alloc(size_t bytes, size_t align) {
  constexpr size_t huge = size_t{2} << 20;
  if (bytes >= huge) align = huge;
  bytes = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == huge) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
  return p;
}

void huge_page_free(void* p) noexcept {
  std::free(p);
}

}  // namespace gridmap::detail
