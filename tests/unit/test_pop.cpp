// metrics: POP efficiencies (load balance x communication = parallel), their hybrid split into an
// MPI part and an OpenMP part, and each rank's share of the run. Every expected value is worked out
// by hand in the comments.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "hybridscope/metrics/pop.hpp"
#include "hybridscope/trace/interval.hpp"

namespace hybridscope::metrics {
namespace {

using trace::Activity;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr double kTolerance = 1e-12;

void expect_zero(const Efficiency& e) {
  EXPECT_EQ(e.load_balance, 0.0);
  EXPECT_EQ(e.communication, 0.0);
  EXPECT_EQ(e.parallel, 0.0);
}

// A worker thread with the given seconds per kind.
ThreadTimes worker(int rank, int thread, std::uint64_t items,
                   std::initializer_list<std::pair<Activity, double>> seconds) {
  ThreadTimes t;
  t.rank = rank;
  t.thread = thread;
  t.items = items;
  for (const auto& [kind, s] : seconds) t.ns[std::size_t(kind)] += std::int64_t(s * double(kSecond));
  return t;
}

// ---------------------------------------------------------------------------------------------
// pop

TEST(Pop, TwoWorkers) {
  // Useful 3 s and 4 s over a wall time of 5 s: mean 3.5, max 4.
  // Load balance 3.5 / 4 = 0.875, communication 4 / 5 = 0.8, parallel 0.875 x 0.8 = 0.7.
  const Efficiency e = pop({3, 4}, 5);
  EXPECT_NEAR(e.load_balance, 0.875, kTolerance);
  EXPECT_NEAR(e.communication, 0.8, kTolerance);
  EXPECT_NEAR(e.parallel, 0.7, kTolerance);
  // The order of the workers does not matter.
  const Efficiency swapped = pop({4, 3}, 5);
  EXPECT_EQ(swapped.load_balance, e.load_balance);
  EXPECT_EQ(swapped.communication, e.communication);
  EXPECT_EQ(swapped.parallel, e.parallel);
}

TEST(Pop, PerfectRunIsOne) {
  const Efficiency e = pop({2, 2, 2}, 2);
  EXPECT_NEAR(e.load_balance, 1.0, kTolerance);
  EXPECT_NEAR(e.communication, 1.0, kTolerance);
  EXPECT_NEAR(e.parallel, 1.0, kTolerance);
}

TEST(Pop, ManyWorkersOneIdle) {
  // Useful {1, 2, 3, 0} s over 4 s: mean 1.5, max 3. Load balance 0.5, communication 0.75,
  // parallel 0.375 = mean / wall = 1.5 / 4.
  const Efficiency e = pop({1, 2, 3, 0}, 4);
  EXPECT_NEAR(e.load_balance, 0.5, kTolerance);
  EXPECT_NEAR(e.communication, 0.75, kTolerance);
  EXPECT_NEAR(e.parallel, 0.375, kTolerance);
}

TEST(Pop, NoWorkersNoWallTimeOrNoWorkGiveZeros) {
  expect_zero(pop({}, 5));
  expect_zero(pop({3, 4}, 0));
  expect_zero(pop({3, 4}, -1));
  expect_zero(pop({0, 0}, 5));
  expect_zero(pop({}, 0));
}

// ---------------------------------------------------------------------------------------------
// efficiencies

TEST(Efficiencies, OnlyWorkAndIoAreUseful) {
  const ThreadTimes t = worker(0, 0, 1,
                               {{Activity::startup, 1}, {Activity::work, 2}, {Activity::io, 3},
                                {Activity::idle, 4}, {Activity::handout, 5}, {Activity::lock_wait, 6},
                                {Activity::shutdown, 7}, {Activity::abandoned, 8}});
  EXPECT_EQ(t.useful_ns(), 5 * kSecond);
}

TEST(Efficiencies, HybridTwoRanksOfTwoThreads) {
  // Wall time 10 s. Useful time (work + io) per thread:
  //   rank 0: thread 0 8 s (6 work + 2 io), thread 1 4 s        -> busiest 8 s
  //   rank 1: thread 0 5 s,                 thread 1 5 s        -> busiest 5 s
  // Overall over the 4 threads {8, 4, 5, 5}: mean 5.5, max 8
  //   load balance 5.5 / 8 = 0.6875, communication 8 / 10 = 0.8, parallel 0.55.
  // MPI, each rank as its busiest thread {8, 5}: mean 6.5, max 8
  //   load balance 6.5 / 8 = 0.8125, communication 0.8, parallel 0.65.
  // OpenMP: useful 22 s / (2 threads x (8 + 5) s) = 22 / 26 = 11 / 13; and 0.65 x 11 / 13 = 0.55.
  // Idle, hand-out and lock waits are not useful. The rows are in no particular order.
  const std::vector<ThreadTimes> threads = {
      worker(1, 1, 20, {{Activity::work, 5}, {Activity::idle, 5}}),
      worker(0, 0, 30, {{Activity::work, 6}, {Activity::io, 2}, {Activity::startup, 2}}),
      worker(1, 0, 25, {{Activity::work, 5}, {Activity::lock_wait, 5}}),
      worker(0, 1, 10, {{Activity::work, 4}, {Activity::idle, 5}, {Activity::handout, 1}}),
  };
  const Efficiencies e = efficiencies(threads, 2, 10);
  EXPECT_NEAR(e.overall.load_balance, 0.6875, kTolerance);
  EXPECT_NEAR(e.overall.communication, 0.8, kTolerance);
  EXPECT_NEAR(e.overall.parallel, 0.55, kTolerance);
  EXPECT_NEAR(e.mpi.load_balance, 0.8125, kTolerance);
  EXPECT_NEAR(e.mpi.communication, 0.8, kTolerance);
  EXPECT_NEAR(e.mpi.parallel, 0.65, kTolerance);
  EXPECT_NEAR(e.openmp, 11.0 / 13.0, kTolerance);
  EXPECT_NEAR(e.mpi.parallel * e.openmp, e.overall.parallel, kTolerance);
}

TEST(Efficiencies, PureProcessesAndPureThreads) {
  // One thread per rank: the MPI part is the whole story and OpenMP is 1.
  // {2, 4} over 4 s: load balance 3 / 4 = 0.75, communication 1, parallel 0.75.
  const std::vector<ThreadTimes> processes = {worker(0, 0, 1, {{Activity::work, 2}}),
                                              worker(1, 0, 1, {{Activity::work, 4}})};
  const Efficiencies p = efficiencies(processes, 1, 4);
  EXPECT_NEAR(p.overall.parallel, 0.75, kTolerance);
  EXPECT_NEAR(p.mpi.parallel, 0.75, kTolerance);
  EXPECT_NEAR(p.mpi.load_balance, 0.75, kTolerance);
  EXPECT_NEAR(p.openmp, 1.0, kTolerance);
  // One rank: MPI balance is 1 (one busiest thread), OpenMP carries the imbalance: 6 / (2 x 4) = 0.75.
  const std::vector<ThreadTimes> threads = {worker(0, 0, 1, {{Activity::work, 2}}),
                                            worker(0, 1, 1, {{Activity::work, 4}})};
  const Efficiencies t = efficiencies(threads, 2, 4);
  EXPECT_NEAR(t.overall.parallel, 0.75, kTolerance);
  EXPECT_NEAR(t.mpi.load_balance, 1.0, kTolerance);
  EXPECT_NEAR(t.mpi.communication, 1.0, kTolerance);
  EXPECT_NEAR(t.openmp, 0.75, kTolerance);
}

TEST(Efficiencies, EmptyZeroWallOrNoThreadsPerRankGiveZeros) {
  const Efficiencies none = efficiencies({}, 2, 10);
  expect_zero(none.overall);
  expect_zero(none.mpi);
  EXPECT_EQ(none.openmp, 0.0);

  const std::vector<ThreadTimes> threads = {worker(0, 0, 1, {{Activity::work, 2}}),
                                            worker(0, 1, 1, {{Activity::work, 4}})};
  const Efficiencies no_wall = efficiencies(threads, 2, 0);
  expect_zero(no_wall.overall);
  expect_zero(no_wall.mpi);
  EXPECT_EQ(efficiencies(threads, 0, 4).openmp, 0.0);

  const std::vector<ThreadTimes> idle = {worker(0, 0, 0, {{Activity::idle, 4}})};
  const Efficiencies no_work = efficiencies(idle, 1, 4);
  expect_zero(no_work.overall);
  expect_zero(no_work.mpi);
  EXPECT_EQ(no_work.openmp, 0.0);
}

// ---------------------------------------------------------------------------------------------
// rank_shares

TEST(RankShares, ItemsAndBusySharePerRank) {
  // The threads of Efficiencies.HybridTwoRanksOfTwoThreads, wall 10 s:
  //   rank 0: items 30 + 10 = 40, busy (8 + 4) / (2 threads x 10 s) = 0.6
  //   rank 1: items 25 + 20 = 45, busy (5 + 5) / (2 x 10) = 0.5
  const std::vector<ThreadTimes> threads = {
      worker(1, 1, 20, {{Activity::work, 5}, {Activity::idle, 5}}),
      worker(0, 0, 30, {{Activity::work, 6}, {Activity::io, 2}, {Activity::startup, 2}}),
      worker(1, 0, 25, {{Activity::work, 5}, {Activity::lock_wait, 5}}),
      worker(0, 1, 10, {{Activity::work, 4}, {Activity::idle, 5}, {Activity::handout, 1}}),
  };
  const auto shares = rank_shares(threads, 2, 10);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0].rank, 0);
  EXPECT_EQ(shares[0].items, 40u);
  EXPECT_NEAR(shares[0].busy, 0.6, kTolerance);
  EXPECT_EQ(shares[1].rank, 1);
  EXPECT_EQ(shares[1].items, 45u);
  EXPECT_NEAR(shares[1].busy, 0.5, kTolerance);
}

