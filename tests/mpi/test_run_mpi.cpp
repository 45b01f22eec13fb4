// A whole run on the ranks and threads this test was started with: every item is executed exactly
// once, and the run checksum equals a serial reference, for every strategy and workload. ctest runs
// this binary at several rank and thread counts, so equality with the serial reference is equality
// across layouts.
#include <gtest/gtest.h>
#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/run.hpp"
#include "support.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope {
namespace {

using test_support::serialized;

// The checksum a single thread gets by running every item in order.
std::uint64_t serial_checksum(const RunConfig& config) {
  auto workload = workloads::make_workload(config.workload, 1e8);
  auto worker = workload->make_worker();
  trace::ThreadLog log;
  std::uint64_t sum = 0;
  for (std::uint64_t item = 0; item < config.items; ++item)
    sum += workloads::item_checksum(item, worker->run(0, item, log));
  return sum;
}

// How many work or io intervals each item got, summed over all ranks and threads.
std::vector<std::uint64_t> executions_per_item(MPI_Comm comm, const RunResult& result,
                                               std::uint64_t items) {
  std::vector<std::uint64_t> count(items, 0);
  for (const auto& log : result.recording.logs) {
    EXPECT_EQ(log.dropped(), 0u);
    const auto& intervals = log.intervals();
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      const auto& interval = intervals[i];
      // An item is a run of rows with its number (gil items: slices and lock waits); count its end.
      const bool last = i + 1 == intervals.size() || intervals[i + 1].item != interval.item;
      if (!last || (interval.kind != trace::Activity::work && interval.kind != trace::Activity::io)) continue;
      EXPECT_LT(interval.item, items);
      if (interval.item < items) ++count[interval.item];
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(items), MPI_UINT64_T, MPI_SUM, comm);
  return count;
}

struct Case {
  std::string name;
  std::string toml;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  const char* workloads[][2] = {
      {"fib", "kind = \"fib\"\nn = 12"},
      {"spin", "kind = \"spin\"\nseconds = 0.0001"},
      {"sleep", "kind = \"sleep\"\nseconds = 0.0002"},
      {"triad", "kind = \"triad\"\nelements = 256"},
      {"gil", "kind = \"gil\"\nseconds = 0.0002\nswitch_interval = 0.00005"},
      {"irregular", "kind = \"irregular\"\nseconds = 0.0001\ndistribution = \"bimodal\""},
      {"file_io", "kind = \"file_io\"\nbytes = 512"}};
  const char* strategies[] = {"static-block", "static-cyclic", "dynamic", "guided"};
  const char* shapes[][2] = {{"97", "1"}, {"97", "5"}, {"10", "10"}};
  for (const auto& w : workloads)
    for (const char* s : strategies)
      for (const auto& shape : shapes) {
        if (std::string(w[0]) != "fib" && std::string(shape[1]) != "5") continue;
        out.push_back({std::string(w[0]) + "_" + s + "_" + shape[0] + "x" + shape[1],
                       std::string("items = ") + shape[0] + "\nchunk = " + shape[1] +
                           "\nstrategy = \"" + s + "\"\n[workload]\n" + w[1] + "\n"});
      }
  return out;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class RunTest : public ::testing::TestWithParam<Case> {};

TEST_P(RunTest, ExecutesEveryItemOnceWithTheSerialChecksum) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const RunConfig config = parse_config(GetParam().toml, GetParam().name);
  const auto result = run(comm, config, serialized());

  EXPECT_EQ(result.summary.items_done, config.items);
  EXPECT_EQ(result.summary.checksum, serial_checksum(config));
  const auto count = executions_per_item(comm, result, config.items);
  for (std::uint64_t item = 0; item < config.items; ++item)
    ASSERT_EQ(count[item], 1u) << "item " << item;

