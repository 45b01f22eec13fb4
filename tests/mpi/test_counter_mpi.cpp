// The global chunk counter behind dynamic and guided scheduling, in both homes, under whatever
// one-sided component mpiexec selected (ctest runs this binary with --mca osc rdma, pt2pt and ucx).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/clock.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/run.hpp"
#include "support.hpp"
#include "hybridscope/sched/counter.hpp"
#include "hybridscope/workloads/calibrate.hpp"

namespace hybridscope::sched {
namespace {

using namespace std::chrono_literals;

// Each rank adds 1, 2 or 3 in turn and keeps (previous, delta) pairs.
std::vector<std::uint64_t> take_ranges(ChunkCounter& counter, int rank) {
  std::vector<std::uint64_t> mine;
  for (int i = 0; i < 300; ++i) {
    const std::uint64_t delta = 1 + (i + rank) % 3;
    mine.push_back(counter.fetch_add(delta));
    mine.push_back(delta);
  }
  return mine;
}

// The ranges [previous, previous + delta) of all ranks must tile [0, total) exactly. Called after
// the counter is gone: while an RmaCounter lives, its progress thread owns MPI on rank 0.
void expect_ranges_tile(MPI_Comm comm, const std::vector<std::uint64_t>& mine) {
  const int ranks = mpi::size(comm);
  std::vector<std::uint64_t> all(mine.size() * ranks);
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_UINT64_T, all.data(),
                static_cast<int>(mine.size()), MPI_UINT64_T, comm);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (std::size_t i = 0; i < all.size(); i += 2) ranges.emplace_back(all[i], all[i + 1]);
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, delta] : ranges) {
    ASSERT_EQ(begin, expected) << "a range was handed out twice or skipped";
    expected += delta;
  }
}

template <typename Counter, typename... Args>
void check_counter(Args&&... args) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  std::vector<std::uint64_t> mine;
  {
    Counter counter(comm, std::forward<Args>(args)...);
    mine = take_ranges(counter, mpi::rank(comm));
  }
  expect_ranges_tile(comm, mine);
}

// ctest's osc_none variant excludes every one-sided component: windows cannot be made, and the
// counter across nodes must fall back to messages.
bool one_sided_works() {
  const char* expect = std::getenv("HYBRIDSCOPE_TEST_NO_ONE_SIDED");
  return !expect || std::string(expect) != "1";
}

// The name of the counter across nodes under this variant.
const char* remote_counter_name() { return one_sided_works() ? "MPI RMA on rank 0" : "MPI messages to rank 0"; }

TEST(SharedCounter, FetchAddRangesTileTheCount) { check_counter<SharedCounter>(); }

TEST(RmaCounter, FetchAddRangesTileTheCount) {
  if (!one_sided_works()) {
    EXPECT_THROW(RmaCounter(MPI_COMM_WORLD, 50us), OneSidedUnavailable);
    return;
  }
  check_counter<RmaCounter>(50us);
}

TEST(MessageCounter, FetchAddRangesTileTheCount) { check_counter<MessageCounter>(50us); }

// Chunks taken one at a time until the count is reached come out exactly once each, in batches per
// node over either global counter.
void expect_each_chunk_once(std::unique_ptr<ChunkCounter> global) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  constexpr std::uint64_t kChunks = 1000;
  std::vector<std::uint64_t> mine;
  {
    const mpi::NodeComms nodes(comm);
    NodeBatchCounter counter(comm, nodes.node(), kChunks, 2, std::move(global));
    MPI_Barrier(comm);
    for (std::uint64_t index; (index = counter.fetch_add(1)) < kChunks;) mine.push_back(index);
  }
  int count = static_cast<int>(mine.size());
  std::vector<int> counts(mpi::size(comm)), offsets(mpi::size(comm));
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) offsets[r] = std::exchange(total, total + counts[r]);
  std::vector<std::uint64_t> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(mine.data(), count, MPI_UINT64_T, all.data(), counts.data(), offsets.data(), MPI_UINT64_T, comm);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a chunk was handed out twice";
  ASSERT_EQ(all.size(), kChunks) << "chunks were lost";
  EXPECT_EQ(all.back(), kChunks - 1);
}

TEST(NodeBatchCounter, EachChunkOnceOverMessages) {
  expect_each_chunk_once(std::make_unique<MessageCounter>(MPI_COMM_WORLD, 50us));
}

TEST(NodeBatchCounter, EachChunkOnceOverRma) {
  if (!one_sided_works()) GTEST_SKIP() << "no one-sided component in this variant";
  expect_each_chunk_once(std::make_unique<RmaCounter>(MPI_COMM_WORLD, 50us));
}

