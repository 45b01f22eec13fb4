// trace::Spool: a rank's bounded pool of interval blocks, with a writer thread that appends full
// blocks to an unlinked scratch file. Memory stays bounded; when the pool runs dry, intervals are
// dropped and counted, never waited for; a failed write is counted as lost.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/trace/interval.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "temp_dir.hpp"

namespace hybridscope::trace {
namespace {

namespace fs = std::filesystem;

using test_support::TempDir;


// A block whose intervals say which thread and which of its blocks they belong to.
void fill(Block& block, int thread, std::uint64_t serial) {
  for (std::size_t i = 0; i < kBlockIntervals; ++i)
    block.intervals[i] = {std::int64_t(i), std::int64_t(i) + 1, serial, std::uint64_t(thread), -1, std::int32_t(i % 7),
                          Activity::work};
}

// ---------------------------------------------------------------------------------------------
// The pool and the scratch file, directly

TEST(Spool, PoolSizeIsTheMemoryInBlocksButAtLeastTwoPerThread) {
  TempDir dir;
  EXPECT_EQ(Spool(10 * sizeof(Block), 2, dir.path().string()).blocks(), 10u);
  EXPECT_EQ(Spool(10 * sizeof(Block) + sizeof(Block) - 1, 2, dir.path().string()).blocks(), 10u);  // whole blocks
  EXPECT_EQ(Spool(0, 3, dir.path().string()).blocks(), 6u);
  EXPECT_EQ(Spool(5 * sizeof(Block), 3, dir.path().string()).blocks(), 6u);  // the floor wins
  EXPECT_EQ(Spool(7 * sizeof(Block), 3, dir.path().string()).blocks(), 7u);
}

TEST(Spool, ScratchFileIsUnlinkedAtOnce) {
  TempDir dir;
  Spool spool(0, 1, dir.path().string());
  EXPECT_TRUE(dir.entries().empty()) << "the spool file is visible in " << dir.path();
}

TEST(Spool, UnusableDirectoryThrowsErrorNamingIt) {
  TempDir dir;
  const fs::path missing = dir.path() / "does-not-exist";
  try {
    Spool spool(0, 1, missing.string());
    ADD_FAILURE() << "a spool was made in " << missing;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.code(), ExitCode::failure) << m;
    EXPECT_NE(m.find(missing.string()), std::string::npos) << m;
    EXPECT_NE(m.find("TMPDIR"), std::string::npos) << m;
  }
}

TEST(Spool, AcquireReturnsNullWhenThePoolIsEmptyAndSubmittedBlocksComeBack) {
  TempDir dir;
  Spool spool(0, 1, dir.path().string());
  ASSERT_EQ(spool.blocks(), 2u);
  Block* a = spool.acquire();
  Block* b = spool.acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(spool.acquire(), nullptr);  // never waits, never allocates another block
  fill(*a, 0, 0);
  spool.submit(0, a);
  spool.drain();  // written, and back in the pool
  EXPECT_EQ(spool.acquire(), a);
  EXPECT_EQ(spool.acquire(), nullptr);
  EXPECT_EQ(spool.spooled(0), kBlockIntervals);
  EXPECT_EQ(spool.lost(), 0u);
  EXPECT_TRUE(spool.failure().empty());
}

TEST(Spool, BlocksOfEachThreadComeBackInSubmissionOrder) {
  TempDir dir;
  constexpr int kThreads = 3;
  Spool spool(0, kThreads, dir.path().string());
  // Interleaved submissions, each block refilled after the writer returned it.
  const int order[] = {0, 2, 2, 1, 0, 2, 0, 0};
  std::uint64_t serial[kThreads] = {};
  for (const int thread : order) {
    Block* block = spool.acquire();
    ASSERT_NE(block, nullptr);
    fill(*block, thread, serial[thread]++);
    spool.submit(thread, block);
    spool.drain();
  }
  for (int thread = 0; thread < kThreads; ++thread) {
    EXPECT_EQ(spool.spooled(thread), serial[thread] * kBlockIntervals) << thread;
    std::uint64_t next = 0;
    spool.for_each_spooled(thread, [&](const Interval* p, std::size_t n) {
      ASSERT_EQ(n, kBlockIntervals);
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(p[i].item, std::uint64_t(thread)) << "thread " << thread << " got another thread's block";
        ASSERT_EQ(p[i].chunk, next) << "thread " << thread << ": blocks out of order";
        ASSERT_EQ(p[i].begin_ns, std::int64_t(i));
        ASSERT_EQ(p[i].end_ns, std::int64_t(i) + 1);
        ASSERT_EQ(p[i].cpu, std::int32_t(i % 7));
        ASSERT_EQ(p[i].kind, Activity::work);
      }
      ++next;
    });
    EXPECT_EQ(next, serial[thread]) << thread;
  }
  EXPECT_EQ(spool.lost(), 0u);
}

