// What progress costs per item (issue 18): the executor running 2^20 empty items (fib(0)) on one
// thread, recorded as a run records them, without and with the per-thread progress line that it
// updates after every item (target: within 0.5 % of a real item's time; docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <vector>

#include "bench.hpp"
#include "hybridscope/exec/executor.hpp"
#include "hybridscope/sched/source.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace {

using namespace hybridscope;

constexpr std::uint64_t kItems = 1 << 20;

// A rank's static share of every chunk: the source without any counter.
void BM_ExecutePerItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  const bool progress = state.range(0) != 0;
  WorkloadConfig config;
  config.kind = WorkloadKind::fib;
  config.n = 0;
  auto workload = workloads::make_workload(config, 0.0);
  exec::ThreadProgress slots[1];
  for (auto _ : state) {
    const sched::ChunkPlan plan(kItems, 64, Strategy::static_block, 1);
    sched::StaticSource source(plan, Strategy::static_block, 0, 1);
    exec::ItemDispenser dispenser(plan, source);
    std::vector<trace::ThreadLog> logs(1);
    benchmark::DoNotOptimize(exec::execute(dispenser, *workload, logs, progress ? slots : nullptr).items());
  }
  state.counters["ns_per_item"] = benchmark::Counter(double(state.iterations() * kItems),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// 0: progress off, 1: on.
// CPU time, not wall time: on a machine shared with other work only the thread's own time is stable.
BENCHMARK(BM_ExecutePerItem)->Arg(0)->Arg(1)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
