// Randomized stress test of whole runs: a few hundred layouts drawn from a seed (ranks 1..8 out of
// the world, threads 1..4, all four strategies, both chunk counters, edge-case item/chunk shapes),
// typically on far fewer cores than workers. In every layout each item in [0, items) must run exactly
// once and the run checksum must equal a serial reference.
//
// Exactly-once is checked from the per-thread activity logs (one work interval per executed item),
// which is evidence independent of the checksum (a wrapping sum over the threads' tallies).
//
// Environment (read on world rank 0):
//   HYBRIDSCOPE_STRESS_SEED    seed of the layouts (default: a fresh one, printed)
//   HYBRIDSCOPE_STRESS_ROUNDS  number of rounds (default 300)
//   HYBRIDSCOPE_STRESS_ROUND   run only this round (replays a failure with the same seed)
// A layout depends only on (seed, round, world size), so a failure is replayed with the same seed,
// round and number of ranks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/run.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/trace/interval.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/workloads/workloads.hpp"
#include "support.hpp"

namespace hybridscope {
namespace {

constexpr std::uint64_t kDefaultRounds = 300;
constexpr int kMaxRanks = 8;
constexpr int kMaxThreads = 4;
constexpr std::size_t kMaxReportedItems = 8;  // lost or doubled items listed per rank

// splitmix64: the same stream on every rank and every platform (std distributions are not
// specified bit for bit).
class Rng {
public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0.
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((u128(next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }

private:
  std::uint64_t state_;
};

struct Layout {
  int ranks = 1;
  std::vector<int> order;  // world ranks; the first `ranks` take part, in this sub-comm rank order
  std::string shape;       // which edge case the items/chunk pair was drawn for
  RunConfig config;
};

// The layout of one round: a function of (seed, round, world size) only.
Layout draw_layout(std::uint64_t seed, std::uint64_t round, int world_size) {
  Rng rng(seed ^ Rng(round).next());
  Layout layout;
  layout.ranks = static_cast<int>(rng.between(1, std::min(kMaxRanks, world_size)));
  layout.order.resize(world_size);
  std::iota(layout.order.begin(), layout.order.end(), 0);
  for (int i = world_size - 1; i > 0; --i)
    std::swap(layout.order[i], layout.order[rng.below(static_cast<std::uint64_t>(i) + 1)]);

  RunConfig& c = layout.config;
  c.threads = static_cast<int>(rng.between(1, kMaxThreads));
  constexpr Strategy strategies[] = {Strategy::static_block, Strategy::static_cyclic,
                                     Strategy::dynamic, Strategy::guided};
  c.strategy = strategies[rng.below(4)];
  constexpr CounterMode counters[] = {CounterMode::automatic, CounterMode::shared, CounterMode::rma};
  c.counter = counters[rng.below(3)];

  const std::uint64_t workers = static_cast<std::uint64_t>(layout.ranks) * c.threads;
  switch (rng.below(8)) {
    case 0:
      layout.shape = "one item";
      c.items = 1;
      c.chunk = 1;
      break;
    case 1:
      layout.shape = "fewer items than workers";
      c.items = workers > 1 ? rng.between(1, workers - 1) : 1;
      c.chunk = rng.between(1, 2);
      break;
    case 2:
      layout.shape = "items = workers";
      c.items = workers;
      c.chunk = 1;
      break;
    case 3: {
      layout.shape = "chunk does not divide items";
      c.chunk = rng.between(2, 32);
      c.items = c.chunk * rng.between(0, 40) + rng.between(1, c.chunk - 1);
      break;
    }
    case 4:
      // parse_config refuses chunk > items; run() takes any RunConfig, and the plan makes one chunk.
      layout.shape = "chunk >= items";
      c.items = rng.between(1, 60);
      c.chunk = rng.below(2) == 0 ? c.items : c.items + rng.between(1, 200);
      break;
    case 5:
      layout.shape = "chunk 1, many items";
      c.items = rng.between(2000, 20000);
      c.chunk = 1;
      break;
    case 6:
      layout.shape = "chunk divides items";
      c.chunk = rng.between(1, 16);
      c.items = c.chunk * rng.between(1, 100);
      break;
    default:
      layout.shape = "random";
      c.items = rng.between(1, 5000);
      c.chunk = rng.between(1, 64);
      break;
  }

  // Cheap kernels whose item values need no calibration: fib (the same value for every item,
  // including the edge values fib(0) = 0 and fib(1) = 1) and triad (a value per item). Items of a
  // microsecond or less keep the hand-out busy, which is what is under test.
  if (rng.below(4) == 0) {
    c.workload.kind = WorkloadKind::triad;
    c.workload.elements = rng.between(16, 128);
  } else {
    c.workload.kind = WorkloadKind::fib;
    c.workload.n = static_cast<int>(rng.between(0, 12));
  }
  return layout;
}

std::string layout_report(const Layout& layout, std::uint64_t seed, std::uint64_t round) {
  const RunConfig& c = layout.config;
  std::string taking_part;
  for (int i = 0; i < layout.ranks; ++i)
    taking_part += fmt::format("{}{}", i ? "," : "", layout.order[i]);
  std::string deck = to_toml(c);
  return fmt::format(
      "round {} of seed {}: {} ranks (world ranks {}) x {} threads, {}, counter {}, {} items, chunk "
      "{} ({}), {}\nreplay: HYBRIDSCOPE_STRESS_SEED={} HYBRIDSCOPE_STRESS_ROUND={} with the same "
      "number of ranks\ninput deck:\n{}",
      round, seed, layout.ranks, taking_part, c.threads, to_string(c.strategy), to_string(c.counter),
      c.items, c.chunk, layout.shape, describe(c.workload), seed, round, deck);
}

// Activity records for the whole round, so that none is dropped: at most a work interval per item
// and an idle or hand-out interval per thread and chunk, even if one rank gets every item.
std::size_t trace_memory(const RunConfig& c) {
  const std::uint64_t threads = static_cast<std::uint64_t>(c.threads);
  const std::uint64_t intervals = c.items * (threads + 3) + 16 * threads;
  const std::uint64_t blocks =
      2 * threads + 1 + (intervals + trace::kBlockIntervals - 1) / trace::kBlockIntervals;
  return blocks * sizeof(trace::Block);
}

// Every item's value, computed by one worker in a plain loop.
std::vector<std::uint64_t> serial_values(const RunConfig& config) {
  auto workload = workloads::make_workload(config.workload, 1e8);
  auto worker = workload->make_worker();
  trace::ThreadLog log;
  std::vector<std::uint64_t> values(config.items);
  for (std::uint64_t item = 0; item < config.items; ++item) values[item] = worker->run(0, item, log);
  return values;
}

// Whether `handout` is what the run should have used: across nodes (tests/multinode) the global
// counter is RMA or, where no one-sided component works, messages, in batches per node.
bool expected_handout(const RunConfig& config, int nodes, const std::string& handout) {
  if (config.strategy == Strategy::static_block || config.strategy == Strategy::static_cyclic)
    return handout == "static, no communication";
  if (nodes > 1)
    return handout == "MPI RMA on rank 0, in batches per node" || handout == "MPI messages to rank 0, in batches per node";
  return handout == (config.counter == CounterMode::rma ? "MPI RMA on rank 0" : "node shared memory");
}

// One round on the ranks of `comm`. Returns what went wrong on this rank (empty: nothing). Every
// rank of comm makes the same collective calls whatever it finds.
std::string check_round(MPI_Comm comm, const RunConfig& drawn) {
  // Across nodes a shared-memory counter is refused as bad input (tests/cli covers that): take auto.
  const int nodes = mpi::locate(comm).nodes;
  RunConfig config = drawn;
  if (nodes > 1 && config.counter == CounterMode::shared) config.counter = CounterMode::automatic;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) { failures.push_back(std::move(what)); };

  RunOptions options = test_support::serialized();
  options.trace_memory_bytes = trace_memory(config);
  std::optional<RunResult> result;
  try {
    result = run(comm, config, options);
  } catch (const std::exception& e) {
    // run() throws on every rank alike, so no rank of comm goes on to the collectives below.
    return fmt::format("run() threw: {}", e.what());
  }
  const RunResult& r = *result;
  const int rank = mpi::rank(comm);
  const std::uint64_t items = config.items;
  const auto values = serial_values(config);

  // The run's own tallies (from the threads' checksum and item counters).
  std::uint64_t expected_checksum = 0;
  for (std::uint64_t item = 0; item < items; ++item)
    expected_checksum += workloads::item_checksum(item, values[item]);
  if (r.summary.items_done != items) fail(fmt::format("result.summary.items_done = {}, planned {}", r.summary.items_done, items));
  if (r.facts.items_planned != items) fail(fmt::format("result.facts.items_planned = {}", r.facts.items_planned));
  if (!r.summary.complete) fail(fmt::format("not complete (stop signal {})", r.stop_signal));
  if (r.summary.checksum != expected_checksum)
    fail(fmt::format("checksum {:016x}, serial reference {:016x}", r.summary.checksum, expected_checksum));
  if (!expected_handout(config, nodes, r.facts.handout))
    fail(fmt::format("hand-out '{}' on {} nodes with counter {}", r.facts.handout, nodes, to_string(config.counter)));
  if (r.facts.layout.ranks != mpi::size(comm) || r.facts.layout.threads != config.threads ||
      r.recording.logs.size() != static_cast<std::size_t>(config.threads))
    fail(fmt::format("layout {} ranks x {} threads with {} logs", r.facts.layout.ranks, r.facts.layout.threads,
                     r.recording.logs.size()));
  if (mpi::rank(comm) == 0) {  // every rank's thread times reach rank 0 alone
    const auto shares = metrics::rank_shares(r.threads, r.facts.layout.ranks, r.summary.wall_seconds);
    const std::uint64_t rank_total = std::accumulate(shares.begin(), shares.end(), std::uint64_t{0},
                                                     [](auto sum, auto& s) { return sum + s.items; });
    if (rank_total != items) fail(fmt::format("rank_items add up to {}", rank_total));
  }
  if (r.recording.dropped() != 0)
    fail(fmt::format("{} activity intervals dropped: exactly-once evidence incomplete",
                     r.recording.dropped()));

  // Exactly once, from the activity logs: every executed item is one work interval with its
  // chunk and item number. Counted on this rank, then summed over the ranks.
  const sched::ChunkPlan plan(items, config.chunk, config.strategy, mpi::size(comm));
  std::vector<std::uint64_t> count(items, 0);
  std::uint64_t logged = 0, logged_checksum = 0, abandoned = 0, misplaced = 0;
  std::string first_misplaced;
  for (const auto& log : r.recording.logs)
    for (const auto& interval : log.intervals()) {
      if (interval.kind == trace::Activity::abandoned) ++abandoned;
      if (interval.kind != trace::Activity::work) continue;
      const bool in_chunk = interval.item < items && interval.chunk < plan.count() &&
                            interval.item >= plan.chunk(interval.chunk).begin &&
                            interval.item < plan.chunk(interval.chunk).end;
      if (!in_chunk && misplaced++ == 0)
        first_misplaced = fmt::format("item {} in chunk {}", interval.item, interval.chunk);
      if (interval.item >= items) continue;
      ++count[interval.item];
      ++logged;
      logged_checksum += workloads::item_checksum(interval.item, values[interval.item]);
    }
  if (abandoned) fail(fmt::format("{} abandoned items", abandoned));
  if (misplaced)
    fail(fmt::format("{} work intervals not in their chunk of the plan, first: {}", misplaced,
                     first_misplaced));
  // The tallies of this rank agree with the items its logs show.
  std::uint64_t thread_items = 0;
  for (const auto& t : r.rank.threads) thread_items += t.times.items;
  if (logged != r.rank.rank.items || logged != thread_items)
    fail(fmt::format("logs show {} items, the tally {}", logged, r.rank.rank.items));
  if (logged_checksum != r.rank.rank.checksum)
    fail(fmt::format("logged items' checksum {:016x}, tally {:016x}", logged_checksum,
                     r.rank.rank.checksum));

  if (items > 0)
    MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(items), MPI_UINT64_T, MPI_SUM, comm);
  std::vector<std::string> lost, doubled;
  std::uint64_t lost_total = 0, doubled_total = 0;
  for (std::uint64_t item = 0; item < items; ++item) {
    if (count[item] == 0 && lost_total++ < kMaxReportedItems) lost.push_back(fmt::format("{}", item));
    if (count[item] > 1 && doubled_total++ < kMaxReportedItems)
      doubled.push_back(fmt::format("{} ({}x)", item, count[item]));
  }
  if (lost_total) fail(fmt::format("{} items never ran, first: {}", lost_total, fmt::join(lost, ", ")));
  if (doubled_total)
    fail(fmt::format("{} items ran more than once, first: {}", doubled_total, fmt::join(doubled, ", ")));

