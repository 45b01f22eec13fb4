// The per-rank item dispenser under real concurrency: every item claimed exactly once, each claim
// naming the chunk that holds the item, chunks coming from a static share or from a counter shared
// by several "ranks", cancel() stopping the hand-out, and the time spent getting chunks logged as
// hand-out (the source communicates) or idle (waiting for a sibling, or a static source).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/exec/dispenser.hpp"
#include "hybridscope/sched/source.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope::exec {
namespace {

using trace::Activity;

// An in-process stand-in for the global chunk counter. Several counters may share one value, as
// the ranks of a run share one counter; calls are counted per counter.
class FakeCounter final : public sched::ChunkCounter {
public:
  explicit FakeCounter(std::shared_ptr<std::atomic<std::uint64_t>> value =
                           std::make_shared<std::atomic<std::uint64_t>>(0))
      : value_(std::move(value)) {}
  std::uint64_t fetch_add(std::uint64_t delta) override {
    // The dispenser promises one caller at a time per rank.
    EXPECT_EQ(inside_.fetch_add(1), 0) << "fetch_add called concurrently";
    calls_.fetch_add(1);
    const auto old = value_->fetch_add(delta);
    inside_.fetch_sub(1);
    return old;
  }
  std::string_view name() const override { return "fake"; }
  bool in_mpi() const override { return false; }
  std::uint64_t calls() const { return calls_.load(); }

private:
  std::shared_ptr<std::atomic<std::uint64_t>> value_;
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<int> inside_{0};
};

std::string spool_dir() { return std::filesystem::temp_directory_path().string(); }

struct Outcome {
  std::vector<std::vector<Claim>> claims;  // per thread, in the order claimed
  std::vector<std::vector<trace::Interval>> intervals;
  std::vector<trace::ThreadLog> logs;
};

// Runs `threads` std::threads that claim until the dispenser runs dry, closing each item as work the
// way the executor does. Threads start together so that they really contend.
Outcome run_threads(ItemDispenser& dispenser, int threads, trace::Spool& spool) {
  Outcome out;
  out.claims.resize(threads);
  for (int t = 0; t < threads; ++t) out.logs.emplace_back(&spool, t);
  std::latch start(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      auto& log = out.logs[t];
      log.start(now_ns());
      Claim c{};
      while (dispenser.next(c, log)) {
        out.claims[t].push_back(c);
        log.close(Activity::work, c.chunk, c.item);
      }
    });
  for (auto& th : pool) th.join();
  spool.drain();
  for (const auto& log : out.logs) out.intervals.push_back(log.intervals());
  return out;
}

// Each item of `expected` claimed exactly once, nothing else claimed, and every claim names the
// plan's chunk that contains its item.
void expect_exactly_once(const std::vector<const Outcome*>& outcomes, const sched::ChunkPlan& plan,
                         const std::vector<bool>& expected) {
  std::vector<int> seen(plan.items(), 0);
  for (const auto* o : outcomes)
    for (const auto& list : o->claims) {
      std::uint64_t previous_in_chunk = 0;
      std::uint64_t previous_chunk = trace::kNone;
      for (const auto& c : list) {
        ASSERT_LT(c.chunk, plan.count());
        const auto range = plan.chunk(c.chunk);
        ASSERT_GE(c.item, range.begin) << "claim of item " << c.item << " names chunk " << c.chunk;
        ASSERT_LT(c.item, range.end) << "claim of item " << c.item << " names chunk " << c.chunk;
        // Within one chunk, one thread's items come in increasing order.
        if (c.chunk == previous_chunk) EXPECT_GT(c.item, previous_in_chunk);
        previous_chunk = c.chunk;
        previous_in_chunk = c.item;
        ++seen[c.item];
      }
    }
  for (std::uint64_t i = 0; i < plan.items(); ++i)
    ASSERT_EQ(seen[i], expected[i] ? 1 : 0) << "item " << i;
}

