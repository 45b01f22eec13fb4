// analysis::analyse, to_text and to_json on timelines built in memory (no file), and timeline::lanes:
// POP efficiencies, shares per thread, cores and migrations from the intervals, and each warning
// with its evidence. Every expected value is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hybridscope/analysis/report.hpp"
#include "hybridscope/timeline/reader.hpp"
#include "hybridscope/timeline/records.hpp"
#include "hybridscope/trace/interval.hpp"

namespace hybridscope::analysis {
namespace {

using trace::Activity;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr double kTolerance = 1e-12;

timeline::ThreadRow thread_row(int rank, int thread, std::uint64_t items,
                               std::initializer_list<std::pair<Activity, double>> seconds,
                               const std::string& allowed_cpus = "0-3") {
  timeline::ThreadRow row;
  row.times.rank = rank;
  row.times.thread = thread;
  row.times.items = items;
  for (const auto& [kind, s] : seconds) row.times.ns[std::size_t(kind)] += std::int64_t(s * double(kSecond));
  // Every item measured, on a CPU half of its time.
  row.times.measured_item_ns = row.times.useful_ns();
  row.times.item_cpu_ns = row.times.useful_ns() / 2;
  row.allowed_cpus = allowed_cpus;
  return row;
}

// Two ranks of two threads on two hosts, wall time 10 s, with nothing to warn about. Seconds per kind:
//   rank 0 thread 0: startup 0.5, work 6, io 2, idle 1.5    useful 8, 30 items
//   rank 0 thread 1: work 4, idle 5, handout 1              useful 4, 10 items
//   rank 1 thread 0: work 6, lock_wait 3, shutdown 1        useful 6, 25 items
//   rank 1 thread 1: work 3, abandoned 1, idle 6            useful 3, 20 items
// Overall {8, 4, 6, 3}: mean 5.25, max 8 -> load balance 0.65625, communication 0.8, parallel 0.525.
// MPI (busiest per rank) {8, 6}: mean 7, max 8 -> load balance 0.875, communication 0.8, parallel 0.7.
// OpenMP: 21 / (2 x (8 + 6)) = 0.75; and 0.7 x 0.75 = 0.525.
// Busy shares: rank 0 (8 + 4) / 20 = 60%, 40 items; rank 1 (6 + 3) / 20 = 45%, 45 items.
timeline::Timeline clean_timeline() {
  timeline::Timeline t;
  t.path = "in-memory.h5";
  t.facts.producer = "hybridscope test";
  t.facts.layout = {2, 2};
  t.facts.nodes = 2;
  t.facts.strategy = "dynamic";
  t.facts.handout = "MPI RMA on rank 0";
  t.facts.workload = "fib";
  t.facts.workload_description = "fib n=30";
  t.facts.items_planned = 85;
  t.summary.items_done = 85;
  t.summary.checksum = 0x0123456789abcdefULL;
  t.summary.wall_seconds = 10;
  t.summary.complete = true;
  t.threads = {
      thread_row(0, 0, 30, {{Activity::startup, 0.5}, {Activity::work, 6}, {Activity::io, 2}, {Activity::idle, 1.5}}),
      thread_row(0, 1, 10, {{Activity::work, 4}, {Activity::idle, 5}, {Activity::handout, 1}}),
      thread_row(1, 0, 25, {{Activity::work, 6}, {Activity::lock_wait, 3}, {Activity::shutdown, 1}}),
      thread_row(1, 1, 20, {{Activity::work, 3}, {Activity::abandoned, 1}, {Activity::idle, 6}}),
  };
  t.ranks.resize(2);
  t.ranks[0].rank = 0;
  t.ranks[0].host = "node-a";
  t.ranks[1].rank = 1;
  t.ranks[1].host = "node-b";
  // Each host: 1 rank x 2 threads = 2 workers on 8 hardware threads.
  t.hosts = {{"node-a", 1, 1, 4, 8, 1}, {"node-b", 1, 1, 4, 8, 1}};
  return t;
}

// Appends one interval row.
void add(timeline::Intervals& c, int rank, int thread, Activity kind, int cpu, double begin_s, double end_s) {
  c.rank.push_back(std::uint32_t(rank));
  c.thread.push_back(std::uint16_t(thread));
  c.kind.push_back(std::uint8_t(kind));
  c.cpu.push_back(std::int16_t(cpu));
  c.begin_ns.push_back(std::int64_t(begin_s * double(kSecond)));
  c.end_ns.push_back(std::int64_t(end_s * double(kSecond)));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> warnings_with(const Report& r, const std::string& part) {
  std::vector<std::string> out;
  for (const auto& w : r.warnings)
    if (contains(w, part)) out.push_back(w);
  return out;
}

std::string all_warnings(const Report& r) {
  std::string out;
  for (const auto& w : r.warnings) out += "\n  " + w;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Numbers

TEST(Analyse, EfficienciesAreTheHandComputedOnes) {
  const Report r = analyse(clean_timeline());
  EXPECT_NEAR(r.efficiency.overall.load_balance, 0.65625, kTolerance);
  EXPECT_NEAR(r.efficiency.overall.communication, 0.8, kTolerance);
  EXPECT_NEAR(r.efficiency.overall.parallel, 0.525, kTolerance);
  // No MPI call and every thread recorded over the whole 10 s: MPI 1, OpenMP the rest (POP).
  EXPECT_NEAR(r.efficiency.mpi.load_balance, 1, kTolerance);
  EXPECT_NEAR(r.efficiency.mpi.communication, 1, kTolerance);
  EXPECT_NEAR(r.efficiency.mpi.parallel, 1, kTolerance);
  EXPECT_NEAR(r.efficiency.openmp.parallel, 0.525, kTolerance);
  // Additive OpenMP balance: 1 - mean(8 - 6, 6 - 4.5) / 10 = 0.825; the rest 0.525 - 0.825 + 1 = 0.7.
  EXPECT_NEAR(r.efficiency.additive.openmp.load_balance, 0.825, kTolerance);
  EXPECT_NEAR(r.efficiency.additive.openmp.communication, 0.7, kTolerance);
  EXPECT_NEAR(r.items_per_second, 8.5, kTolerance);  // 85 items in 10 s
  EXPECT_EQ(r.path, "in-memory.h5");
  EXPECT_EQ(r.hosts, (std::vector<std::string>{"node-a", "node-b"}));
  ASSERT_EQ(r.thread_times.size(), 4u);
  EXPECT_TRUE(r.warnings.empty()) << all_warnings(r);
}

TEST(Analyse, SharesPerThreadOfTheWallTime) {
  const Report r = analyse(clean_timeline());
  ASSERT_EQ(r.threads.size(), 4u);
  struct Expected {
    int rank, thread;
    const char* host;
    std::uint64_t items;
    std::vector<std::pair<Activity, double>> shares;  // the others are 0
  };
  const Expected expected[] = {
      {0, 0, "node-a", 30,
       {{Activity::startup, 0.05}, {Activity::work, 0.6}, {Activity::io, 0.2}, {Activity::idle, 0.15}}},
      {0, 1, "node-a", 10, {{Activity::work, 0.4}, {Activity::idle, 0.5}, {Activity::handout, 0.1}}},
      {1, 0, "node-b", 25, {{Activity::work, 0.6}, {Activity::lock_wait, 0.3}, {Activity::shutdown, 0.1}}},
      {1, 1, "node-b", 20, {{Activity::work, 0.3}, {Activity::abandoned, 0.1}, {Activity::idle, 0.6}}},
  };
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& t = r.threads[i];
    const auto& e = expected[i];
    EXPECT_EQ(t.rank, e.rank) << i;
    EXPECT_EQ(t.thread, e.thread) << i;
    EXPECT_EQ(t.host, e.host) << i;
    EXPECT_EQ(t.items, e.items) << i;
    double sum = 0;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
      double want = 0;
      for (const auto& [kind, share] : e.shares)
        if (std::size_t(kind) == k) want = share;
      EXPECT_NEAR(t.share[k], want, kTolerance) << "thread " << i << " " << trace::kActivityNames[k];
      sum += t.share[k];
    }
    EXPECT_NEAR(sum, 1.0, kTolerance) << i;
    // Without intervals loaded, no cores and no migrations.
    EXPECT_TRUE(t.cores.empty()) << i;
    EXPECT_EQ(t.migrations, 0u) << i;
  }
}

TEST(Analyse, ZeroWallTimeGivesZeroSharesAndRates) {
  auto t = clean_timeline();
  t.summary.wall_seconds = 0;
  const Report r = analyse(t);
  EXPECT_EQ(r.items_per_second, 0.0);
  EXPECT_EQ(r.efficiency.overall.parallel, 0.0);
  for (const auto& th : r.threads)
    for (const double s : th.share) EXPECT_EQ(s, 0.0);
}

TEST(Analyse, CoresAndMigrationsFromTheIntervals) {
  auto t = clean_timeline();
  auto& c = t.intervals;
  // rank 0 thread 0: cores 2, 2, 3, unknown (-1, not a migration), 2 -> cores {2, 3}, 2 migrations.
  add(c, 0, 0, Activity::work, 2, 0, 1);
  add(c, 0, 0, Activity::idle, 2, 1, 2);
  add(c, 0, 0, Activity::work, 3, 2, 3);
  add(c, 0, 0, Activity::idle, -1, 3, 4);
  add(c, 0, 0, Activity::work, 2, 4, 5);
  // rank 0 thread 1: core 1 throughout -> {1}, none.
  add(c, 0, 1, Activity::work, 1, 0, 2);
  add(c, 0, 1, Activity::idle, 1, 2, 10);
  // rank 1 thread 0: cores 5 then 0 -> {0, 5} (sorted), 1 migration.
  add(c, 1, 0, Activity::work, 5, 0, 1);
  add(c, 1, 0, Activity::work, 0, 1, 2);
  // rank 1 thread 1: no rows.
  const Report r = analyse(t);
  ASSERT_EQ(r.threads.size(), 4u);
  EXPECT_EQ(r.threads[0].cores, (std::vector<int>{2, 3}));
  EXPECT_EQ(r.threads[0].migrations, 2u);
  EXPECT_EQ(r.threads[1].cores, (std::vector<int>{1}));
  EXPECT_EQ(r.threads[1].migrations, 0u);
  EXPECT_EQ(r.threads[2].cores, (std::vector<int>{0, 5}));
  EXPECT_EQ(r.threads[2].migrations, 1u);
  EXPECT_TRUE(r.threads[3].cores.empty());
  EXPECT_EQ(r.threads[3].migrations, 0u);

  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_EQ(r.warnings[0],
            "threads migrated between cores: 2 of 4 threads moved (rank 0 thread 0 2 times, rank 1 thread 0 1 "
            "times); pin them with OMP_PROC_BIND=close OMP_PLACES=cores");

  // The table of to_text shows them: rank 0 thread 0 was busy 80%, idle 15%, other (startup) 5%.
  const std::string text = to_text(r);
  EXPECT_TRUE(contains(text, "    0      0      30  80.0%  50.0%  15.0%   0.0%    0.0%   0.0%   5.0%  2,3    2\n")) << text;
  EXPECT_TRUE(contains(text, "    1      0      25  60.0%  50.0%   0.0%  30.0%    0.0%   0.0%  10.0%  0,5    1\n")) << text;
  EXPECT_TRUE(contains(text, "    1      1      20  30.0%  50.0%  60.0%   0.0%    0.0%   0.0%  10.0%  -      0\n")) << text;
  EXPECT_TRUE(contains(text, "\nwarning: threads migrated between cores: 2 of 4 threads moved")) << text;
}

TEST(Analyse, TwoThreadsWorkingOnOneCoreAtOnceIsWarnedAbout) {
  auto t = clean_timeline();
  auto& c = t.intervals;
  // Both threads of rank 0 work on core 1 of node-a; their work overlaps from 1 s to 2 s: 1 s, 10% of
  // the run (more than the 1 ms and 1% thresholds). Idle time on the same core does not count.
  add(c, 0, 0, Activity::work, 1, 0, 2);
  add(c, 0, 0, Activity::idle, 1, 2, 10);
  add(c, 0, 1, Activity::idle, 1, 0, 1);
  add(c, 0, 1, Activity::work, 1, 1, 3);
  // Rank 1 (another host) also works on core 1 at the same time: not the same core.
  add(c, 1, 0, Activity::work, 1, 0, 10);
  const Report r = analyse(t);
  const auto shared = warnings_with(r, "shared a core");
  ASSERT_EQ(shared.size(), 1u) << all_warnings(r);
  EXPECT_EQ(shared[0],
            "two threads shared a core: rank 0 thread 0 and rank 0 thread 1 worked on core 1 of node-a at the "
            "same time for 1.000 s (10% of the run)");
}

// ---------------------------------------------------------------------------------------------
// Warnings

TEST(Analyse, IncompleteRunIsWarnedAbout) {
  auto t = clean_timeline();
  t.summary.complete = false;
  t.summary.stop_reason = "stopped by SIGTERM";
  t.facts.items_planned = 100;
  const Report r = analyse(t);
  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_EQ(r.warnings[0], "the run is incomplete: stopped by SIGTERM (85 of 100 items done)");
  const std::string text = to_text(r);
  EXPECT_TRUE(contains(text, "run        in-memory.h5  (INCOMPLETE)\n")) << text;
  EXPECT_TRUE(contains(text, "\nwarning: the run is incomplete: stopped by SIGTERM")) << text;
  EXPECT_FALSE(contains(to_text(analyse(clean_timeline())), "INCOMPLETE"));
}

TEST(Analyse, DroppedIntervalsAreWarnedAbout) {
  auto t = clean_timeline();
  t.threads[1].dropped_intervals = 5;
  t.threads[3].dropped_intervals = 7;
  const Report r = analyse(t);
  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_TRUE(r.warnings[0].starts_with("12 intervals were dropped while recording")) << r.warnings[0];
}

TEST(Analyse, MoreWorkersThanCoresIsWarnedAbout) {
  auto t = clean_timeline();
  t.hosts[1].pus = 1;  // node-b: 1 rank x 2 threads on 1 hardware thread
  t.hosts[1].cores = 1;
  const Report r = analyse(t);
  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_EQ(r.warnings[0],
            "more workers than cores: 2 workers on node-b, which has 1 hardware threads (1 cores); results there "
            "are limited by the cores");
  // As many workers as hardware threads is fine; an unknown count (0) says nothing.
  t.hosts[1].pus = 2;
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
  t.hosts[1].pus = 0;
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
  // Two ranks on one host: 4 workers on 3 hardware threads.
  t.hosts = {{"node-a", 2, 1, 3, 3, 1}};
  const Report both = analyse(t);
  ASSERT_EQ(warnings_with(both, "more workers than cores").size(), 1u) << all_warnings(both);
  EXPECT_TRUE(contains(both.warnings[0], "4 workers on node-a, which has 3 hardware threads")) << both.warnings[0];
}

TEST(Analyse, BindingTighterThanTheThreadsIsWarnedAbout) {
  auto t = clean_timeline();
  // Both threads of rank 1 may only run on CPU 5: fewer CPUs than its 2 threads.
  t.threads[2].allowed_cpus = "5";
  t.threads[3].allowed_cpus = "5";
  const Report r = analyse(t);
  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_EQ(r.warnings[0],
            "rank 1's 2 threads may only run on 1 CPU of node-b: the launcher bound the rank too tightly (mpirun "
            "binds each rank to one core by default: use --bind-to none or --map-by slot:PE=2)");
  EXPECT_TRUE(contains(to_text(r), "\nwarning: rank 1's 2 threads may only run on 1 CPU")) << to_text(r);
}

TEST(Analyse, BindingCountsTheCpusOfTheWholeRank) {
  // Each thread pinned to its own CPU (OMP_PROC_BIND) is not too tight: the rank has 2 CPUs for its 2
  // threads. Three threads per rank on those 2 CPUs are.
  auto t = clean_timeline();
  t.threads[2].allowed_cpus = "4";
  t.threads[3].allowed_cpus = "5";
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
  t.facts.layout.threads = 3;
  t.hosts[0].pus = t.hosts[1].pus = 64;
  const Report r = analyse(t);
  ASSERT_EQ(warnings_with(r, "may only run on").size(), 1u) << all_warnings(r);
  EXPECT_TRUE(contains(r.warnings.back(), "rank 1's 3 threads may only run on 2 CPUs")) << r.warnings.back();
  EXPECT_TRUE(contains(r.warnings.back(), "--map-by slot:PE=3")) << r.warnings.back();
}

// Four ranks of two threads, two per node of 8 hardware threads, each thread pinned to one CPU. On
// node-a ranks 0 and 1 both have CPUs 0 and 1 (every node's launcher bound its ranks as if alone there,
// or a bad rankfile): they take turns on them. On node-b ranks 2 and 3 have CPUs 0-1 and 2-3 of their own.
timeline::Timeline two_ranks_per_node(const std::string& rank1_cpus) {
  auto t = clean_timeline();
  t.facts.layout = {4, 2};
  t.threads.clear();
  const std::vector<std::pair<std::string, std::string>> cpus = {{"0", "1"}, {rank1_cpus, rank1_cpus}, {"0", "1"}, {"2", "3"}};
  for (int rank = 0; rank < 4; ++rank) {
    t.threads.push_back(thread_row(rank, 0, 10, {{Activity::work, 6}, {Activity::idle, 4}}, cpus[rank].first));
    t.threads.push_back(thread_row(rank, 1, 10, {{Activity::work, 6}, {Activity::idle, 4}}, cpus[rank].second));
  }
  t.ranks.resize(4);
  for (int rank = 0; rank < 4; ++rank) {
    t.ranks[rank].rank = rank;
    t.ranks[rank].host = rank < 2 ? "node-a" : "node-b";
  }
  t.hosts = {{"node-a", 2, 1, 4, 8, 1}, {"node-b", 2, 1, 4, 8, 1}};
  return t;
}

TEST(Analyse, ANodeWhoseRanksShareTheirBoundCpusIsNamed) {
  const Report r = analyse(two_ranks_per_node("0-1"));
  ASSERT_EQ(r.warnings.size(), 1u) << all_warnings(r);
  EXPECT_EQ(r.warnings[0],
            "the ranks on node node-a were bound badly: ranks 0 and 1 share CPUs 0-1 (4 threads on 2 CPUs), so they "
            "took turns there "
            "(not so on the other node); bind each rank to cores of its own (srun --cpu-bind=cores, mpirun "
            "--map-by slot:PE=2) or not at all (--bind-to none)");
  // One CPU in common is enough when it leaves fewer CPUs than threads; CPUs of their own are fine.
  const auto one = warnings_with(analyse(two_ranks_per_node("1-2")), "bound badly");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(contains(one[0], "ranks 0 and 1 share CPU 1 (4 threads on 3 CPUs), so")) << one[0];
  EXPECT_TRUE(analyse(two_ranks_per_node("4-5")).warnings.empty()) << all_warnings(analyse(two_ranks_per_node("4-5")));
}

TEST(Analyse, UnboundRanksAndRoomyCpusetsDoNotCountAsSharing) {
  // Ranks 0 and 1 may both run on all 8 hardware threads of node-a: not bound, sharing by design.
  auto t = two_ranks_per_node("0-7");
  t.threads[0].allowed_cpus = t.threads[1].allowed_cpus = "0-7";
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
  // Both ranks in one cpuset of 4 CPUs (a job's cgroup), threads not pinned: room for all 4 threads.
  t = two_ranks_per_node("0-3");
  t.threads[0].allowed_cpus = t.threads[1].allowed_cpus = "0-3";
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
  // A cpuset of 3 CPUs for their 4 threads is not.
  t.threads[0].allowed_cpus = t.threads[1].allowed_cpus = t.threads[2].allowed_cpus = t.threads[3].allowed_cpus = "0-2";
  ASSERT_EQ(warnings_with(analyse(t), "bound badly").size(), 1u) << all_warnings(analyse(t));
  // On a host whose size is unknown (0) nothing is said.
  t = two_ranks_per_node("0-1");
  t.hosts[0].pus = 0;
  EXPECT_TRUE(analyse(t).warnings.empty()) << all_warnings(analyse(t));
}

TEST(Analyse, EveryNodeWithSharingRanksIsNamedOnce) {
  // Both nodes bound all their ranks to CPUs 0-1, as every node's mpirun daemon binding alone would.
  auto t = two_ranks_per_node("0-1");
  t.threads[4].allowed_cpus = t.threads[6].allowed_cpus = "0";
  t.threads[5].allowed_cpus = t.threads[7].allowed_cpus = "1";
  const auto w = warnings_with(analyse(t), "bound badly");
  ASSERT_EQ(w.size(), 2u) << all_warnings(analyse(t));
  EXPECT_TRUE(w[0].starts_with("the ranks on node node-a were bound badly: ranks 0 and 1 share CPUs 0-1 (4 threads "
                               "on 2 CPUs), so they took turns there; bind")) << w[0];
  EXPECT_TRUE(w[1].starts_with("the ranks on node node-b were bound badly: ranks 2 and 3 share CPUs 0-1")) << w[1];
}

// ---------------------------------------------------------------------------------------------
// Text and JSON

// The clean run by node: node-a (rank 0) busy (8 + 4) / 20 = 60%, node-b (6 + 3) / 20 = 45%;
// node load balance 0.525 / 0.6 = 0.875, and 45% is above 70% of 60%: no warning.
TEST(Analyse, NodesWithTheirBusyShareAndLoadBalance) {
  const auto r = analyse(clean_timeline());
  ASSERT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.nodes[0].host, "node-a");
  EXPECT_EQ(r.nodes[0].ranks, 1);
  EXPECT_EQ(r.nodes[0].threads, 2);
  EXPECT_EQ(r.nodes[0].items, 40u);
  EXPECT_NEAR(r.nodes[0].busy, 0.6, kTolerance);
  EXPECT_NEAR(r.nodes[1].busy, 0.45, kTolerance);
  EXPECT_NEAR(r.node_load_balance, 0.875, kTolerance);
  EXPECT_TRUE(warnings_with(r, "least busy").empty()) << all_warnings(r);
  EXPECT_TRUE(contains(to_text(r), " node load balance 0.875"));
}

// node-b's threads idle most of the run: 2 s of work each (20%) against node-a's 60%.
TEST(Analyse, ALaggingNodeIsNamed) {
  auto t = clean_timeline();
  t.threads[2] = thread_row(1, 0, 5, {{Activity::work, 2}, {Activity::idle, 8}});
  t.threads[3] = thread_row(1, 1, 5, {{Activity::work, 2}, {Activity::idle, 8}});
  const auto r = analyse(t);
  const auto w = warnings_with(r, "least busy");
  ASSERT_EQ(w.size(), 1u) << all_warnings(r);
  EXPECT_TRUE(contains(w[0], "node node-b")) << w[0];
  EXPECT_TRUE(contains(w[0], "20.0% of the run, against 60.0%")) << w[0];
}

// Rank 1's offset moved by 10 us between start and end, with round trips of 2 and 4 us: beyond the
// +-3 us the measurements allow. Moved by 2 us: within them.
TEST(Analyse, AClockThatDriftedBeyondItsErrorIsNamed) {
  auto t = clean_timeline();
  t.ranks[1].clock_offset_start_ns = -5'000'000'000'000;
  t.ranks[1].clock_round_trip_start_ns = 2000;
  t.ranks[1].clock_round_trip_end_ns = 4000;
  t.ranks[1].clock_offset_end_ns = t.ranks[1].clock_offset_start_ns + 10'000;
  const auto drifted = warnings_with(analyse(t), "clock of rank 1");
  ASSERT_EQ(drifted.size(), 1u);
  EXPECT_TRUE(contains(drifted[0], "on node-b moved by 10.0 us")) << drifted[0];
  EXPECT_TRUE(contains(drifted[0], "+-3.0 us")) << drifted[0];
  t.ranks[1].clock_offset_end_ns = t.ranks[1].clock_offset_start_ns + 2'000;
  EXPECT_TRUE(warnings_with(analyse(t), "clock of rank").empty());
}

TEST(ToText, EfficiencyLineHasTheHandComputedNumbers) {
  const std::string text = to_text(analyse(clean_timeline()));
  EXPECT_TRUE(contains(text, "\nefficiency 0.525 = load balance 0.656 x communication 0.800\n")) << text;
  EXPECT_TRUE(contains(text, "\n  hybrid   MPI 1.000 (load balance 1.000 x communication 1.000) x OpenMP 0.525 (load balance 0.656 x "
                                "communication 0.800)\n"))
      << text;
  EXPECT_TRUE(text.starts_with("run        in-memory.h5\n")) << text;
  EXPECT_TRUE(contains(text, "\nlayout     2 ranks x 2 threads = 4 workers on 2 nodes: node-a (1 rank), "
                             "node-b (1 rank)\n"))
      << text;
  EXPECT_TRUE(contains(text, "\nitems/s    8.5\n")) << text;
  EXPECT_TRUE(contains(text, "\nchecksum   0123456789abcdef (85 items)\n")) << text;
  EXPECT_TRUE(contains(text, "\nbusy share rank 0: 60.0% (40 items), rank 1: 45.0% (45 items)")) << text;
  EXPECT_TRUE(contains(text, "\n  on a CPU 50.0% of the time in items (mostly waiting: I/O, a lock or a shared core)\n")) << text;
  // Without intervals: no cores, shown as "-".
  EXPECT_TRUE(contains(text, "    0      1      10  40.0%  50.0%  50.0%   0.0%   10.0%   0.0%   0.0%  -      0\n")) << text;
  EXPECT_FALSE(contains(text, "warning")) << text;
}

TEST(ToJson, CarriesTheNumbersSharesAndWarnings) {
  auto t = clean_timeline();
  t.summary.complete = false;
  t.summary.stop_reason = "stopped by SIGINT";
  const auto j = nlohmann::json::parse(to_json(analyse(t)));
  EXPECT_EQ(j.at("file"), "in-memory.h5");
  EXPECT_EQ(j.at("complete"), false);
  EXPECT_EQ(j.at("stop_reason"), "stopped by SIGINT");
  EXPECT_EQ(j.at("ranks"), 2);
  EXPECT_EQ(j.at("threads_per_rank"), 2);
  EXPECT_EQ(j.at("workers"), 4);
  EXPECT_EQ(j.at("items_done"), 85);
  EXPECT_EQ(j.at("checksum"), "0123456789abcdef");
  EXPECT_NEAR(j.at("items_per_second").get<double>(), 8.5, kTolerance);
  EXPECT_NEAR(j.at("efficiency").at("parallel").get<double>(), 0.525, kTolerance);
  EXPECT_NEAR(j.at("efficiency").at("load_balance").get<double>(), 0.65625, kTolerance);
  EXPECT_NEAR(j.at("efficiency").at("communication").get<double>(), 0.8, kTolerance);
  EXPECT_NEAR(j.at("mpi_efficiency").at("parallel").get<double>(), 1, kTolerance);
  EXPECT_NEAR(j.at("mpi_efficiency").at("load_balance").get<double>(), 1, kTolerance);
  EXPECT_NEAR(j.at("openmp_efficiency").at("parallel").get<double>(), 0.525, kTolerance);
  EXPECT_NEAR(j.at("openmp_efficiency").at("load_balance").get<double>(), 0.65625, kTolerance);
  EXPECT_NEAR(j.at("additive").at("openmp").at("load_balance").get<double>(), 0.825, kTolerance);
  const auto& threads = j.at("threads");
  ASSERT_EQ(threads.size(), 4u);
  EXPECT_EQ(threads[2].at("rank"), 1);
  EXPECT_EQ(threads[2].at("thread"), 0);
  EXPECT_EQ(threads[2].at("host"), "node-b");
  EXPECT_EQ(threads[2].at("items"), 25);
  EXPECT_NEAR(threads[2].at("shares").at("lock_wait").get<double>(), 0.3, kTolerance);
  EXPECT_NEAR(threads[2].at("shares").at("work").get<double>(), 0.6, kTolerance);
  EXPECT_EQ(threads[2].at("shares").size(), trace::kActivityCount);
  ASSERT_EQ(j.at("warnings").size(), 1u);
  EXPECT_EQ(j.at("warnings")[0], "the run is incomplete: stopped by SIGINT (85 of 85 items done)");
}

// ---------------------------------------------------------------------------------------------
// timeline::lanes

TEST(Lanes, OneLanePerRunOfRankAndThread) {
  timeline::Intervals c;
  EXPECT_TRUE(timeline::lanes(c).empty());
  add(c, 0, 0, Activity::startup, 0, 0, 1);
  add(c, 0, 0, Activity::work, 0, 1, 2);
  add(c, 0, 0, Activity::idle, 0, 2, 3);
  add(c, 0, 1, Activity::work, 1, 0, 3);
  add(c, 1, 0, Activity::work, 2, 0, 1);  // same thread number, next rank: a new lane
  add(c, 1, 0, Activity::work, 2, 1, 2);
  add(c, 2, 1, Activity::work, 3, 0, 1);  // rank 2 has no thread 0 rows
  const auto lanes = timeline::lanes(c);
  ASSERT_EQ(lanes.size(), 4u);
  const int expected[4][4] = {{0, 0, 0, 3}, {0, 1, 3, 4}, {1, 0, 4, 6}, {2, 1, 6, 7}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(lanes[i].rank, expected[i][0]) << i;
    EXPECT_EQ(lanes[i].thread, expected[i][1]) << i;
    EXPECT_EQ(lanes[i].first, std::size_t(expected[i][2])) << i;
    EXPECT_EQ(lanes[i].last, std::size_t(expected[i][3])) << i;
  }
  // One row is one lane.
  timeline::Intervals one;
  add(one, 7, 3, Activity::work, 0, 0, 1);
  const auto single = timeline::lanes(one);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].rank, 7);
  EXPECT_EQ(single[0].thread, 3);
  EXPECT_EQ(single[0].first, 0u);
  EXPECT_EQ(single[0].last, 1u);
}

}  // namespace
}  // namespace hybridscope::analysis