// A cancel drops the rest of the node's batch too: the next fetch comes back empty. (One rank, so
// that nothing races the cancel; that it reaches the other nodes is the global counter's add.)
TEST(NodeBatchCounter, ACancelDropsTheNodesBatch) {
  constexpr std::uint64_t kChunks = 1000;
  NodeBatchCounter counter(MPI_COMM_SELF, MPI_COMM_SELF, kChunks, 2,
                           std::make_unique<MessageCounter>(MPI_COMM_SELF, 50us));
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_EQ(counter.fetch_add(1), i);
  counter.fetch_add(kChunks);
  EXPECT_GE(counter.fetch_add(1), kChunks);
}

// The pt2pt and ucx components only apply an atomic when the target rank enters MPI. Rank 0 hosts
// the counter and then computes for two seconds without calling MPI; the other ranks must still get
// their chunks long before it is done, thanks to the progress thread. Without it the first fetch
// waits the whole two seconds; with it, each waits for one wake-up of the progress thread, which a
// loaded machine (ranks oversubscribed beside a compiler) can delay by tens of milliseconds.
template <typename Counter>
void expect_hand_out_while_the_host_computes() {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const int rank = mpi::rank(comm);
  if (mpi::size(comm) < 2) GTEST_SKIP() << "needs a second rank";
  std::int64_t finished_ns = 0;
  {
    Counter counter(comm, 50us);
    MPI_Barrier(comm);
    if (rank == 0) {
      counter.fetch_add(0);
      const std::int64_t until = now_ns() + 2'000'000'000;
      std::uint64_t state = 1;
      while (now_ns() < until) state = workloads::burn(1 << 12, state);
      finished_ns = now_ns() + static_cast<std::int64_t>(state & 1);
    } else {
      for (int i = 0; i < 20; ++i) counter.fetch_add(1);
      finished_ns = now_ns();
    }
  }
  // CLOCK_MONOTONIC is one clock for all processes of a host; mpiexec here runs on one host.
  std::vector<std::int64_t> finished(mpi::size(comm));
  MPI_Allgather(&finished_ns, 1, MPI_INT64_T, finished.data(), 1, MPI_INT64_T, comm);
  for (std::size_t r = 1; r < finished.size(); ++r)
    EXPECT_LT(finished[r], finished[0]) << "rank " << r << " waited for rank 0 to enter MPI";
}

TEST(RmaCounter, HandOutProceedsWhileTheHostComputes) {
  if (!one_sided_works()) GTEST_SKIP() << "no one-sided component in this variant";
  expect_hand_out_while_the_host_computes<RmaCounter>();
}

// The server thread answers while rank 0's own threads compute.
TEST(MessageCounter, HandOutProceedsWhileTheHostComputes) {
  expect_hand_out_while_the_host_computes<MessageCounter>();
}

TEST(MakeCounter, PicksSharedMemoryOnOneNodeAndRmaAcrossNodes) {
  const mpi::NodeComms nodes(MPI_COMM_WORLD);
  EXPECT_EQ(make_counter(MPI_COMM_WORLD, nodes.node(), CounterMode::automatic, 1, MPI_THREAD_SERIALIZED, 100)->name(),
            "node shared memory");
  EXPECT_EQ(make_counter(MPI_COMM_WORLD, nodes.node(), CounterMode::automatic, 2, MPI_THREAD_SERIALIZED, 100)->name(),
            std::string(remote_counter_name()) + ", in batches per node");
}

TEST(MakeCounter, RefusesWhatCannotWork) {
  const mpi::NodeComms nodes(MPI_COMM_WORLD);
  EXPECT_THROW(make_counter(MPI_COMM_WORLD, nodes.node(), CounterMode::shared, 2, MPI_THREAD_SERIALIZED, 100),
               InputError);
  EXPECT_THROW(make_counter(MPI_COMM_WORLD, nodes.node(), CounterMode::rma, 1, MPI_THREAD_FUNNELED, 100), Error);
}

// Dynamic and guided runs through either counter execute every item once and agree on the checksum.
TEST(CounterRun, BothCountersGiveTheSameRun) {
  std::optional<std::uint64_t> first;
  for (const char* counter : {"shared", "rma"})
    for (const char* strategy : {"dynamic", "guided"}) {
      const auto config = parse_config(
          fmt::format("items = 301\nchunk = 2\nstrategy = \"{}\"\ncounter = \"{}\"\n[workload]\n"
                      "kind = \"irregular\"\nseconds = 0.00005\n", strategy, counter), "t");
      const auto result = run(MPI_COMM_WORLD, config, test_support::serialized());
      EXPECT_EQ(result.summary.items_done, 301u) << counter << " " << strategy;
      EXPECT_EQ(result.facts.handout, counter == std::string("rma") ? remote_counter_name() : "node shared memory");
      if (!first) first = result.summary.checksum;
      EXPECT_EQ(result.summary.checksum, *first) << counter << " " << strategy;
    }
}

}  // namespace
}  // namespace hybridscope::sched
