// trace::ThreadLog: a thread's gap-free activity intervals, kept in blocks of the rank's Spool, and
// its per-kind totals, which stay exact whatever is recorded.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/trace/interval.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "temp_dir.hpp"

namespace hybridscope::trace {
namespace {

namespace fs = std::filesystem;

using test_support::TempDir;


TEST(ThreadLog, WithoutSpoolKeepsTotalsOnly) {
  trace::ThreadLog log;
  log.start(1000);
  log.close_at(1010, Activity::startup);
  log.close_at(1050, Activity::work, 0, 0);
  log.close_at(1060, Activity::work, 0, 1);
  EXPECT_EQ(log.total_ns(Activity::startup), 10);
  EXPECT_EQ(log.total_ns(Activity::work), 50);
  EXPECT_EQ(log.total_ns(Activity::idle), 0);
  EXPECT_EQ(log.recorded(), 0u);
  EXPECT_EQ(log.dropped(), 0u);
  EXPECT_TRUE(log.intervals().empty());
}

TEST(ThreadLog, IntervalsAtGivenTimesAreExact) {
  TempDir dir;
  trace::Spool spool(std::size_t{1} << 20, 1, dir.path().string());
  trace::ThreadLog log(&spool, 0);
  log.start(1000);
  log.close_at(1010, Activity::work, 0, 5);
  log.close_at(1025, Activity::idle);
  log.close_at(1025, Activity::handout);  // zero length is allowed
  log.close_at(1100, Activity::io, 1, 6);
  log.close_at(1200, Activity::work, 1, 7);
  spool.drain();
  const auto iv = log.intervals();
  ASSERT_EQ(iv.size(), 5u);
  const std::int64_t ends[] = {1010, 1025, 1025, 1100, 1200};
  const Activity kinds[] = {Activity::work, Activity::idle, Activity::handout, Activity::io,
                            Activity::work};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(iv[i].begin_ns, i == 0 ? 1000 : ends[i - 1]) << i;
    EXPECT_EQ(iv[i].end_ns, ends[i]) << i;
    EXPECT_EQ(iv[i].kind, kinds[i]) << i;
    EXPECT_GE(iv[i].cpu, 0) << i;
  }
  EXPECT_EQ(iv[0].item, 5u);
  EXPECT_EQ(iv[3].chunk, 1u);
  EXPECT_EQ(iv[3].item, 6u);
  EXPECT_EQ(iv[1].chunk, trace::kNone);
  EXPECT_EQ(iv[1].item, trace::kNone);
  EXPECT_EQ(log.total_ns(Activity::work), 10 + 100);
  EXPECT_EQ(log.total_ns(Activity::idle), 15);
  EXPECT_EQ(log.total_ns(Activity::handout), 0);
  EXPECT_EQ(log.total_ns(Activity::io), 75);
  EXPECT_EQ(log.recorded(), 5u);
}

TEST(ThreadLog, RealClockIntervalsAreGapFreeAcrossBlocksAndTotalsAddUp) {
  TempDir dir;
  trace::Spool spool(8 * sizeof(trace::Block), 1, dir.path().string());
  trace::ThreadLog log(&spool, 0);
  const std::int64_t start = now_ns();
  log.start(start);
  constexpr std::uint64_t kCount = 3 * trace::kBlockIntervals + 123;  // spans spooled blocks
  const Activity cycle[] = {Activity::work, Activity::idle, Activity::handout, Activity::io,
                            Activity::lock_wait};
  for (std::uint64_t i = 0; i < kCount; ++i) log.close(cycle[i % 5], i / 10, i);
  spool.drain();
  EXPECT_EQ(log.dropped(), 0u);
  EXPECT_EQ(spool.lost(), 0u);
  EXPECT_EQ(log.recorded(), kCount);
  const auto iv = log.intervals();
  ASSERT_EQ(iv.size(), kCount);
  std::int64_t totals[trace::kActivityCount] = {};
  for (std::uint64_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(iv[i].begin_ns, i == 0 ? start : iv[i - 1].end_ns) << "gap before interval " << i;
    ASSERT_LE(iv[i].begin_ns, iv[i].end_ns);
    ASSERT_EQ(iv[i].item, i) << "intervals out of order";
    ASSERT_EQ(iv[i].chunk, i / 10);
    ASSERT_EQ(iv[i].kind, cycle[i % 5]);
    totals[static_cast<int>(iv[i].kind)] += iv[i].end_ns - iv[i].begin_ns;
  }
  std::int64_t sum = 0;
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    EXPECT_EQ(log.total_ns(static_cast<Activity>(k)), totals[k]) << trace::kActivityNames[k];
    sum += log.total_ns(static_cast<Activity>(k));
  }
  EXPECT_EQ(sum, iv.back().end_ns - start);
}

}  // namespace
}  // namespace hybridscope::trace