// In a child process (setrlimit is process-wide): a file size limit of one block makes the writer's
// second write fail (EFBIG). Returns 0 when the spool counted what it lost, or which check failed.
int spool_under_a_one_block_file_limit(const std::string& dir) {
  std::signal(SIGXFSZ, SIG_IGN);  // fail the write instead of killing the process
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = sizeof(Block);
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
  Spool spool(0, 1, dir);
  for (std::uint64_t serial = 0; serial < 3; ++serial) {
    Block* block = spool.acquire();
    if (!block) return 4;
    fill(*block, 0, serial);
    spool.submit(0, block);
    spool.drain();
  }
  int status = 0;
  std::uint64_t visited = 0;
  spool.for_each_spooled(0, [&](const Interval* p, std::size_t n) {
    if (n != kBlockIntervals || p[0].chunk != 0) status = 5;  // the first block, which was written
    visited += n;
  });
  if (status) return status;
  if (spool.spooled(0) != kBlockIntervals || visited != kBlockIntervals) return 6;
  if (spool.lost() != 2 * kBlockIntervals) return 7;
  if (spool.failure().find("timeline spool file") == std::string::npos) return 8;
  if (spool.acquire() == nullptr) return 9;  // a block whose write failed still goes back to the pool
  return 0;
}

TEST(Spool, FailedWriteIsCountedAsLostWithItsReason) {
  TempDir dir;
  EXPECT_EXIT(std::exit(spool_under_a_one_block_file_limit(dir.path().string())), ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------------------------
// Through a ThreadLog: a pool that runs dry, and a small pool that cycles through the writer

TEST(Spool, PoolExhaustedDropsAndCountsButKeepsTotals) {
  TempDir dir;
  trace::Spool spool(0, 2, dir.path().string());  // the minimum: two blocks per thread
  ASSERT_EQ(spool.blocks(), 4u);
  // Four logs that never fill their block hold the whole pool.
  std::vector<trace::ThreadLog> holders(4, trace::ThreadLog(&spool, 0));
  for (auto& h : holders) {
    h.start(0);
    h.close_at(1, Activity::startup);
  }
  trace::ThreadLog starved(&spool, 1);
  starved.start(100);
  for (int i = 1; i <= 5000; ++i) starved.close_at(100 + 2 * i, i % 2 ? Activity::work : Activity::idle);
  EXPECT_EQ(starved.dropped(), 5000u);
  EXPECT_EQ(starved.recorded(), 0u);
  EXPECT_TRUE(starved.intervals().empty());
  EXPECT_EQ(starved.total_ns(Activity::work), 5000);
  EXPECT_EQ(starved.total_ns(Activity::idle), 5000);
  for (const auto& h : holders) {
    EXPECT_EQ(h.dropped(), 0u);
    EXPECT_EQ(h.recorded(), 1u);
  }
}

TEST(Spool, OverflowThroughASmallPoolLosesNothingUncounted) {
  TempDir dir;
  trace::Spool spool(0, 1, dir.path().string());  // two blocks cycle through the writer
  trace::ThreadLog log(&spool, 0);
  constexpr std::uint64_t kCount = 50 * trace::kBlockIntervals + 7;
  const std::int64_t t0 = 1'000'000;
  log.start(t0);
  for (std::uint64_t i = 0; i < kCount; ++i)
    log.close_at(t0 + std::int64_t(i) + 1, Activity::work, 0, i);
  spool.drain();
  EXPECT_EQ(log.recorded() + log.dropped(), kCount);
  EXPECT_EQ(log.total_ns(Activity::work), std::int64_t(kCount));  // totals never drop
  const auto iv = log.intervals();
  ASSERT_EQ(iv.size(), log.recorded());
  // What was kept is intact and in order: interval i is [t0 + i, t0 + i + 1).
  for (std::size_t k = 0; k < iv.size(); ++k) {
    ASSERT_EQ(iv[k].begin_ns, t0 + std::int64_t(iv[k].item)) << k;
    ASSERT_EQ(iv[k].end_ns, iv[k].begin_ns + 1) << k;
    if (k > 0) ASSERT_GT(iv[k].item, iv[k - 1].item) << k;
  }
}

}  // namespace
}  // namespace hybridscope::trace
