// Kernels, the run checksum, irregular item costs and the CPU-rate calibration (the GIL-like lock:
// test_gil_lock.cpp; the activity log and its spool: test_thread_log.cpp, test_spool.cpp). The
// central property: an item's value depends on the input and the item only, never on
// the worker, thread or workload object that ran it, so the run checksum is layout-independent.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hybridscope/core/clock.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "hybridscope/workloads/calibrate.hpp"
#include "hybridscope/workloads/workloads.hpp"
#include "temp_dir.hpp"

namespace hybridscope::workloads {
namespace {

namespace fs = std::filesystem;
using trace::Activity;

using test_support::TempDir;

double burn_rate() {
  static const double rate = measure_burn_rate();
  return rate;
}

std::uint64_t bits_of(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// ---------------------------------------------------------------------------------------------
// fib, mix64, item_checksum

TEST(Fib, KnownValues) {
  EXPECT_EQ(fib(0), 0u);
  EXPECT_EQ(fib(1), 1u);
  EXPECT_EQ(fib(2), 1u);
  EXPECT_EQ(fib(10), 55u);
  EXPECT_EQ(fib(20), 6765u);
  EXPECT_EQ(fib(30), 832040u);
  EXPECT_EQ(fib(32), 2178309u);
  // fib(50) = 12586269025 is not computed here: the recursive kernel needs about a minute for it.
}

TEST(Mix64, MatchesSplitMix64ReferenceOutputs) {
  // splitmix64 seeded with 0: its first outputs are mix64(0), mix64(golden ratio), ...
  EXPECT_EQ(mix64(0), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(mix64(0x9E3779B97F4A7C15ULL), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(mix64(0x3C6EF372FE94F82AULL), 0x06C45D188009454FULL);
  static_assert(mix64(1) == mix64(1));  // usable at compile time
}

TEST(Mix64, DistinctInputsGiveDistinctOutputs) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < 100000; ++i) out.push_back(mix64(i));
  std::sort(out.begin(), out.end());
  EXPECT_EQ(std::adjacent_find(out.begin(), out.end()), out.end());
  // Avalanche, roughly: flipping one input bit flips about half the output bits.
  double flipped = 0;
  for (std::uint64_t i = 0; i < 1000; ++i)
    flipped += __builtin_popcountll(mix64(i) ^ mix64(i ^ (1ull << (i % 64))));
  EXPECT_NEAR(flipped / 1000, 32.0, 2.0);
}

TEST(Checksum, WrappingSumIsOrderFreeButSeesLostDuplicatedAndSwappedItems) {
  constexpr std::uint64_t kItems = 5000;
  auto value = [](std::uint64_t i) { return i * 0x9E3779B97F4A7C15ULL + 17; };
  std::vector<std::uint64_t> order(kItems);
  std::iota(order.begin(), order.end(), 0);
  std::uint64_t forward = 0;
  for (const auto i : order) forward += item_checksum(i, value(i));
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    std::uint64_t shuffled = 0;
    for (const auto i : order) shuffled += item_checksum(i, value(i));
    EXPECT_EQ(shuffled, forward);
  }
  // Lost or repeated items change the sum, wherever they are.
  for (const std::uint64_t i : {std::uint64_t{0}, kItems / 2, kItems - 1}) {
    EXPECT_NE(forward - item_checksum(i, value(i)), forward) << "lost item " << i;
    EXPECT_NE(forward + item_checksum(i, value(i)), forward) << "repeated item " << i;
  }
  // An item run twice instead of another one (a mis-claimed item) changes it too.
  EXPECT_NE(forward - item_checksum(7, value(7)) + item_checksum(8, value(8)), forward);
  // The value is tied to its item: two items' values swapped is not the same run.
  EXPECT_NE(item_checksum(1, value(2)) + item_checksum(2, value(1)),
            item_checksum(1, value(1)) + item_checksum(2, value(2)));
  // Items whose values are all equal (fib) still count one by one.
  EXPECT_NE(item_checksum(3, 55), item_checksum(4, 55));
  EXPECT_NE(item_checksum(3, 55), item_checksum(3, 56));
}

// ---------------------------------------------------------------------------------------------
// Every kernel: the same value for an item from any worker of any workload made from one config

struct KindCase {
  const char* name;
  WorkloadKind kind;
};
void PrintTo(const KindCase& k, std::ostream* os) { *os << k.name; }

WorkloadConfig small_config(WorkloadKind kind, const fs::path& dir) {
  WorkloadConfig w;
  w.kind = kind;
  w.n = 27;                  // above 24, so the stoppable recursion is used
  w.seconds = 0.001;         // spin, sleep, gil
  w.elements = 1024;         // triad
  w.bytes = 4096;            // file_io
  w.dir = dir.string();      // file_io
  w.switch_interval = 2e-4;  // gil
  if (kind == WorkloadKind::irregular) w.seconds = 2e-4;
  w.seed = 7;
  return w;
}

const std::vector<std::uint64_t> kItems = {0, 1, 2, 7, 8, 1000, 123456789, 1'000'000'000'000 - 1};

std::vector<std::uint64_t> run_items(Worker& worker, const std::vector<std::uint64_t>& items,
                                     std::uint64_t chunk) {
  trace::ThreadLog log;
  log.start(now_ns());
  std::vector<std::uint64_t> out;
  for (const auto i : items) out.push_back(worker.run(chunk, i, log));
  return out;
}

class EveryKind : public ::testing::TestWithParam<KindCase> {};

TEST_P(EveryKind, ItemValueDoesNotDependOnWorkerThreadOrWorkload) {
  TempDir dir;
  const WorkloadConfig config = small_config(GetParam().kind, dir.path());
  auto first = make_workload(config, burn_rate());
  auto second = make_workload(config, burn_rate());

  // Worker 1 on this thread, items in order.
  auto w1 = first->make_worker();
  const auto v1 = run_items(*w1, kItems, 0);
  // Worker 2 of the same workload, made and run on another thread, items in reverse, other chunk.
  std::vector<std::uint64_t> v2;
  std::thread other([&] {
    auto w2 = first->make_worker();
    std::vector<std::uint64_t> reversed(kItems.rbegin(), kItems.rend());
    v2 = run_items(*w2, reversed, 99);
    std::reverse(v2.begin(), v2.end());
  });
  other.join();
  // Worker 3 of a second workload from the same config, after warming up on other items.
  auto w3 = second->make_worker();
  run_items(*w3, {5, 3, 11}, 4);
  const auto v3 = run_items(*w3, kItems, 12345);

  EXPECT_EQ(v1, v2);
  EXPECT_EQ(v1, v3);
  std::uint64_t sum1 = 0, sum3 = 0;
  for (std::size_t i = 0; i < kItems.size(); ++i) {
    sum1 += item_checksum(kItems[i], v1[i]);
    sum3 += item_checksum(kItems[i], v3[i]);
  }
  EXPECT_EQ(sum1, sum3);
  EXPECT_EQ(first->activity(), config.kind == WorkloadKind::file_io ? Activity::io : Activity::work);
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKind,
                         ::testing::Values(KindCase{"fib", WorkloadKind::fib},
                                           KindCase{"spin", WorkloadKind::spin},
                                           KindCase{"sleep", WorkloadKind::sleep},
                                           KindCase{"file_io", WorkloadKind::file_io},
                                           KindCase{"triad", WorkloadKind::triad},
                                           KindCase{"gil", WorkloadKind::gil},
                                           KindCase{"irregular", WorkloadKind::irregular}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(KernelValues, KnownAnswers) {
  TempDir dir;
  trace::ThreadLog log;
  log.start(now_ns());
  // fib through the worker (the stoppable recursion above n = 24), whatever the item.
  auto fib_worker = make_workload(small_config(WorkloadKind::fib, dir.path()), burn_rate())->make_worker();
  EXPECT_EQ(fib_worker->run(0, 0, log), 196418u);  // fib(27)
  EXPECT_EQ(fib_worker->run(3, 999, log), 196418u);
  WorkloadConfig thirty = small_config(WorkloadKind::fib, dir.path());
  thirty.n = 30;
  EXPECT_EQ(make_workload(thirty, burn_rate())->make_worker()->run(0, 5, log), 832040u);

  // sleep returns the item itself; spin and gil a checkpoint of the chain they computed from it, so
  // that the checksum proves the work was done and is the same in every run.
  EXPECT_EQ(make_workload(small_config(WorkloadKind::sleep, dir.path()), burn_rate())->make_worker()->run(0, 42, log),
            42u);
  for (const auto kind : {WorkloadKind::spin, WorkloadKind::gil}) {
    const auto config = small_config(kind, dir.path());
    auto w = make_workload(config, burn_rate())->make_worker();
    const auto iterations = static_cast<std::uint64_t>(std::llround(config.seconds * burn_rate()));
    ASSERT_GT(iterations, kCheckpointSteps);
    EXPECT_EQ(w->run(0, 42, log), burn(kCheckpointSteps, 42)) << to_string(kind);
    EXPECT_NE(burn(kCheckpointSteps, 42), 42u);
  }
  // irregular returns the cost it burned, as bits, so a different draw changes the checksum.
  const WorkloadConfig irregular = small_config(WorkloadKind::irregular, dir.path());
  auto iw = make_workload(irregular, burn_rate())->make_worker();
  for (const std::uint64_t item : {0ull, 17ull, 4242ull})
    EXPECT_EQ(iw->run(0, item, log), bits_of(irregular_cost(irregular, item))) << item;

  // triad: a = b + s*c with s = 1 + item % 8, value a[item % n] + a[n-1]; worked out by hand for
  // n = 16 from b[i] = 1 + (i % 17) / 2 and c[i] = 2 - (i % 13) / 8.
  WorkloadConfig triad = small_config(WorkloadKind::triad, dir.path());
  triad.elements = 16;
  auto tw = make_workload(triad, burn_rate())->make_worker();
  EXPECT_EQ(tw->run(0, 0, log), bits_of(3.0 + 10.25));  // s = 1: a[0] = 3, a[15] = 8.5 + 1.75
  EXPECT_EQ(tw->run(0, 3, log), bits_of(9.0 + 15.5));   // s = 4: a[3] = 2.5 + 6.5, a[15] = 8.5 + 7
  EXPECT_EQ(tw->run(0, 0, log), bits_of(13.25));        // no state carried between items
}

TEST(KernelValues, DistinctItemsGiveDistinctFileAndTriadValues) {
  TempDir dir;
  for (const auto kind : {WorkloadKind::file_io, WorkloadKind::triad, WorkloadKind::irregular}) {
    auto workload = make_workload(small_config(kind, dir.path()), burn_rate());
    auto w = workload->make_worker();
    const auto values = run_items(*w, {0, 1, 2, 3, 4, 5, 6, 7}, 0);
    std::vector<std::uint64_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << to_string(kind);
  }
}

TEST(KernelTiming, SleepAndSpinTakeTheirTime) {
  TempDir dir;
  trace::ThreadLog log;
  log.start(now_ns());
  for (const auto kind : {WorkloadKind::sleep, WorkloadKind::spin}) {
    WorkloadConfig config = small_config(kind, dir.path());
    config.seconds = 0.004;
    auto w = make_workload(config, burn_rate())->make_worker();
    const auto begin = std::chrono::steady_clock::now();
    w->run(0, 1, log);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (kind == WorkloadKind::sleep)
      EXPECT_GE(elapsed, 0.004);  // a deadline on the steady clock: never shorter
    else
      EXPECT_GE(elapsed, 0.001) << "4 ms of spin finished in " << elapsed << " s";  // loose: turbo
    EXPECT_LT(elapsed, 30.0) << to_string(kind);
  }
}

TEST(KernelStop, ItemsAreAbandonedOnAStopRequest) {
  // stop::request() is process-wide and permanent: run it in a child process.
  EXPECT_EXIT(
      {
        stop::request(SIGTERM);
        trace::ThreadLog log;
        int abandoned = 0;
        WorkloadConfig config;
        for (const auto kind : {WorkloadKind::sleep, WorkloadKind::spin, WorkloadKind::fib,
                                WorkloadKind::gil, WorkloadKind::irregular}) {
          config.kind = kind;
          config.seconds = 3600;  // would take an hour without the stop
          config.n = 50;          // likewise
          try {
            make_workload(config, burn_rate())->make_worker()->run(0, 0, log);
          } catch (const Abandoned&) {
            ++abandoned;
          }
        }
        std::exit(abandoned == 5 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------------------------
// file_io's private scratch directory

TEST(FileIo, ScratchDirectoryIsPrivateAndRemovedWithTheWorkload) {
  TempDir parent;
  {
    auto workload = make_workload(small_config(WorkloadKind::file_io, parent.path()), burn_rate());
    const auto entries = parent.entries();
    ASSERT_EQ(entries.size(), 1u);
    const fs::path scratch = entries.front();
    EXPECT_TRUE(fs::is_directory(scratch));
    EXPECT_EQ(scratch.filename().string().rfind("hybridscope-", 0), 0u) << scratch;
    struct stat st {};
    ASSERT_EQ(::stat(scratch.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u) << std::oct << (st.st_mode & 07777);
    EXPECT_EQ(st.st_uid, ::geteuid());

    // Items leave nothing behind.
    auto worker = workload->make_worker();
    run_items(*worker, {1, 2, 3}, 0);
    EXPECT_TRUE(fs::is_empty(scratch));
    // Whatever an interrupted item left behind goes with the directory.
    std::ofstream(scratch / "item-9") << "left over";
    fs::create_directory(scratch / "sub");
    std::ofstream(scratch / "sub" / "x") << "nested";
  }
  EXPECT_TRUE(parent.entries().empty()) << "scratch directory left in " << parent.path();
}

TEST(FileIo, EachWorkloadGetsItsOwnDirectory) {
  TempDir parent;
  const auto config = small_config(WorkloadKind::file_io, parent.path());
  auto a = make_workload(config, burn_rate());
  auto b = make_workload(config, burn_rate());
  EXPECT_EQ(parent.entries().size(), 2u);
  // Both run the same item at once without colliding on its file.
  auto wa = a->make_worker();
  auto wb = b->make_worker();
  std::uint64_t va = 0, vb = 0;
  std::thread t([&] { va = run_items(*wa, {5}, 0).front(); });
  vb = run_items(*wb, {5}, 0).front();
  t.join();
  EXPECT_EQ(va, vb);
  a.reset();
  EXPECT_EQ(parent.entries().size(), 1u);
  b.reset();
  EXPECT_TRUE(parent.entries().empty());
}

TEST(FileIo, EmptyDirMeansTmpdir) {
  TempDir parent;
  const char* saved = std::getenv("TMPDIR");
  const std::optional<std::string> old = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  {
    auto config = small_config(WorkloadKind::file_io, parent.path());
    config.dir.clear();
    auto workload = make_workload(config, burn_rate());
    EXPECT_EQ(parent.entries().size(), 1u);
  }
  if (old) ::setenv("TMPDIR", old->c_str(), 1);
  else ::unsetenv("TMPDIR");
  EXPECT_TRUE(parent.entries().empty());
}

void expect_setup_error(const fs::path& dir) {
  auto config = small_config(WorkloadKind::file_io, dir);
  try {
    auto w = make_workload(config, burn_rate());
    ADD_FAILURE() << "a scratch directory was made in " << dir;
  } catch (const InputError& e) {
    ADD_FAILURE() << "an unusable directory is a run-time Error, not bad input: " << e.what();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.code(), ExitCode::failure);
    EXPECT_NE(m.find(dir.string()), std::string::npos) << m;
    EXPECT_NE(m.find("workload.dir"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(FileIo, UnusableDirectoryThrowsError) {
  TempDir parent;
  expect_setup_error(parent.path() / "does" / "not" / "exist");
  std::ofstream(parent.path() / "a-file") << "x";
  expect_setup_error(parent.path() / "a-file");
  if (::geteuid() != 0) {  // root writes anywhere
    const fs::path locked = parent.path() / "locked";
    fs::create_directory(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    expect_setup_error(locked);
    fs::permissions(locked, fs::perms::owner_all);
  }
}

TEST(FileIo, ItemThrowsErrorWhenTheScratchDirectoryVanishes) {
  TempDir parent;
  auto workload = make_workload(small_config(WorkloadKind::file_io, parent.path()), burn_rate());
  auto worker = workload->make_worker();
  const auto scratch = parent.entries().front();
  fs::remove(scratch);
  trace::ThreadLog log;
  EXPECT_THROW(worker->run(0, 1, log), Error);
}

// ---------------------------------------------------------------------------------------------
// Irregular item costs

WorkloadConfig irregular_config(Distribution d, double seconds = 0.05, std::uint64_t seed = 1) {
  WorkloadConfig w;
  w.kind = WorkloadKind::irregular;
  w.distribution = d;
  w.seconds = seconds;
  w.seed = seed;
  return w;
}

constexpr Distribution kDistributions[] = {Distribution::lognormal, Distribution::uniform,
                                           Distribution::bimodal};

TEST(Irregular, CostIsAFunctionOfSeedAndItem) {
  for (const auto d : kDistributions) {
    const auto a = irregular_config(d);
    auto b = a;
    b.n = 3;  // keys of other kinds do not matter
    b.dir = "/elsewhere";
    for (std::uint64_t item = 0; item < 1000; ++item)
      ASSERT_EQ(irregular_cost(a, item), irregular_cost(b, item)) << to_string(d) << " " << item;
  }
}

TEST(Irregular, OtherSeedOtherDraw) {
  for (const auto d : {Distribution::lognormal, Distribution::uniform}) {
    const auto one = irregular_config(d, 0.05, 1), two = irregular_config(d, 0.05, 2);
    int differ = 0;
    std::vector<double> costs;
    for (std::uint64_t item = 0; item < 1000; ++item) {
      differ += irregular_cost(one, item) != irregular_cost(two, item);
      costs.push_back(irregular_cost(one, item));
    }
    EXPECT_GE(differ, 990) << to_string(d);
    std::sort(costs.begin(), costs.end());
    EXPECT_GE(std::unique(costs.begin(), costs.end()) - costs.begin(), 990) << to_string(d);
  }
  // Bimodal has two values only; the long items move with the seed.
  const auto one = irregular_config(Distribution::bimodal, 0.05, 1);
  const auto two = irregular_config(Distribution::bimodal, 0.05, 2);
  int differ = 0;
  for (std::uint64_t item = 0; item < 1000; ++item)
    differ += irregular_cost(one, item) != irregular_cost(two, item);
  EXPECT_GT(differ, 50);  // expected 2 * 0.1 * 0.9 * 1000 = 180
}

struct Stats {
  double mean = 0, min = INFINITY, max = 0;
  std::vector<double> costs;
};

Stats draw(const WorkloadConfig& w, std::uint64_t n = 200000) {
  Stats s;
  s.costs.reserve(n);
  double sum = 0;
  for (std::uint64_t item = 0; item < n; ++item) {
    const double c = irregular_cost(w, item);
    s.costs.push_back(c);
    sum += c;
    s.min = std::min(s.min, c);
    s.max = std::max(s.max, c);
  }
  s.mean = sum / double(n);
  return s;
}

TEST(Irregular, MeanIsTheConfiguredSecondsForEveryDistribution) {
  for (const auto d : kDistributions)
    for (const double seconds : {1e-4, 0.05, 2.0}) {
      const Stats s = draw(irregular_config(d, seconds, 3));
      EXPECT_NEAR(s.mean / seconds, 1.0, 0.05) << to_string(d) << " seconds=" << seconds;
      EXPECT_GT(s.min, 0.0) << to_string(d);
      EXPECT_LE(s.max, 1000.0 * seconds) << to_string(d);
    }
}

TEST(Irregular, ShapeOfEachDistribution) {
  const double seconds = 0.05;
  // Uniform on (0, 2 * seconds], evenly spread.
  {
    const Stats s = draw(irregular_config(Distribution::uniform, seconds));
    EXPECT_GT(s.min, 0.0);
    EXPECT_LE(s.max, 2 * seconds);
    const auto below_half = std::count_if(s.costs.begin(), s.costs.end(),
                                          [&](double c) { return c < 0.5 * seconds; });
    EXPECT_NEAR(double(below_half) / double(s.costs.size()), 0.25, 0.01);
  }
  // Bimodal: short and long items only, long ones long_ratio times longer, long_fraction of them.
  {
    auto w = irregular_config(Distribution::bimodal, seconds);
    w.long_fraction = 0.2;
    w.long_ratio = 50;
    const Stats s = draw(w);
    std::map<double, std::size_t> values;
    for (const double c : s.costs) ++values[c];
    ASSERT_EQ(values.size(), 2u);
    const double short_cost = values.begin()->first, long_cost = values.rbegin()->first;
    EXPECT_NEAR(long_cost / short_cost, 50.0, 1e-9);
    EXPECT_NEAR(double(values.rbegin()->second) / double(s.costs.size()), 0.2, 0.01);
    // 0.8 short + 0.2 * 50 short = seconds.
    EXPECT_NEAR(short_cost, seconds / 10.8, 1e-12);
  }
  // Lognormal: log(cost) is normal with the configured sigma, and the median is
  // seconds * exp(-sigma^2 / 2) (so that the mean is `seconds`).
  for (const double sigma : {0.25, 1.0, 2.0}) {
    auto w = irregular_config(Distribution::lognormal, seconds);
    w.sigma = sigma;
    Stats s = draw(w);
    double sum = 0, sum2 = 0;
    for (const double c : s.costs) {
      sum += std::log(c);
      sum2 += std::log(c) * std::log(c);
    }
    const double n = double(s.costs.size());
    const double sd = std::sqrt(sum2 / n - (sum / n) * (sum / n));
    EXPECT_NEAR(sd / sigma, 1.0, 0.03) << "sigma " << sigma;
    std::nth_element(s.costs.begin(), s.costs.begin() + s.costs.size() / 2, s.costs.end());
    const double median = s.costs[s.costs.size() / 2];
    EXPECT_NEAR(median / (seconds * std::exp(-sigma * sigma / 2)), 1.0, 0.03) << "sigma " << sigma;
  }
}

TEST(Irregular, FarTailIsCappedAtAThousandTimesTheMean) {
  auto w = irregular_config(Distribution::lognormal, 0.01);
  w.sigma = 4.0;  // the largest sigma accepted
  const Stats s = draw(w, 400000);
  EXPECT_GT(s.min, 0.0);
  EXPECT_EQ(s.max, 1000.0 * 0.01) << "with sigma 4, some of 400000 items reach the cap";
  const auto capped = std::count(s.costs.begin(), s.costs.end(), 1000.0 * 0.01);
  EXPECT_GT(capped, 0);
  EXPECT_LT(capped, 400);  // P(cost > cap) is about 1e-4
  for (const double c : s.costs) ASSERT_TRUE(std::isfinite(c) && c > 0);
}

TEST(Irregular, BimodalEdgesKeepTheMean) {
  for (const double fraction : {0.0, 1.0}) {
    auto w = irregular_config(Distribution::bimodal, 0.05);
    w.long_fraction = fraction;
    w.long_ratio = 7;
    for (std::uint64_t item = 0; item < 1000; ++item)
      ASSERT_NEAR(irregular_cost(w, item), 0.05, 1e-15) << "fraction " << fraction;
  }
}

// ---------------------------------------------------------------------------------------------
// The gil kernel (workloads::GilLock itself: test_gil_lock.cpp)

TEST(GilWorkload, SlicesOfThreadsNeverOverlap) {
  TempDir dir;
  WorkloadConfig config = small_config(WorkloadKind::gil, dir.path());
  config.seconds = 0.002;
  config.switch_interval = 2e-4;
  auto workload = make_workload(config, burn_rate());
  constexpr int kThreads = 3;
  trace::Spool spool(std::size_t{4} << 20, kThreads, dir.path().string());
  std::vector<trace::ThreadLog> logs;
  for (int t = 0; t < kThreads; ++t) logs.emplace_back(&spool, t);
  std::vector<std::vector<std::uint64_t>> values(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      auto worker = workload->make_worker();
      start.arrive_and_wait();
      logs[t].start(now_ns());
      for (std::uint64_t item = 0; item < 3; ++item) {
        values[t].push_back(worker->run(0, 10 * t + item, logs[t]));
        logs[t].close(Activity::work, 0, 10 * t + item);
      }
    });
  for (auto& th : pool) th.join();
  spool.drain();
  // The slices run under the lock: a work interval right after a lock_wait.
  struct Slice {
    std::int64_t begin, end;
    int thread;
  };
  std::vector<Slice> slices;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(values[t], (std::vector<std::uint64_t>{burn(kCheckpointSteps, 10u * t),
                                                      burn(kCheckpointSteps, 10u * t + 1),
                                                      burn(kCheckpointSteps, 10u * t + 2)}));
    const auto iv = logs[t].intervals();
    for (std::size_t i = 1; i < iv.size(); ++i) {
      ASSERT_EQ(iv[i].begin_ns, iv[i - 1].end_ns);
      if (iv[i].kind == Activity::work && iv[i - 1].kind == Activity::lock_wait)
        slices.push_back({iv[i].begin_ns, iv[i].end_ns, t});
    }
  }
  ASSERT_GE(slices.size(), std::size_t{kThreads} * 3);
  std::sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < slices.size(); ++i)
    EXPECT_LE(slices[i - 1].end, slices[i].begin)
        << "slices of threads " << slices[i - 1].thread << " and " << slices[i].thread << " overlap";
}

// ---------------------------------------------------------------------------------------------
// Calibration

TEST(Calibrate, BurnRateIsPositiveAndPlausible) {
  const double rate = measure_burn_rate();
  EXPECT_TRUE(std::isfinite(rate));
  EXPECT_GT(rate, 1e6) << "fewer than a million chain steps per second";
  EXPECT_LT(rate, 1e11) << "faster than any CPU could run a dependent chain";
}

TEST(Calibrate, BurnIsAChainThatCanBeSliced) {
  // burn_stoppable relies on burn(a + b, s) == burn(b, burn(a, s)).
  EXPECT_EQ(burn(0, 42), 42u);
  EXPECT_NE(burn(1, 42), 42u);
  EXPECT_EQ(burn(1000, 7), burn(600, burn(400, 7)));
  EXPECT_NE(burn(1000, 7), burn(1000, 8));
}

}  // namespace
}  // namespace hybridscope::workloads
