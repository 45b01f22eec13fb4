#pragma once
// A process-wide lock that behaves like CPython's GIL: waiters sleep, and a holder that has run for
// its switch interval while another thread waits hands the lock to the longest waiter (FIFO), so
// threads take turns and the holder cannot grab it straight back.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace hybridscope::workloads {

class GilLock {
public:
  void acquire() {
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = next_ticket_.fetch_add(1, std::memory_order_relaxed);
    turn_.wait(lock, [&] { return serving_.load(std::memory_order_relaxed) == ticket; });
  }

  void release() {
    {
      std::lock_guard lock(mutex_);
      serving_.fetch_add(1, std::memory_order_relaxed);
    }
    turn_.notify_all();
  }

  // True when another thread is queued; the holder polls it without taking the mutex.
  bool contended() const {
    return next_ticket_.load(std::memory_order_relaxed) > serving_.load(std::memory_order_relaxed) + 1;
  }

private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::atomic<std::uint64_t> next_ticket_{0};  // written under mutex_
  std::atomic<std::uint64_t> serving_{0};      // written under mutex_
};

// The one lock all threads of this process share, as all Python threads share one interpreter.
GilLock& process_gil();

}  // namespace hybridscope::workloads
