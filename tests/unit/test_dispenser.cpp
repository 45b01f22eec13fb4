// The per-rank item dispenser under real concurrency: every item claimed exactly once, by chunks
// from a static share or from a counter, with no barrier per chunk.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

#include "hybridscope/exec/dispenser.hpp"
#include "hybridscope/sched/source.hpp"

namespace hybridscope::exec {
namespace {

// An in-process stand-in for the global counter.
class LocalCounter final : public sched::ChunkCounter {
public:
  std::uint64_t fetch_add(std::uint64_t delta) override { return value_.fetch_add(delta); }
  std::string_view name() const override { return "local"; }

private:
  std::atomic<std::uint64_t> value_{0};
};

struct Claims {
  std::vector<std::vector<Claim>> per_thread;
  std::vector<trace::ThreadLog> logs;
};

Claims claim_all(ItemDispenser& dispenser, int threads) {
  Claims out;
  out.per_thread.resize(threads);
  out.logs.resize(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      Claim c{};
      while (dispenser.next(c, out.logs[t])) out.per_thread[t].push_back(c);
    });
  for (auto& th : pool) th.join();
  return out;
}

void expect_exactly_once(const Claims& claims, const sched::ChunkPlan& plan) {
  std::vector<int> seen(plan.items(), 0);
  for (const auto& list : claims.per_thread)
    for (const auto& c : list) {
      ASSERT_LT(c.item, plan.items());
      const auto range = plan.chunk(c.chunk);
      ASSERT_GE(c.item, range.begin) << "claim names the wrong chunk";
      ASSERT_LT(c.item, range.end) << "claim names the wrong chunk";
      ++seen[c.item];
    }
  for (std::uint64_t i = 0; i < plan.items(); ++i) ASSERT_EQ(seen[i], 1) << "item " << i;
}

using Shape = std::tuple<std::uint64_t, std::uint64_t, int>;  // items, chunk, threads

class Dispense : public ::testing::TestWithParam<Shape> {};

TEST_P(Dispense, CounterChunksReachEveryItemOnce) {
  const auto [items, chunk, threads] = GetParam();
  const sched::ChunkPlan plan(items, chunk, Strategy::dynamic, 1);
  sched::CounterSource source(plan.count(), std::make_unique<LocalCounter>());
  ItemDispenser dispenser(plan, source);
  const auto claims = claim_all(dispenser, threads);
  expect_exactly_once(claims, plan);
  // The counter communicates: getting chunks shows as hand-out time, never as work.
  for (const auto& log : claims.logs) EXPECT_EQ(log.total_ns(trace::Activity::work), 0);
}

TEST_P(Dispense, StaticShareReachesEveryItemOnce) {
  const auto [items, chunk, threads] = GetParam();
  const sched::ChunkPlan plan(items, chunk, Strategy::static_block, 1);
  sched::StaticSource source(plan, Strategy::static_block, 0, 1);
  ItemDispenser dispenser(plan, source);
  const auto claims = claim_all(dispenser, threads);
  expect_exactly_once(claims, plan);
  for (const auto& log : claims.logs) EXPECT_EQ(log.total_ns(trace::Activity::handout), 0);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Dispense,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 1, 4}, Shape{100, 1, 3},
                                           Shape{100, 7, 2}, Shape{1000, 1000, 4}, Shape{5000, 3, 4},
                                           Shape{20000, 64, 3}, Shape{3, 1, 8}));

// Threads do not wait for each other per chunk: with chunks of 1000 items and one thread stuck on
// its first item, the other thread still runs all the rest.
TEST(Dispenser, NoThreadWaitsForASiblingWithinAChunk) {
  const sched::ChunkPlan plan(3000, 1000, Strategy::dynamic, 1);
  sched::CounterSource source(plan.count(), std::make_unique<LocalCounter>());
  ItemDispenser dispenser(plan, source);
  trace::ThreadLog slow_log, fast_log;
  Claim held{};
  ASSERT_TRUE(dispenser.next(held, slow_log));  // the slow thread holds one item and stops
  std::uint64_t fast = 0;
  std::thread other([&] {
    Claim c{};
    while (dispenser.next(c, fast_log)) ++fast;
  });
  other.join();
  EXPECT_EQ(fast, 2999u);
}

TEST(Dispenser, CancelStopsEveryThreadAndTheSource) {
  const sched::ChunkPlan plan(1000, 10, Strategy::dynamic, 1);
  sched::CounterSource source(plan.count(), std::make_unique<LocalCounter>());
  ItemDispenser dispenser(plan, source);
  trace::ThreadLog log;
  Claim c{};
  ASSERT_TRUE(dispenser.next(c, log));
  dispenser.cancel();
  EXPECT_FALSE(dispenser.next(c, log));
  EXPECT_FALSE(source.next().has_value()) << "the shared counter was not pushed past the end";
}

}  // namespace
}  // namespace hybridscope::exec
