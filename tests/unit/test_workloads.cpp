// Kernels, the checksum, the GIL-like lock and the activity log with its spool.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "hybridscope/core/error.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "hybridscope/workloads/calibrate.hpp"
#include "hybridscope/workloads/gil_lock.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope::workloads {
namespace {

namespace fs = std::filesystem;

// A private directory for one test, removed at the end.
class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hybridscope-unit-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

TEST(Fib, KnownValues) {
  EXPECT_EQ(fib(0), 0u);
  EXPECT_EQ(fib(1), 1u);
  EXPECT_EQ(fib(10), 55u);
  EXPECT_EQ(fib(30), 832040u);
  EXPECT_EQ(fib(40), 102334155u);
}

TEST(Checksum, IsOrderFreeButSeesLostAndDoubledItems) {
  std::uint64_t forward = 0, backward = 0, lost = 0, doubled = 0;
  for (std::uint64_t i = 0; i < 100; ++i) forward += item_checksum(i, i * 3);
  for (std::uint64_t i = 100; i-- > 0;) backward += item_checksum(i, i * 3);
  for (std::uint64_t i = 1; i < 100; ++i) lost += item_checksum(i, i * 3);
  doubled = forward + item_checksum(7, 21);
  EXPECT_EQ(forward, backward);
  EXPECT_NE(forward, lost);
  EXPECT_NE(forward, doubled);
  EXPECT_NE(item_checksum(1, 2), item_checksum(2, 1));
}

// The value of an item must not depend on which thread or rank ran it.
TEST(Workloads, EveryKernelGivesTheSameValueOnAnyWorker) {
  TempDir dir;
  const char* decks[] = {
      "[workload]\nkind = \"fib\"\nn = 15\n",
      "[workload]\nkind = \"spin\"\nseconds = 0.0001\n",
      "[workload]\nkind = \"sleep\"\nseconds = 0.0001\n",
      "[workload]\nkind = \"triad\"\nelements = 1024\n",
      "[workload]\nkind = \"gil\"\nseconds = 0.0001\nswitch_interval = 0.00002\n",
      "[workload]\nkind = \"irregular\"\nseconds = 0.0001\n",
  };
  std::vector<std::string> texts(std::begin(decks), std::end(decks));
  texts.push_back("[workload]\nkind = \"file_io\"\nbytes = 5000\ndir = \"" + dir.path().string() + "\"\n");
  for (const auto& text : texts) {
    const auto config = parse_config(text, "deck");
    auto first = make_workload(config.workload, 2e8);
    auto second = make_workload(config.workload, 5e8);  // another rank may measure another rate
    auto a = first->make_worker();
    auto b = second->make_worker();
    auto c = first->make_worker();
    trace::ThreadLog log;
    for (std::uint64_t item : {0u, 1u, 17u, 1000u}) {
      const auto value = a->run(0, item, log);
      EXPECT_EQ(b->run(0, item, log), value) << text;
      EXPECT_EQ(c->run(0, item, log), value) << text;
    }
    EXPECT_NE(a->run(0, 3, log) + a->run(0, 4, log), 0u) << text;
  }
}

TEST(FileIo, ScratchDirectoryIsPrivateAndRemoved) {
  TempDir parent;
  const auto config = parse_config(
      "[workload]\nkind = \"file_io\"\nbytes = 100\ndir = \"" + parent.path().string() + "\"\n", "deck");
  {
    auto workload = make_workload(config.workload, 1e8);
    std::vector<fs::path> made(fs::directory_iterator(parent.path()), fs::directory_iterator());
    ASSERT_EQ(made.size(), 1u);
    struct stat st {};
    ASSERT_EQ(::stat(made[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto worker = workload->make_worker();
    trace::ThreadLog log;
    worker->run(0, 5, log);
    EXPECT_TRUE(fs::is_empty(made[0])) << "an item left its file behind";
  }
  EXPECT_TRUE(fs::is_empty(parent.path())) << "the scratch directory outlived the workload";
}

TEST(FileIo, UnusableDirectoryIsAClearError) {
  const auto config =
      parse_config("[workload]\nkind = \"file_io\"\ndir = \"/nonexistent/hybridscope\"\n", "deck");
  try {
    make_workload(config.workload, 1e8);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hybridscope"), std::string::npos);
  }
}

TEST(Irregular, CostsAreSeededPositiveCappedAndAverageTheMean) {
  for (const char* distribution : {"lognormal", "uniform", "bimodal"}) {
    const auto w = parse_config(std::string("[workload]\nkind = \"irregular\"\nseconds = 0.01\n"
                                            "distribution = \"") + distribution + "\"\n", "d").workload;
    auto other = w;
    other.seed = w.seed + 1;
    double sum = 0;
    int differ = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
      const double cost = irregular_cost(w, i);
      ASSERT_GT(cost, 0.0);
      ASSERT_LE(cost, 1000 * w.seconds);
      ASSERT_EQ(cost, irregular_cost(w, i));
      differ += cost != irregular_cost(other, i);
      sum += cost;
    }
    EXPECT_NEAR(sum / n, w.seconds, 0.1 * w.seconds) << distribution;
    EXPECT_GT(differ, n / 10) << distribution << ": the seed changes nothing";  // bimodal: 2 values
  }
}

TEST(Calibrate, BurnRateIsPositive) { EXPECT_GT(measure_burn_rate(), 1e6); }

TEST(GilLock, NeverTwoHoldersAndEveryoneGetsTurns) {
  GilLock gil;
  std::atomic<int> holders{0};
  std::atomic<bool> overlap{false};
  std::vector<int> turns(3, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        gil.acquire();
        if (holders.fetch_add(1) != 0) overlap = true;
        ++turns[t];
        holders.fetch_sub(1);
        gil.release();
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(overlap);
  for (int n : turns) EXPECT_EQ(n, 200);
}

}  // namespace
}  // namespace hybridscope::workloads

namespace hybridscope::trace {
namespace {

TEST(ThreadLog, IntervalsAreGapFreeAndTotalsAddUp) {
  Spool spool(1 << 20, 1, std::filesystem::temp_directory_path().string());
  ThreadLog log(&spool, 0);
  log.start(now_ns());
  const Activity kinds[] = {Activity::startup, Activity::work, Activity::idle, Activity::handout,
                            Activity::work, Activity::shutdown};
  for (const auto k : kinds) log.close(k, 1, 2);
  spool.drain();
  const auto intervals = log.intervals();
  ASSERT_EQ(intervals.size(), std::size(kinds));
  std::int64_t work = 0;
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    EXPECT_EQ(intervals[i].kind, kinds[i]);
    if (i) EXPECT_EQ(intervals[i].begin_ns, intervals[i - 1].end_ns);
    if (kinds[i] == Activity::work) work += intervals[i].end_ns - intervals[i].begin_ns;
  }
  EXPECT_EQ(log.total_ns(Activity::work), work);
  EXPECT_EQ(log.dropped(), 0u);
}

// Blocks beyond memory go to the spool file and come back in order; memory stays at the cap.
TEST(Spool, KeepsEveryIntervalInOrderBeyondMemory) {
  Spool spool(1, 1, std::filesystem::temp_directory_path().string());  // two blocks
  ASSERT_EQ(spool.blocks(), 2u);
  ThreadLog log(&spool, 0);
  log.start(0);
  const std::size_t n = 50 * kBlockIntervals + 17;
  std::size_t closed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    log.close(Activity::work, 0, i);
    ++closed;
  }
  spool.drain();
  EXPECT_EQ(log.recorded() + log.dropped(), closed);
  EXPECT_GT(spool.spooled(0), 0u);
  std::uint64_t expected_item = 0;
  bool in_order = true;
  std::int64_t previous_end = 0;
  log.for_each([&](const Interval* p, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      in_order = in_order && p[i].item >= expected_item && p[i].begin_ns >= previous_end;
      expected_item = p[i].item + 1;
      previous_end = p[i].end_ns;
    }
  });
  EXPECT_TRUE(in_order);
  if (log.dropped() == 0) EXPECT_EQ(expected_item, n);
}

TEST(Spool, UnusableDirectoryIsAClearError) {
  EXPECT_THROW(Spool(1 << 20, 1, "/nonexistent/hybridscope"), Error);
}

}  // namespace
}  // namespace hybridscope::trace
