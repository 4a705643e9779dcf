// A spin lock for critical sections of a few dozen instructions (the worker index's
// directory stripes), and the pause a spinning waiter takes between attempts.
#pragma once

#include <atomic>
#include <thread>

namespace gridmap::detail {

// Tells the core a spin-wait loop is running (cheaper for the sibling hyper-thread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A test-and-test-and-set lock: one atomic exchange to take it and a plain store to release
// it. A waiter yields after a short spin, so a preempted holder does not burn the waiter's
// time slice.
class SpinLock {
 public:
  void lock() noexcept {
    for (int spins = 0; flag_.exchange(true, std::memory_order_acquire);)
      while (flag_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace gridmap::detail
