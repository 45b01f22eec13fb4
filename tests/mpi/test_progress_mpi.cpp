// The progress reporter across ranks (and, under scripts/multinode.sh, across nodes): what every
// rank's threads publish reaches rank 0's status file, through node shared memory and the node
// leaders' messages, while no thread of the test calls MPI; and it stops cleanly.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/progress.hpp"
#include "hybridscope/timeline/status.hpp"

namespace hybridscope {
namespace {

constexpr int kThreads = 2;

// A folder of rank 0's, named on every rank (the ranks share /tmp, also across fake nodes).
std::string shared_dir(MPI_Comm comm) {
  std::string dir;
  if (mpi::rank(comm) == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hybridscope-progress-XXXXXX").string();
    dir = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  return mpi::bcast_string(comm, dir, 0);
}

std::optional<timeline::Status> read_status(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    return timeline::parse_status(text.str(), path);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Polls the status file (no MPI: the reporter's threads may be in it) until it shows `done` items.
std::optional<timeline::Status> wait_for_done(const std::string& path, std::uint64_t done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto s = read_status(path); s && s->done == done) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return read_status(path);
}

// Items that rank r's thread t reports: distinct per rank, so that a rank counted twice or as
// another shows.
std::uint64_t items_of(int rank, int thread) { return std::uint64_t(10 * rank + thread + 1); }

TEST(ProgressReporter, EveryRanksThreadsReachTheStatusFile) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const auto placement = mpi::locate(comm);
  const auto dir = shared_dir(comm);
  ASSERT_FALSE(dir.empty());
  ProgressOptions options{true, std::nullopt, dir + "/run.h5.status.json", dir + "/run.h5"};
  ProgressPlan plan{1000, {}, "static-block", "sleep"};
  for (int r = 0; r < placement.ranks; ++r) plan.rank_planned.push_back(1000 / placement.ranks);
  std::uint64_t expected = 0;
  for (int r = 0; r < placement.ranks; ++r)
    for (int t = 0; t < kThreads; ++t) expected += items_of(r, t);
  {
    ProgressReporter reporter(comm, placement, kThreads, MPI_THREAD_SERIALIZED, options, plan);
    ASSERT_NE(reporter.threads(), nullptr);
    reporter.start();
    for (int t = 0; t < kThreads; ++t) {
      reporter.threads()[t].items.store(items_of(placement.rank, t));
      reporter.threads()[t].busy_ns.store(1'000'000);
    }
    const auto seen = wait_for_done(options.status_path, expected);
    reporter.stop();
    reporter.finish();
    ASSERT_TRUE(seen) << "no status file at " << options.status_path;
    EXPECT_EQ(seen->done, expected);
    if (placement.rank == 0) {
      ASSERT_EQ(seen->rank_status.size(), std::size_t(placement.ranks));
      for (const auto& r : seen->rank_status) {
        EXPECT_EQ(r.items, items_of(r.rank, 0) + items_of(r.rank, 1)) << "rank " << r.rank;
        EXPECT_EQ(r.host, placement.hosts[r.rank]);
        EXPECT_EQ(r.planned, std::optional<std::uint64_t>(1000 / placement.ranks));
      }
      EXPECT_EQ(seen->nodes, placement.nodes);
      EXPECT_EQ(seen->hosts.size(), std::size_t(placement.nodes));
    }
  }
  MPI_Barrier(comm);  // MPI works after the reporter: nothing of it is left in flight
  if (placement.rank == 0) {
    const auto final = read_status(options.status_path);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->state, "finishing");
    std::filesystem::remove_all(dir);
  }
}

TEST(ProgressReporter, OffForTheBenchmarkOfItsCostOnEveryRankAlike) {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const auto placement = mpi::locate(comm);
  if (placement.rank == 0) ::setenv("HYBRIDSCOPE_TEST_NO_PROGRESS", "1", 1);  // rank 0 decides for all
  {
    ProgressReporter reporter(comm, placement, kThreads, MPI_THREAD_SERIALIZED, {}, {10, {}, "dynamic", "fib"});
    EXPECT_EQ(reporter.threads(), nullptr);
    reporter.start();
    reporter.stop();
    reporter.finish();
  }
  ::unsetenv("HYBRIDSCOPE_TEST_NO_PROGRESS");
  MPI_Barrier(comm);
}

}  // namespace
}  // namespace hybridscope
