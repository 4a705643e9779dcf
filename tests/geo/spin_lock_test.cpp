#include "geo/detail/spin_lock.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <thread>
#include <vector>

using gridmap::detail::SpinLock;

TEST_CASE("a spin lock lets one thread at a time into its critical section") {
  SpinLock lock;
  // Not atomic: only the lock keeps the increments from being lost (and TSan checks it).
  uint64_t counter = 0;
  int inside = 0, most_inside = 0;
  constexpr int kThreads = 4, kRounds = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        std::lock_guard l(lock);
        most_inside = std::max(most_inside, ++inside);
        ++counter;
        --inside;
      }
    });
  for (std::thread& t : threads) t.join();
  CHECK(counter == uint64_t{kThreads} * kRounds);
  CHECK(most_inside == 1);
}

TEST_CASE("a spin lock held by one thread keeps another waiting until it is released") {
  SpinLock lock;
  lock.lock();
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    std::lock_guard l(lock);
    entered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(entered.load());
  lock.unlock();
  waiter.join();
  CHECK(entered.load());
}