// The logs are gap-free and hold only what the dispenser and the test close: work, idle and, when
// the source communicates, hand-out. Returns the number of hand-out intervals.
std::uint64_t check_logs(const Outcome& o, bool communicates) {
  std::uint64_t handouts = 0;
  for (std::size_t t = 0; t < o.logs.size(); ++t) {
    EXPECT_EQ(o.logs[t].dropped(), 0u);
    const auto& list = o.intervals[t];
    EXPECT_EQ(list.size(), o.logs[t].recorded());
    std::int64_t totals[trace::kActivityCount] = {};
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& iv = list[i];
      if (i > 0) EXPECT_EQ(iv.begin_ns, list[i - 1].end_ns) << "gap in thread " << t;
      EXPECT_LE(iv.begin_ns, iv.end_ns);
      totals[static_cast<int>(iv.kind)] += iv.end_ns - iv.begin_ns;
      switch (iv.kind) {
        case Activity::work: EXPECT_NE(iv.item, trace::kNone); break;
        case Activity::idle: EXPECT_EQ(iv.item, trace::kNone); break;
        case Activity::handout:
          EXPECT_TRUE(communicates) << "hand-out logged for a source that does not communicate";
          EXPECT_EQ(iv.item, trace::kNone);
          ++handouts;
          break;
        default: ADD_FAILURE() << "unexpected activity " << trace::kActivityNames[int(iv.kind)];
      }
    }
    for (std::size_t k = 0; k < trace::kActivityCount; ++k)
      EXPECT_EQ(totals[k], o.logs[t].total_ns(static_cast<Activity>(k))) << trace::kActivityNames[k];
    // Every claim was closed as one work interval.
    std::size_t work = 0;
    for (const auto& iv : list) work += iv.kind == Activity::work;
    EXPECT_EQ(work, o.claims[t].size());
  }
  return handouts;
}

struct Shape {
  std::uint64_t items;
  std::uint64_t chunk;
  int threads;
};
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "items=" << s.items << " chunk=" << s.chunk << " threads=" << s.threads;
}

class Dispense : public ::testing::TestWithParam<Shape> {};

TEST_P(Dispense, CounterSourceClaimsEveryItemOnce) {
  const auto [items, chunk, threads] = GetParam();
  for (const Strategy s : {Strategy::dynamic, Strategy::guided}) {
    SCOPED_TRACE(std::string(to_string(s)));
    const sched::ChunkPlan plan(items, chunk, s, 3);
    auto counter = std::make_unique<FakeCounter>();
    const FakeCounter& calls = *counter;
    sched::CounterSource source(plan.count(), std::move(counter));
    ItemDispenser dispenser(plan, source);
    trace::Spool spool(std::size_t{3} << 20, threads, spool_dir());
    const Outcome o = run_threads(dispenser, threads, spool);
    expect_exactly_once({&o}, plan, std::vector<bool>(items, true));
    // One fetch per chunk and one that finds the end; each is one hand-out interval.
    EXPECT_EQ(calls.calls(), plan.count() + 1);
    EXPECT_EQ(check_logs(o, true), plan.count() + 1);
  }
}

TEST_P(Dispense, CounterSharedByRanksClaimsEveryItemOnce) {
  // Two "ranks", each with its own dispenser and threads, take chunks from one counter.
  const auto [items, chunk, threads] = GetParam();
  const sched::ChunkPlan plan(items, chunk, Strategy::dynamic, 2);
  auto shared = std::make_shared<std::atomic<std::uint64_t>>(0);
  sched::CounterSource source0(plan.count(), std::make_unique<FakeCounter>(shared));
  sched::CounterSource source1(plan.count(), std::make_unique<FakeCounter>(shared));
  ItemDispenser d0(plan, source0), d1(plan, source1);
  trace::Spool spool0(std::size_t{3} << 20, threads, spool_dir());
  trace::Spool spool1(std::size_t{3} << 20, threads, spool_dir());
  Outcome o0, o1;
  // threads by copy: clang before 16 cannot capture a structured binding.
  std::thread rank1([&, threads = threads] { o1 = run_threads(d1, threads, spool1); });
  o0 = run_threads(d0, threads, spool0);
  rank1.join();
  expect_exactly_once({&o0, &o1}, plan, std::vector<bool>(items, true));
  EXPECT_EQ(check_logs(o0, true) + check_logs(o1, true), plan.count() + 2);
}