  return fmt::format("{}", fmt::join(failures, "\n"));
}

struct Settings {
  std::uint64_t seed = 0;
  std::uint64_t first = 0;  // first round
  std::uint64_t rounds = kDefaultRounds;
  std::uint64_t bad = 0;    // an environment variable was not a number
};

std::optional<std::uint64_t> env_number(const char* name, Settings& settings) {
  const char* text = std::getenv(name);
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  const auto value = std::strtoull(text, &end, 0);
  if (*end != '\0') {
    settings.bad = 1;
    return std::nullopt;
  }
  return value;
}

// Decided on world rank 0 and shared, so every rank draws the same layouts.
Settings read_settings(MPI_Comm comm) {
  Settings s;
  if (mpi::rank(comm) == 0) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto fresh = Rng(std::random_device{}() ^ static_cast<std::uint64_t>(now)).next();
    // 48 bits: short enough to copy from a log, plenty for choosing layouts.
    s.seed = env_number("HYBRIDSCOPE_STRESS_SEED", s).value_or(fresh & 0xFFFFFFFFFFFFULL);
    s.rounds = env_number("HYBRIDSCOPE_STRESS_ROUNDS", s).value_or(kDefaultRounds);
    if (const auto only = env_number("HYBRIDSCOPE_STRESS_ROUND", s)) {
      s.first = *only;
      s.rounds = 1;
    }
  }
  std::uint64_t packed[4] = {s.seed, s.first, s.rounds, s.bad};
  MPI_Bcast(packed, 4, MPI_UINT64_T, 0, comm);
  return {packed[0], packed[1], packed[2], packed[3]};
}

TEST(Stress, EveryLayoutRunsEveryItemOnceWithTheSerialChecksum) {
  const MPI_Comm world = MPI_COMM_WORLD;
  const int world_rank = mpi::rank(world);
  const int world_size = mpi::size(world);
  const Settings settings = read_settings(world);
  ASSERT_EQ(settings.bad, 0u) << "HYBRIDSCOPE_STRESS_SEED, _ROUNDS and _ROUND take unsigned integers";
  if (world_rank == 0)
    std::printf("[ stress   ] seed %llu, %llu rounds from round %llu, %d world ranks "
                "(replay: HYBRIDSCOPE_STRESS_SEED=%llu)\n",
                static_cast<unsigned long long>(settings.seed),
                static_cast<unsigned long long>(settings.rounds),
                static_cast<unsigned long long>(settings.first), world_size,
                static_cast<unsigned long long>(settings.seed));

  const auto start = std::chrono::steady_clock::now();
  double slowest = 0;
  std::uint64_t slowest_round = 0, rounds_done = 0;
  for (std::uint64_t round = settings.first; round < settings.first + settings.rounds; ++round) {
    const Layout layout = draw_layout(settings.seed, round, world_size);
    if (world_rank == 0) {
      // Before the round, so that a hang (the ctest timeout) shows which layout it was.
      const RunConfig& c = layout.config;
      std::printf("[ stress   ] round %llu: %d x %d, %s, %s, items %llu chunk %llu, %s\n",
                  static_cast<unsigned long long>(round), layout.ranks, c.threads,
                  std::string(to_string(c.strategy)).c_str(), std::string(to_string(c.counter)).c_str(),
                  static_cast<unsigned long long>(c.items), static_cast<unsigned long long>(c.chunk),
                  describe(c.workload).c_str());
      std::fflush(stdout);
    }
    const auto round_start = std::chrono::steady_clock::now();
    const int position = static_cast<int>(
        std::find(layout.order.begin(), layout.order.end(), world_rank) - layout.order.begin());
    const bool takes_part = position < layout.ranks;
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Comm_split(world, takes_part ? 0 : MPI_UNDEFINED, position, &comm);
    std::string failure;
    if (takes_part) {
      failure = check_round(comm, layout.config);
      MPI_Comm_free(&comm);
    }

    // The verdict of every rank, before anyone goes on: a failing round fails on every rank.
    int failed = failure.empty() ? 0 : 1;
    std::vector<int> verdicts(world_size);
    MPI_Allgather(&failed, 1, MPI_INT, verdicts.data(), 1, MPI_INT, world);
    ++rounds_done;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - round_start).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowest_round = round;
    }
    if (std::find(verdicts.begin(), verdicts.end(), 1) == verdicts.end()) continue;
    if (failed) ADD_FAILURE() << failure << "\n" << layout_report(layout, settings.seed, round);
    if (world_rank == 0) {
      std::string ranks;
      for (int r = 0; r < world_size; ++r)
        if (verdicts[r]) ranks += fmt::format("{}{}", ranks.empty() ? "" : ", ", r);
      ADD_FAILURE() << "failed on world ranks " << ranks << " (their messages above or below)\n"
                    << layout_report(layout, settings.seed, round);
    }
    break;  // every rank saw the same verdicts
  }
  if (world_rank == 0)
    std::printf("[ stress   ] %llu layouts in %.1f s (slowest: round %llu, %.2f s), seed %llu\n",
                static_cast<unsigned long long>(rounds_done),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                static_cast<unsigned long long>(slowest_round), slowest,
                static_cast<unsigned long long>(settings.seed));
}

}  // namespace
}  // namespace hybridscope
