// Shared by the fuzz targets: reading structured values from the fuzzer's bytes, and a
// check that stops the program (a crash the fuzzer records) when a property fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// Aborts with the failed condition and a note: libFuzzer saves the input as a crash.
#define FUZZ_CHECK(cond, note)                                                          \
  do {                                                                                  \
    if (!(cond)) ::gridmap::fuzz::fail(__FILE__, __LINE__, #cond, std::string(note)); \
  } while (0)

namespace gridmap::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* cond,
                              const std::string& note) {
  std::fprintf(stderr, "%s:%d: property failed: %s\n  %s\n", file, line, cond, note.c_str());
  std::abort();
}

// The fuzzer's bytes as a stream of values; reading past the end gives zeros and empty
// strings, so every input is a valid (if short) test case.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  size_t remaining() const { return n_; }
  bool empty() const { return n_ == 0; }

  uint8_t byte() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  bool flag() { return byte() & 1; }
  template <class T>
  T integral() {
    T v{};
    size_t k = n_ < sizeof(T) ? n_ : sizeof(T);
    std::memcpy(&v, p_, k);
    p_ += k;
    n_ -= k;
    return v;
  }
  // Uniform enough in [lo, hi] (inclusive).
  int64_t in_range(int64_t lo, int64_t hi) {
    uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    uint64_t v = integral<uint32_t>();
    return span == UINT64_MAX ? static_cast<int64_t>(v) : lo + static_cast<int64_t>(v % (span + 1));
  }
  double real_in(double lo, double hi) {
    return lo + (hi - lo) * (integral<uint32_t>() / 4294967295.0);
  }
  // Any double, NaN and infinities included.
  double any_real() { return integral<double>(); }
  // A string of at most `most` bytes (its length comes first).
  std::string text(size_t most) {
    size_t len = static_cast<size_t>(in_range(0, static_cast<int64_t>(most)));
    if (len > n_) len = n_;
    std::string s(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    n_ -= len;
    return s;
  }
  std::string_view rest() {
    std::string_view s(reinterpret_cast<const char*>(p_), n_);
    p_ += n_;
    n_ = 0;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace gridmap::fuzz
