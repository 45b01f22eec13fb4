// User-kernel costs (docs/kernels.md): one item through Worker::run for a built-in kernel (fib(0),
// which computes nothing), a plug-in (an indirect call into a shared library; target: at most 20 ns
// more than the built-in) and a Python function (GIL taken and released, the call, the value folded;
// target: at most 2 us per item beyond the function itself, measured with functions that do nothing).
#include <benchmark/benchmark.h>

#include <memory>

#include "bench.hpp"
#include "hybridscope/config/config.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "hybridscope/workloads/plugin.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace {

using namespace hybridscope;

// record: mark and close every item in the thread's log as exec/executor.cpp does (Python items
// always record their GIL wait, so they are only measured that way); else the bare call.
void run_items(benchmark::State& state, const WorkloadConfig& config, bool record) {
  auto workload = workloads::make_workload(config, 0.0);
  auto worker = workload->make_worker();
  trace::ThreadLog log;  // totals only, as the hot path records them
  log.start(0);
  std::uint64_t item = 0, sum = 0;
  for (auto _ : state) {
    if (record) log.mark_cpu();
    const std::uint64_t value = worker->run(0, item, log);
    sum += workloads::item_checksum(item, value);
    if (record) log.close(trace::Activity::work, 0, item);
    ++item;
  }
  benchmark::DoNotOptimize(sum);
  state.counters["ns_per_item"] = benchmark::Counter(double(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BuiltinItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  WorkloadConfig config;
  config.kind = WorkloadKind::fib;
  config.n = 0;
  run_items(state, config, state.range(0) != 0);
}
// 0: the bare call, 1: recorded as the executor records it.
BENCHMARK(BM_BuiltinItem)->Arg(0)->Arg(1);

void BM_PluginItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  WorkloadConfig config;
  config.kind = WorkloadKind::plugin;
  config.library = HYBRIDSCOPE_BENCH_PLUGIN;
  run_items(state, config, state.range(0) != 0);
}
BENCHMARK(BM_PluginItem)->Arg(0)->Arg(1);

void BM_PythonItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  if (!workloads::python_available()) {
    state.SkipWithError("built without Python");
    return;
  }
  WorkloadConfig config;
  config.kind = WorkloadKind::python;
  config.file = HYBRIDSCOPE_BENCH_DIR "/bench_kernel.py";
  config.function = state.range(0) == 0 ? "nothing" : "work";
  run_items(state, config, true);
}
// 0: returns None, 1: returns the item (an int).
BENCHMARK(BM_PythonItem)->Arg(0)->Arg(1);

}  // namespace