// ---------------------------------------------------------------------------------------------
// CPU time per item (mark_cpu)

namespace hybridscope::trace {
namespace {

// Burns CPU until this thread has used at least `ns` of it.
void burn_cpu(std::int64_t ns) {
  const std::int64_t until = thread_cpu_ns() + ns;
  volatile std::uint64_t x = 1;
  while (thread_cpu_ns() < until) x = x * 6364136223846793005ULL + 1;
}

TEST(ThreadLogCpu, AWorkIntervalCarriesTheThreadsCpuTimeAndOthersDoNot) {
  TempDir dir;
  Spool spool(std::size_t{1} << 20, 1, dir.path().string());
  ThreadLog log(&spool, 0);
  log.start(now_ns());
  log.mark_cpu();
  burn_cpu(5'000'000);
  log.close(Activity::work, 0, 0);  // burned at least 5 ms of CPU
  log.mark_cpu();
  log.close(Activity::idle);        // marked, but not an item: not measured
  log.close(Activity::handout);     // not marked
  log.mark_cpu();
  const std::int64_t before = thread_cpu_ns();
  while (thread_cpu_ns() - before < 1'000'000) {}  // the previous item was long: this one is measured too
  log.close(Activity::io, 0, 1);
  spool.drain();
  const auto iv = log.intervals();
  ASSERT_EQ(iv.size(), 4u);
  EXPECT_GE(iv[0].cpu_ns, 5'000'000);
  EXPECT_LE(iv[0].cpu_ns, iv[0].end_ns - iv[0].begin_ns + 1'000'000);  // no more CPU than time (clock granularity)
  EXPECT_EQ(iv[1].cpu_ns, -1);
  EXPECT_EQ(iv[2].cpu_ns, -1);
  EXPECT_GE(iv[3].cpu_ns, 1'000'000);
  EXPECT_EQ(log.item_cpu_ns(), iv[0].cpu_ns + iv[3].cpu_ns);
  EXPECT_EQ(log.measured_item_ns(), (iv[0].end_ns - iv[0].begin_ns) + (iv[3].end_ns - iv[3].begin_ns));
}

TEST(ThreadLogCpu, ShortItemsAreSampledOneInSixtyFour) {
  ThreadLog log;  // totals only: the sampling is the same
  log.start(now_ns());
  // The first item is measured; after a short one, one in 64.
  for (int i = 0; i < 1 + 128; ++i) {
    log.mark_cpu();
    log.close(Activity::work, 0, std::uint64_t(i));
  }
  const auto measured = log.measured_item_ns();
  EXPECT_GT(measured, 0);
  EXPECT_LT(measured, log.total_ns(Activity::work));
  // A sleeping item is long and mostly off the CPU: the next one after it is measured in full.
  log.mark_cpu();
  const std::int64_t start = now_ns();
  while (now_ns() - start < 300'000) {}  // 0.3 ms > the 0.25 ms threshold
  log.close(Activity::work, 0, 999);
  const auto before = log.measured_item_ns();
  log.mark_cpu();
  log.close(Activity::work, 0, 1000);
  EXPECT_GT(log.measured_item_ns(), before) << "the item after a long one was not measured";
}

}  // namespace
}  // namespace hybridscope::trace