TEST_P(Dispense, StaticSourcesClaimTheirOwnChunksOnce) {
  // Three "ranks" with static shares: each dispenser hands out exactly its rank's chunks.
  const auto [items, chunk, threads] = GetParam();
  constexpr int kRanks = 3;
  for (const Strategy s : {Strategy::static_block, Strategy::static_cyclic}) {
    SCOPED_TRACE(std::string(to_string(s)));
    const sched::ChunkPlan plan(items, chunk, s, kRanks);
    std::vector<Outcome> outcomes(kRanks);
    std::vector<const Outcome*> all;
    for (int r = 0; r < kRanks; ++r) {
      // The items this rank should get, from the assignment directly.
      std::vector<bool> mine(items, false);
      sched::StaticAssignment a(plan, s, r, kRanks);
      std::uint64_t chunks = 0;
      while (auto k = a.next()) {
        ++chunks;
        for (auto i = plan.chunk(*k).begin; i < plan.chunk(*k).end; ++i) mine[i] = true;
      }
      sched::StaticSource source(plan, s, r, kRanks);
      ItemDispenser dispenser(plan, source);
      trace::Spool spool(std::size_t{3} << 20, threads, spool_dir());
      outcomes[r] = run_threads(dispenser, threads, spool);
      expect_exactly_once({&outcomes[r]}, plan, mine);
      EXPECT_EQ(check_logs(outcomes[r], false), 0u) << "a static share is never hand-out";
      // Getting a static chunk costs no communication: it is logged as idle, once per chunk plus the
      // call that finds the share empty, on top of any waits for a sibling's refill.
      std::uint64_t idles = 0;
      for (const auto& list : outcomes[r].intervals)
        for (const auto& iv : list) idles += iv.kind == Activity::idle;
      EXPECT_GE(idles, chunks + 1);
      all.push_back(&outcomes[r]);
    }
    expect_exactly_once(all, plan, std::vector<bool>(items, true));
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Dispense,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 1, 4}, Shape{2, 1, 3},
                                           Shape{3, 1, 8}, Shape{10, 3, 2}, Shape{100, 1, 4},
                                           Shape{100, 7, 3}, Shape{1000, 1000, 4},
                                           Shape{1000, 999, 2}, Shape{4097, 64, 8},
                                           Shape{5000, 3, 4}, Shape{20000, 1, 4},
                                           Shape{20000, 64, 3}));

TEST(Dispenser, OneThreadGetsItemsInPlanOrder) {
  const sched::ChunkPlan plan(50, 7, Strategy::dynamic, 1);
  sched::CounterSource source(plan.count(), std::make_unique<FakeCounter>());
  ItemDispenser dispenser(plan, source);
  trace::ThreadLog log;
  log.start(now_ns());
  Claim c{};
  for (std::uint64_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(dispenser.next(c, log));
    EXPECT_EQ(c.item, i);
    EXPECT_EQ(c.chunk, i / 7);
  }
  EXPECT_FALSE(dispenser.next(c, log));
  EXPECT_FALSE(dispenser.next(c, log)) << "a finished dispenser must stay finished";
}

TEST(Dispenser, HugeChunkIsHandedOutItemByItem) {
  // One chunk of 10^12 items (the configuration's maximum): offsets use the low 40 bits.
  const sched::ChunkPlan plan(1'000'000'000'000, 1'000'000'000'000, Strategy::dynamic, 1);
  sched::CounterSource source(plan.count(), std::make_unique<FakeCounter>());
  ItemDispenser dispenser(plan, source);
  std::vector<std::vector<std::uint64_t>> got(2);
  std::vector<std::thread> pool;
  for (int t = 0; t < 2; ++t)
    pool.emplace_back([&, t] {
      trace::ThreadLog log;
      log.start(now_ns());
      Claim c{};
      for (int i = 0; i < 5000 && dispenser.next(c, log); ++i) {
        EXPECT_EQ(c.chunk, 0u);
        got[t].push_back(c.item);
      }
    });
  for (auto& th : pool) th.join();
  std::vector<std::uint64_t> all = got[0];
  all.insert(all.end(), got[1].begin(), got[1].end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 10000u);
  for (std::uint64_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);
  dispenser.cancel();
  trace::ThreadLog log;
  Claim c{};
  EXPECT_FALSE(dispenser.next(c, log));
}

