// Two stages on two cores: one thread makes chunks of work (reads and checks a file's rows),
// the calling thread consumes them in order (writes them to the database, which only it
// touches). A bounded queue between them keeps memory flat; the first exception of either
// stage stops both and comes out of run() once the other thread is joined.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace gridmap::data {

template <class T>
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}

  // From the producing stage: waits while the queue is full; drops the chunk once stopped.
  void push(std::unique_ptr<T> chunk) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
    if (stop_) return;
    queue_.push_back(std::move(chunk));
    ready_.notify_one();
  }
  // The consuming stage failed: the producer may give up early.
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stop_;
  }

  // Runs produce() on a thread of its own and consume(const T&) here on each chunk in order.
  template <class Produce, class Consume>
  void run(Produce&& produce, Consume&& consume) {
    std::exception_ptr produced;
    std::thread producer([&] {
      try {
        produce();
      } catch (...) {
        produced = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      done_ = true;
      ready_.notify_one();
    });
    std::exception_ptr consumed;
    try {
      for (;;) {
        std::unique_ptr<T> chunk;
        {
          std::unique_lock lock(mutex_);
          ready_.wait(lock, [&] { return done_ || !queue_.empty(); });
          if (queue_.empty()) break;  // done and drained
          chunk = std::move(queue_.front());
          queue_.pop_front();
          room_.notify_one();
        }
        consume(*chunk);
      }
    } catch (...) {
      consumed = std::current_exception();
      std::lock_guard lock(mutex_);
      stop_ = true;
      room_.notify_all();
    }
    producer.join();
    if (produced) std::rethrow_exception(produced);
    if (consumed) std::rethrow_exception(consumed);
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::unique_ptr<T>> queue_;
  bool done_ = false, stop_ = false;
};

}  // namespace gridmap::data
