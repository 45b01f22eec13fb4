// workloads::GilLock: one holder at a time, handed over in arrival order, so that a holder that
// releases it cannot take it straight back from a waiter.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/workloads/gil_lock.hpp"

namespace hybridscope::workloads {
namespace {

TEST(GilLock, NeverTwoHoldersAtOnce) {
  GilLock gil;
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::uint64_t unprotected = 0;  // only ever touched under the lock
  constexpr int kThreads = 3, kRounds = 3000;
  std::latch start(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kRounds; ++i) {
        gil.acquire();
        const int now = holders.fetch_add(1) + 1;
        int seen = max_holders.load();
        while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
        }
        unprotected = unprotected + 1;
        holders.fetch_sub(1);
        gil.release();
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(max_holders.load(), 1);
  EXPECT_EQ(unprotected, std::uint64_t{kThreads} * kRounds);
  EXPECT_FALSE(gil.contended());
}

TEST(GilLock, HolderCannotTakeItStraightBackFromAWaiter) {
  GilLock gil;
  std::vector<char> order;  // written under the lock
  gil.acquire();
  EXPECT_FALSE(gil.contended());
  std::thread waiter([&] {
    gil.acquire();
    order.push_back('W');
    gil.release();
  });
  // Wait (without sleeping) until the waiter has queued.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!gil.contended()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the waiter never queued";
    std::this_thread::yield();
  }
  order.push_back('H');
  gil.release();
  gil.acquire();  // queues behind the waiter (FIFO), unlike a plain mutex
  order.push_back('H');
  gil.release();
  waiter.join();
  EXPECT_EQ(std::string(order.begin(), order.end()), "HWH");
  EXPECT_FALSE(gil.contended());
}

TEST(GilLock, ProcessWideInstance) { EXPECT_EQ(&process_gil(), &process_gil()); }

}  // namespace
}  // namespace hybridscope::workloads