// ---------------------------------------------------------------------------------------------
// cancel()

TEST(DispenserCancel, BeforeAnyClaim) {
  const sched::ChunkPlan plan(100, 10, Strategy::dynamic, 1);
  auto shared = std::make_shared<std::atomic<std::uint64_t>>(0);
  sched::CounterSource source(plan.count(), std::make_unique<FakeCounter>(shared));
  sched::CounterSource other_rank(plan.count(), std::make_unique<FakeCounter>(shared));
  ItemDispenser dispenser(plan, source);
  dispenser.cancel();
  dispenser.cancel();  // idempotent
  trace::ThreadLog log;
  Claim c{};
  EXPECT_FALSE(dispenser.next(c, log));
  // The shared counter was pushed past the end: every other rank stops too.
  EXPECT_FALSE(other_rank.next().has_value());
}

TEST(DispenserCancel, StaticSourceStops) {
  const sched::ChunkPlan plan(100, 10, Strategy::static_block, 1);
  sched::StaticSource source(plan, Strategy::static_block, 0, 1);
  ItemDispenser dispenser(plan, source);
  trace::ThreadLog log;
  Claim c{};
  ASSERT_TRUE(dispenser.next(c, log));
  dispenser.cancel();
  EXPECT_FALSE(dispenser.next(c, log)) << "claimed an item of the current chunk after cancel";
  EXPECT_FALSE(source.next().has_value());
}

TEST(DispenserCancel, NoClaimStartsAfterCancelReturns) {
  for (const int threads : {2, 4}) {
    const sched::ChunkPlan plan(200'000, 16, Strategy::dynamic, 1);
    auto shared = std::make_shared<std::atomic<std::uint64_t>>(0);
    sched::CounterSource source(plan.count(), std::make_unique<FakeCounter>(shared));
    sched::CounterSource other_rank(plan.count(), std::make_unique<FakeCounter>(shared));
    ItemDispenser dispenser(plan, source);
    std::atomic<bool> cancelled{false};
    std::atomic<std::uint64_t> claimed{0}, late{0};
    std::vector<std::vector<std::uint64_t>> items(threads);
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        trace::ThreadLog log;
        start.arrive_and_wait();
        Claim c{};
        for (;;) {
          const bool after_cancel = cancelled.load(std::memory_order_acquire);
          if (!dispenser.next(c, log)) break;
          if (after_cancel) late.fetch_add(1);
          items[t].push_back(c.item);
          // Thread 0 cancels after a thousand claims of the whole rank.
          if (claimed.fetch_add(1) + 1 == 1000) {
            dispenser.cancel();
            cancelled.store(true, std::memory_order_release);
          }
        }
      });
    for (auto& th : pool) th.join();
    EXPECT_EQ(late.load(), 0u) << "a claim that started after cancel() returned succeeded";
    // Claims under way when cancel() was called may finish, but the rank stopped early.
    EXPECT_GE(claimed.load(), 1000u);
    EXPECT_LT(claimed.load(), 1000u + 64u * threads);
    std::vector<int> seen(plan.items(), 0);
    for (const auto& list : items)
      for (const auto i : list) ASSERT_EQ(++seen[i], 1) << "item " << i << " claimed twice";
    EXPECT_FALSE(other_rank.next().has_value());
  }
}

