// Hand-out costs: an item to a thread inside a rank (target <= 50 ns), a chunk across ranks
// (target <= 1.5 us), with OpenMP's own dynamic schedule as the reference.
#include <benchmark/benchmark.h>
#include <mpi.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "bench.hpp"
#include "hybridscope/exec/dispenser.hpp"
#include "hybridscope/sched/counter.hpp"
#include "hybridscope/sched/source.hpp"

namespace {

using namespace hybridscope;

class LocalCounter final : public sched::ChunkCounter {
public:
  std::uint64_t fetch_add(std::uint64_t delta) override { return value_.fetch_add(delta); }
  std::string_view name() const override { return "local"; }
  bool in_mpi() const override { return false; }

private:
  std::atomic<std::uint64_t> value_{0};
};

constexpr std::uint64_t kItems = 1 << 20;

// Wall time per item when `threads` OpenMP threads drain 2^20 empty items through the dispenser.
void BM_DispenserPerItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  const int threads = static_cast<int>(state.range(0));
  const std::uint64_t chunk = static_cast<std::uint64_t>(state.range(1));
  for (auto _ : state) {
    const sched::ChunkPlan plan(kItems, chunk, Strategy::dynamic, 1);
    sched::CounterSource source(plan.count(), std::make_unique<LocalCounter>());
    exec::ItemDispenser dispenser(plan, source);
    std::uint64_t sum = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sum)
    {
      trace::ThreadLog log;
      exec::Claim claim{};
      while (dispenser.next(claim, log)) sum += claim.item;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kItems);
  state.counters["ns_per_item"] = benchmark::Counter(
      double(state.iterations() * kItems), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DispenserPerItem)->Args({1, 1})->Args({2, 1})->Args({1, 64})->Args({2, 64})
    ->UseRealTime()->Unit(benchmark::kMillisecond);

// The reference: OpenMP's dynamic schedule handing out the same empty items one at a time.
void BM_OpenMPDynamicPerItem(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::uint64_t sum = 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : sum)
    for (std::uint64_t i = 0; i < kItems; ++i) sum += i;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kItems);
  state.counters["ns_per_item"] = benchmark::Counter(
      double(state.iterations() * kItems), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_OpenMPDynamicPerItem)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// One chunk from the node shared-memory counter (all ranks of the world take part).
void BM_SharedCounterFetch(benchmark::State& state) {
  sched::SharedCounter counter(MPI_COMM_WORLD);
  for (auto _ : state) benchmark::DoNotOptimize(counter.fetch_add(1));
  MPI_Barrier(MPI_COMM_WORLD);
}
BENCHMARK(BM_SharedCounterFetch)->Iterations(2'000'000)->UseRealTime();

// One chunk from MPI_Fetch_and_op on rank 0's window; under mpiexec -np 2 both ranks contend.
void BM_RmaCounterFetch(benchmark::State& state) {
  sched::RmaCounter counter(MPI_COMM_WORLD, std::chrono::microseconds(50));
  for (auto _ : state) benchmark::DoNotOptimize(counter.fetch_add(1));
}
BENCHMARK(BM_RmaCounterFetch)->Iterations(200'000)->UseRealTime();

}  // namespace
