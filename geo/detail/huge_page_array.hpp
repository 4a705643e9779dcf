// A fixed-size array in one allocation backed by huge pages where the system offers them: a
// worker-index query or move touches a few slots far apart, and with 4 KiB pages each would
// also cost a TLB miss.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

namespace gridmap::detail {

// `bytes` rounded up to whole alignments; aligned to 2 MiB (and advised to use huge pages)
// from 2 MiB on, else to `align`. Throws std::bad_alloc. Freed by huge_page_free.
void* huge_page_alloc(size_t bytes, size_t align);
void huge_page_free(void* p) noexcept;

template <class T>
class HugePageArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are freed, not destroyed");

 public:
  explicit HugePageArray(size_t n)
      : items_(static_cast<T*>(huge_page_alloc(n * sizeof(T), alignof(T)))), n_(n) {
    for (size_t i = 0; i < n; ++i) new (items_ + i) T();
  }
  ~HugePageArray() { huge_page_free(items_); }
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;

  T& operator[](size_t i) noexcept { return items_[i]; }
  const T& operator[](size_t i) const noexcept { return items_[i]; }
  size_t size() const noexcept { return n_; }
  const T* data() const noexcept { return items_; }

 private:
  T* items_;
  size_t n_;
};

}  // namespace gridmap::detail