TEST(RankShares, EveryRankListedEvenWithoutThreadsAndOthersIgnored) {
  // Ranks 0..2 asked for; rank 2 has no thread rows, ranks -1 and 3 are out of range.
  // rank 0: one thread, busy 3 / (1 x 4) = 0.75; rank 1: two threads, busy (1 + 2) / (2 x 4) = 0.375.
  const std::vector<ThreadTimes> threads = {
      worker(0, 0, 7, {{Activity::work, 3}}),
      worker(1, 0, 1, {{Activity::work, 1}}),
      worker(1, 1, 2, {{Activity::io, 2}}),
      worker(3, 0, 100, {{Activity::work, 4}}),
      worker(-1, 0, 100, {{Activity::work, 4}}),
  };
  const auto shares = rank_shares(threads, 3, 4);
  ASSERT_EQ(shares.size(), 3u);
  EXPECT_EQ(shares[0].items, 7u);
  EXPECT_NEAR(shares[0].busy, 0.75, kTolerance);
  EXPECT_EQ(shares[1].items, 3u);
  EXPECT_NEAR(shares[1].busy, 0.375, kTolerance);
  EXPECT_EQ(shares[2].rank, 2);
  EXPECT_EQ(shares[2].items, 0u);
  EXPECT_EQ(shares[2].busy, 0.0);

  // No wall time: items still counted, busy 0.
  const auto no_wall = rank_shares(threads, 2, 0);
  ASSERT_EQ(no_wall.size(), 2u);
  EXPECT_EQ(no_wall[0].items, 7u);
  EXPECT_EQ(no_wall[0].busy, 0.0);
  EXPECT_EQ(no_wall[1].busy, 0.0);
  // No ranks: nothing.
  EXPECT_TRUE(rank_shares(threads, 0, 4).empty());
  EXPECT_TRUE(rank_shares(threads, -2, 4).empty());
  EXPECT_TRUE(rank_shares({}, 0, 4).empty());
}

}  // namespace
}  // namespace hybridscope::metrics
