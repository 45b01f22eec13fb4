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

void expect_efficiency(const Efficiency& e, double load_balance, double communication, double parallel) {
  EXPECT_NEAR(e.load_balance, load_balance, 1e-9);
  EXPECT_NEAR(e.communication, communication, 1e-9);
  EXPECT_NEAR(e.parallel, parallel, 1e-9);
}

TEST(Efficiencies, OneRankOfFourThreadsUnderALock) {
  // The GIL experiment as 1 x 4 over 10 s: each thread works 2.5 s and waits 7.5 s for the lock.
  // Useful {2.5 x 4}: load balance 1, communication 0.25, parallel 0.25.
  // No MPI at all: the rank is outside MPI for all 10 s, so MPI 1 x 1 = 1 and OpenMP carries all:
  // 1 x 0.25 = 0.25. Additive: OpenMP parallel 1 + 0.25 - 1 = 0.25, balance 1, the rest 0.25.
  std::vector<ThreadTimes> threads;
  for (int t = 0; t < 4; ++t) threads.push_back(worker(0, t, 1, {{Activity::work, 2.5}, {Activity::lock_wait, 7.5}}));
  const auto e = efficiencies(threads, 10);
  expect_efficiency(e.overall, 1, 0.25, 0.25);
  expect_efficiency(e.mpi, 1, 1, 1);
  expect_efficiency(e.openmp, 1, 0.25, 0.25);
  expect_efficiency(e.additive.mpi, 1, 1, 1);
  expect_efficiency(e.additive.openmp, 1, 0.25, 0.25);
}

TEST(Efficiencies, TwoRanksOfTwoThreadsUnderALock) {
  // 2 x 2 over 10 s, each rank's threads taking turns: work 5 s, lock wait 5 s each.
  // Overall 1 x 0.5; MPI 1 (the ranks never wait on each other); OpenMP 0.5.
  std::vector<ThreadTimes> threads;
  for (int r = 0; r < 2; ++r)
    for (int t = 0; t < 2; ++t) threads.push_back(worker(r, t, 1, {{Activity::work, 5}, {Activity::lock_wait, 5}}));
  const auto e = efficiencies(threads, 10);
  expect_efficiency(e.overall, 1, 0.5, 0.5);
  expect_efficiency(e.mpi, 1, 1, 1);
  expect_efficiency(e.openmp, 1, 0.5, 0.5);
  expect_efficiency(e.additive.openmp, 1, 0.5, 0.5);
}

TEST(Efficiencies, OneRankWaitingOnTheOther) {
  // 2 x 1 over 10 s: rank 0 works 10 s; rank 1 works 5 s and then waits in MPI for rank 0 (after its
  // end, so its thread's recorded time is 5 s). Useful {10, 5}: 0.75 x 1 = 0.75. Outside MPI
  // {10, 5}: MPI 0.75 x 1 = 0.75. OpenMP 1: nothing is lost inside a rank.
  const std::vector<ThreadTimes> threads = {worker(0, 0, 2, {{Activity::work, 10}}),
                                            worker(1, 0, 1, {{Activity::work, 5}})};
  const auto e = efficiencies(threads, 10);
  expect_efficiency(e.overall, 0.75, 1, 0.75);
  expect_efficiency(e.mpi, 0.75, 1, 0.75);
  expect_efficiency(e.openmp, 1, 1, 1);
  // Additive: MPI balance 1 - (10 - 7.5) / 10 = 0.75, communication 1; OpenMP 1 + 0.75 - 0.75 = 1.
  expect_efficiency(e.additive.mpi, 0.75, 1, 0.75);
  expect_efficiency(e.additive.openmp, 1, 1, 1);
}

TEST(Efficiencies, TimeInMpiCallsIsMpisAndTheSharedMemoryHandOutIsOpenMPs) {
  // 2 x 1 over 10 s: rank 1 spends 2 s taking chunks through MPI and 2 s idle.
  // Useful {10, 6}: 0.8 x 1. Outside MPI {10, 8}: MPI 0.9 x 1. OpenMP 0.8 / 0.9 x 1.
  const std::vector<ThreadTimes> mpi = {
      worker(0, 0, 1, {{Activity::work, 10}}),
      worker(1, 0, 1, {{Activity::work, 6}, {Activity::mpi, 2}, {Activity::idle, 2}})};
  const auto e = efficiencies(mpi, 10);
  expect_efficiency(e.overall, 0.8, 1, 0.8);
  expect_efficiency(e.mpi, 0.9, 1, 0.9);
  expect_efficiency(e.openmp, 0.8 / 0.9, 1, 0.8 / 0.9);
  // The same 2 s in the node's shared-memory hand-out: no MPI call, so MPI is 1.
  const std::vector<ThreadTimes> shared = {
      worker(0, 0, 1, {{Activity::work, 10}}),
      worker(1, 0, 1, {{Activity::work, 6}, {Activity::handout, 2}, {Activity::idle, 2}})};
  expect_efficiency(efficiencies(shared, 10).mpi, 1, 1, 1);
}

