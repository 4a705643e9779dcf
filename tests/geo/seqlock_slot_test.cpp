#include "geo/detail/seqlock_slot.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <vector>

using namespace gridmap::detail;

namespace {

// Reads a slot's entries the way the worker index's search does: never past what is there,
// even when a torn read pairs a count with another overflow block.
std::vector<EntryValue> read_all(const Slot& s) {
  std::vector<EntryValue> out;
  s.read_consistent([&] {
    out.clear();
    uint32_t n = s.count.load(std::memory_order_relaxed);
    const Overflow* more = nullptr;
    if (n > Slot::kInline) {
      more = s.more.load(std::memory_order_acquire);
      n = std::min(n, Slot::kInline + Slot::capacity(more));
    }
    for (uint32_t i = 0; i < n; ++i) out.push_back(s.read(i, more));
  });
  return out;
}

EntryValue entry_of(int64_t id, uint64_t generation) {
  return {static_cast<uint64_t>(id) * 3 + generation, id, generation};
}

void push(Slot& s, OverflowBlocks& blocks, const EntryValue& v) {
  SlotGuard l(s);
  blocks.make_room(s);
  s.push(v);
}

}  // namespace

TEST_CASE("a slot keeps its entries inline and then in overflow blocks that grow") {
  Slot s;
  OverflowBlocks blocks;
  for (int64_t id = 1; id <= 100; ++id) push(s, blocks, entry_of(id, 0));
  REQUIRE(s.count.load() == 100);
  REQUIRE(s.more.load() != nullptr);
  CHECK(s.more.load()->capacity >= 90);
  std::vector<EntryValue> all = read_all(s);
  REQUIRE(all.size() == 100);
  for (int64_t id = 1; id <= 100; ++id) {
    INFO("id " << id);
    const EntryValue& v = all[static_cast<size_t>(id - 1)];
    CHECK(v.id == id);
    CHECK(v.xy == static_cast<uint64_t>(id) * 3);
    SlotGuard l(s);
    CHECK(s.find(id) == static_cast<uint32_t>(id - 1));
  }
  SlotGuard l(s);
  CHECK(s.find(101) == UINT32_MAX);
  CHECK(s.full() == (s.count.load() == Slot::kInline + s.more.load()->capacity));
}

TEST_CASE("erasing an entry of a slot moves the last one into its place") {
  Slot s;
  OverflowBlocks blocks;
  for (int64_t id = 1; id <= 12; ++id) push(s, blocks, entry_of(id, 0));
  {
    SlotGuard l(s);
    s.erase(s.find(3));   // the last (12, in the overflow block) takes the inline place
    s.erase(s.find(11));  // now the last: nothing moves
  }
  std::vector<EntryValue> all = read_all(s);
  std::vector<int64_t> ids;
  for (const EntryValue& v : all) ids.push_back(v.id);
  CHECK(ids == std::vector<int64_t>{1, 2, 12, 4, 5, 6, 7, 8, 9, 10});
  CHECK(all[2].xy == 36);
  CHECK(all[2].meta == 0);
}

TEST_CASE("a reader waits while a writer holds the slot, and then sees the write") {
  Slot s;
  OverflowBlocks blocks;
  push(s, blocks, entry_of(1, 0));
  std::atomic<bool> done{false};
  std::vector<EntryValue> seen;
  s.lock();
  std::thread reader([&] {
    seen = read_all(s);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(done.load());
  s.write(0, s.overflow(), entry_of(1, 7));
  s.unlock();
  reader.join();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].meta == 7);
  CHECK(seen[0].xy == 10);
}

TEST_CASE("a read that a write overlapped is read again") {
  Slot s;
  OverflowBlocks blocks;
  push(s, blocks, entry_of(1, 0));
  int calls = 0;
  uint64_t meta = 0;
  s.read_consistent([&] {
    if (++calls == 1) {  // a writer slips in while the first read is under way
      SlotGuard l(s);
      s.write(0, s.overflow(), entry_of(1, 5));
    }
    meta = s.read(0, nullptr).meta;
  });
  CHECK(calls == 2);
  CHECK(meta == 5);
  // Without a write in between, one read is enough.
  calls = 0;
  s.read_consistent([&] { ++calls; });
  CHECK(calls == 1);
}

TEST_CASE("concurrent readers only ever see whole states of a slot that writers change") {
  // Writers push, erase and re-stamp every entry with a new generation, each change in one
  // critical section, growing the slot well past its inline entries. A reader that mixed two
  // states would see two generations, an entry whose words disagree, or an id twice.
  Slot s;
  OverflowBlocks blocks;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, torn{0};
  auto reader = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::vector<EntryValue> all = read_all(s);
      std::set<int64_t> ids;
      bool ok = true;
      for (const EntryValue& v : all) {
        ok &= v.meta == all[0].meta;
        ok &= v.xy == static_cast<uint64_t>(v.id) * 3 + v.meta;
        ok &= ids.insert(v.id).second;
      }
      torn += !ok;
      ++reads;
    }
  };
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  auto writer = [&](uint64_t salt) {
    std::mt19937_64 rng(seed + salt);
    int64_t next_id = static_cast<int64_t>(salt) * 1000000;
    for (int step = 0; step < 20000; ++step) {
      SlotGuard l(s);
      uint32_t n = s.count.load(std::memory_order_relaxed);
      Overflow* more = s.overflow();
      uint64_t generation = n ? s.read(0, more).meta : 0;
      switch (rng() % 4) {
        case 0:
        case 1:
          if (n < 60) {
            blocks.make_room(s);
            s.push(entry_of(++next_id, generation));
            break;
          }
          [[fallthrough]];
        case 2:
          if (n > 0) s.erase(static_cast<uint32_t>(rng() % n));
          break;
        default:
          ++generation;
          for (uint32_t i = 0; i < n; ++i)
            s.write(i, s.overflow(), entry_of(s.read(i, s.overflow()).id, generation));
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(reader);
  threads.emplace_back(reader);
  std::thread w1(writer, 1), w2(writer, 2);
  w1.join();
  w2.join();
  stop = true;
  for (std::thread& t : threads) t.join();
  INFO(reads.load() << " reads");
  CHECK(reads.load() > 0);
  CHECK(torn.load() == 0);
  CHECK(s.seq.load() % 2 == 0);
  CHECK(s.seq.load() == 2 * 40000);  // one critical section a step
}

TEST_CASE("two slots locked in either order by two threads never deadlock") {
  Slot a, b;
  constexpr int kRounds = 200000;
  std::atomic<int> unlocked{0};  // times a thread found a slot not held inside its guard
  std::atomic<int> ready{0};
  auto lock_both = [&](Slot& x, Slot& y) {
    ++ready;
    while (ready.load() < 2) std::this_thread::yield();  // both start together
    for (int i = 0; i < kRounds; ++i) {
      TwoSlotGuard l(x, y);
      unlocked += (x.seq.load() & 1) == 0;
      unlocked += (y.seq.load() & 1) == 0;
    }
  };
  std::thread t1(lock_both, std::ref(a), std::ref(b));
  std::thread t2(lock_both, std::ref(b), std::ref(a));
  t1.join();
  t2.join();
  CHECK(unlocked.load() == 0);
  CHECK(a.seq.load() == 2 * 2 * kRounds);
  CHECK(b.seq.load() == 2 * 2 * kRounds);
  {
    TwoSlotGuard same(a, a);  // one lock, not two (the second would wait for ever)
    CHECK(a.seq.load() == 2 * 2 * kRounds + 1);
  }
  CHECK(a.seq.load() == 2 * 2 * kRounds + 2);
}