  EXPECT_EQ(result.facts.layout.ranks, mpi::size(comm));
  EXPECT_GT(result.summary.wall_seconds, 0.0);
  // Every rank's thread times reach rank 0 alone.
  if (mpi::rank(comm) != 0) {
    EXPECT_TRUE(result.threads.empty());
    return;
  }
  std::uint64_t rank_total = 0;
  for (const auto& share : metrics::rank_shares(result.threads, result.facts.layout.ranks, result.summary.wall_seconds))
    rank_total += share.items;
  EXPECT_EQ(rank_total, config.items);
  const auto e =
      metrics::efficiencies(result.threads, result.summary.wall_seconds).overall;
  EXPECT_GT(e.parallel, 0.0);
  EXPECT_LE(e.load_balance, 1.0);
  EXPECT_LE(e.communication, 1.0);
  EXPECT_NEAR(e.parallel, e.load_balance * e.communication, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, RunTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// Every thread of every rank records a gap-free timeline that covers the rank's execution.
TEST(RunTimeline, ThreadIntervalsAreGapFreeAndCoverTheRun) {
  const RunConfig config = parse_config("items = 40\nstrategy = \"dynamic\"\n[workload]\nn = 10\n", "t");
  const auto result = run(MPI_COMM_WORLD, config, serialized());
  ASSERT_EQ(result.recording.logs.size(), static_cast<std::size_t>(result.facts.layout.threads));
  for (const auto& log : result.recording.logs) {
    const auto& intervals = log.intervals();
    ASSERT_GE(intervals.size(), 3u);  // startup, ..., idle, shutdown
    EXPECT_EQ(intervals.front().kind, trace::Activity::startup);
    EXPECT_EQ(intervals.front().begin_ns, result.recording.begin_ns);
    EXPECT_EQ(intervals.back().kind, trace::Activity::shutdown);
    EXPECT_GE(intervals.back().end_ns, result.recording.end_ns);
    for (std::size_t i = 1; i < intervals.size(); ++i) {
      EXPECT_EQ(intervals[i].begin_ns, intervals[i - 1].end_ns);
      EXPECT_LE(intervals[i].begin_ns, intervals[i].end_ns);
    }
  }
}

// The ranks can be any communicator: two halves of the world run two different inputs at once.
TEST(RunComm, RunsOnASubCommunicator) {
  const int world_rank = mpi::rank(MPI_COMM_WORLD);
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &half);
  const std::string items = world_rank % 2 == 0 ? "30" : "31";
  const RunConfig config =
      parse_config("items = " + items + "\nstrategy = \"guided\"\n[workload]\nn = 9\n", "t");
  const auto result = run(half, config, serialized());
  EXPECT_EQ(result.summary.items_done, config.items);
  EXPECT_EQ(result.summary.checksum, serial_checksum(config));
  EXPECT_EQ(result.facts.layout.ranks, mpi::size(half));
  MPI_Comm_free(&half);
}

// The threads a rank may run without crowding its node's other ranks (the timeline write's
// compression): all its CPUs alone, one when bound to one, and together no more than the node has.
TEST(Placement, CpuShareLeavesEachRankItsShareOfTheNode) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(mpi::cpu_share(MPI_COMM_SELF), CPU_COUNT(&all));

  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  const int unbound = mpi::cpu_share(node);  // ctest starts the ranks with --bind-to none
  int sum = 0;
  MPI_Allreduce(&unbound, &sum, 1, MPI_INT, MPI_SUM, node);
  EXPECT_GE(unbound, 1);
  EXPECT_LE(sum, std::max(CPU_COUNT(&all), mpi::size(node)));

  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) cpus.push_back(c);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[std::size_t(mpi::rank(node)) % cpus.size()], &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_EQ(mpi::cpu_share(node), 1);
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  MPI_Comm_free(&node);
}

// A workload that cannot be set up on one rank stops every rank with that rank's message.
TEST(RunFailure, SetupFailureOnOneRankRaisesOnEveryRank) {
  const int rank = mpi::rank(MPI_COMM_WORLD);
  const int last = mpi::size(MPI_COMM_WORLD) - 1;
  const std::string dir =
      rank == last ? "/nonexistent/hybridscope-test" : std::filesystem::temp_directory_path().string();
  const RunConfig config = parse_config(
      "items = 4\n[workload]\nkind = \"file_io\"\nbytes = 16\ndir = \"" + dir + "\"\n", "t");
  try {
    run(MPI_COMM_WORLD, config, serialized());
    FAIL() << "run() returned although rank " << last << " could not set up";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hybridscope-test"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hybridscope