TEST(Efficiencies, MixedCaseOfDocsMetrics) {
  // docs/metrics.md works this one through. 2 x 2 over 10 s:
  //   rank 0: t0 work 8 idle 2;        t1 work 4 lock_wait 4 idle 2     (outside MPI 10, 10)
  //   rank 1: t0 work 5 mpi 3 idle 2;  t1 work 5 mpi 1 idle 4           (outside MPI 7, 9)
  // Useful {8, 4, 5, 5}: mean 5.5, max 8 -> 0.6875 x 0.8 = 0.55.
  // Outside MPI per rank {10, 8}: 0.9 x 1 = 0.9. OpenMP: 0.6875/0.9, 0.8, 0.55/0.9.
  // Additive: MPI 0.9 = 0.9 + 1 - 1; OpenMP 1 + 0.55 - 0.9 = 0.65, balance 1 - mean(8-6, 5-5)/10
  // = 0.9, the rest 0.65 - 0.9 + 1 = 0.75.
  const std::vector<ThreadTimes> threads = {
      worker(0, 0, 1, {{Activity::work, 8}, {Activity::idle, 2}}),
      worker(0, 1, 1, {{Activity::work, 4}, {Activity::lock_wait, 4}, {Activity::idle, 2}}),
      worker(1, 0, 1, {{Activity::work, 5}, {Activity::mpi, 3}, {Activity::idle, 2}}),
      worker(1, 1, 1, {{Activity::work, 5}, {Activity::mpi, 1}, {Activity::idle, 4}}),
  };
  const auto e = efficiencies(threads, 10);
  expect_efficiency(e.overall, 0.6875, 0.8, 0.55);
  expect_efficiency(e.mpi, 0.9, 1, 0.9);
  expect_efficiency(e.openmp, 0.6875 / 0.9, 0.8, 0.55 / 0.9);
  expect_efficiency(e.additive.mpi, 0.9, 1, 0.9);
  expect_efficiency(e.additive.openmp, 0.9, 0.75, 0.65);
  EXPECT_NEAR(e.mpi.parallel * e.openmp.parallel, e.overall.parallel, 1e-12);
  EXPECT_NEAR(e.additive.mpi.parallel + e.additive.openmp.parallel - 1, e.overall.parallel, 1e-12);
}

TEST(Efficiencies, EmptyOrZeroWallGiveZeros) {
  const auto none = efficiencies({}, 10);
  expect_zero(none.overall);
  expect_zero(none.mpi);
  expect_zero(none.openmp);
  const std::vector<ThreadTimes> threads = {worker(0, 0, 1, {{Activity::work, 2}})};
  const auto no_wall = efficiencies(threads, 0);
  expect_zero(no_wall.overall);
  expect_zero(no_wall.mpi);
  expect_zero(no_wall.additive.openmp);
}

TEST(CpuShare, CpuTimeOverTimeInItems) {
  auto spin = worker(0, 0, 1, {{Activity::work, 4}});
  spin.item_cpu_ns = 4 * kSecond;
  spin.measured_item_ns = 4 * kSecond;
  auto sleep = worker(0, 1, 1, {{Activity::work, 4}});
  sleep.item_cpu_ns = kSecond / 200;
  sleep.measured_item_ns = 2 * kSecond;  // only some of its items were measured: the share is of those
  EXPECT_NEAR(cpu_share_of_items({spin}), 1.0, kTolerance);
  EXPECT_NEAR(cpu_share_of_items({sleep}), 0.0025, kTolerance);
  EXPECT_NEAR(cpu_share_of_items({spin, sleep}), 4.005 / 6, kTolerance);
  EXPECT_LT(cpu_share_of_items({worker(0, 0, 0, {{Activity::idle, 1}})}), 0);
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