TEST(DispenserCancel, StopRequestCancelsTheSharedCounter) {
  // stop::request() is process-wide and cannot be undone: run it in a child process.
  EXPECT_EXIT(
      {
        const sched::ChunkPlan plan(100, 10, Strategy::dynamic, 1);
        auto shared = std::make_shared<std::atomic<std::uint64_t>>(0);
        sched::CounterSource source(plan.count(), std::make_unique<FakeCounter>(shared));
        sched::CounterSource other_rank(plan.count(), std::make_unique<FakeCounter>(shared));
        ItemDispenser dispenser(plan, source);
        trace::ThreadLog log;
        Claim c{};
        const bool first = dispenser.next(c, log);
        stop::request(SIGTERM);
        const bool after = dispenser.next(c, log);
        const bool others = other_rank.next().has_value();
        std::exit(first && !after && !others ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------------------------
// Idle while a sibling refills

// A counter whose first fetch blocks until the test lets it go, signalling that it was entered.
class GatedCounter final : public sched::ChunkCounter {
public:
  std::uint64_t fetch_add(std::uint64_t delta) override {
    std::unique_lock lock(mutex_);
    if (!entered_) {
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    const auto old = value_;
    value_ += delta;
    return old;
  }
  std::string_view name() const override { return "gated"; }
  bool in_mpi() const override { return false; }
  void wait_until_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false, released_ = false;
  std::uint64_t value_ = 0;
};

// Whether a thread of this process is asleep in the kernel (blocked), from /proc.
bool thread_is_blocked(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'S';
}

TEST(DispenserIdle, ThreadThatFindsTheChunkEmptyWhileASiblingRefillsLogsIdle) {
  const sched::ChunkPlan plan(2, 1, Strategy::dynamic, 1);
  auto gated = std::make_unique<GatedCounter>();
  GatedCounter& gate = *gated;
  sched::CounterSource source(plan.count(), std::move(gated));
  ItemDispenser dispenser(plan, source);
  trace::Spool spool(std::size_t{1} << 20, 2, spool_dir());
  trace::ThreadLog refiller_log(&spool, 0), waiter_log(&spool, 1);
  std::vector<Claim> refiller_claims, waiter_claims;

  // The refiller takes the refill lock and blocks inside the counter.
  std::thread refiller([&] {
    refiller_log.start(now_ns());
    Claim c{};
    while (dispenser.next(c, refiller_log)) refiller_claims.push_back(c);
  });
  gate.wait_until_entered();

  // The waiter finds the (initial, empty) chunk and queues for the same lock.
  std::atomic<pid_t> waiter_tid{0};
  std::thread waiter([&] {
    waiter_log.start(now_ns());
    waiter_tid.store(static_cast<pid_t>(::syscall(SYS_gettid)));
    Claim c{};
    while (dispenser.next(c, waiter_log)) waiter_claims.push_back(c);
  });
  // Once the waiter has its id it has nothing left that blocks but the refill lock.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (waiter_tid.load() == 0 || !thread_is_blocked(waiter_tid.load())) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the waiter never blocked";
    std::this_thread::yield();
  }
  gate.release();
  refiller.join();
  waiter.join();
  spool.drain();

  EXPECT_EQ(refiller_claims.size() + waiter_claims.size(), 2u);
  const auto waiter_intervals = waiter_log.intervals();
  ASSERT_FALSE(waiter_intervals.empty());
  // Its first interval is the wait for the sibling's refill: idle, not hand-out.
  EXPECT_EQ(waiter_intervals.front().kind, Activity::idle);
  EXPECT_GT(waiter_log.total_ns(Activity::idle), 0);
  // The refiller's first interval is the (blocked) fetch from the counter: hand-out.
  const auto refiller_intervals = refiller_log.intervals();
  ASSERT_FALSE(refiller_intervals.empty());
  EXPECT_EQ(refiller_intervals.front().kind, Activity::handout);
  EXPECT_GT(refiller_log.total_ns(Activity::handout), 0);
  // Two chunks and the fetch that finds the end: three hand-outs between them, whoever made them.
  std::size_t handouts = 0;
  for (const auto* list : {&waiter_intervals, &refiller_intervals})
    for (const auto& iv : *list) handouts += iv.kind == Activity::handout;
  EXPECT_EQ(handouts, 3u);
}

}  // namespace
}  // namespace hybridscope::exec
