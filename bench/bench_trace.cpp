// Recording and writing the timeline: cost per interval (target <= 40 ns), traced vs untraced wall
// time on 10 us items (target <= 1.01), bytes per interval on disk (target <= 12) and intervals
// written per second (target >= 10 M/s).
#include <benchmark/benchmark.h>
#include <mpi.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "bench.hpp"
#include "hybridscope/core/clock.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/run/run.hpp"
#include "hybridscope/timeline/writer.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace {

using namespace hybridscope;
namespace fs = std::filesystem;

void BM_ClockGettime(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  for (auto _ : state) benchmark::DoNotOptimize(now_ns());
}
BENCHMARK(BM_ClockGettime);

void BM_SchedGetcpu(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  for (auto _ : state) benchmark::DoNotOptimize(sched_getcpu());
}
BENCHMARK(BM_SchedGetcpu);

// One close(): clock, core, per-kind total and the record in the thread's block (spooled when full).
void BM_RecordInterval(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  trace::Spool spool(std::size_t{64} << 20, 1, fs::temp_directory_path().string());
  trace::ThreadLog log(&spool, 0);
  log.start(now_ns());
  std::uint64_t item = 0;
  for (auto _ : state) log.close(trace::Activity::work, 0, item++);
  spool.drain();
  state.counters["dropped"] = double(log.dropped());
}
BENCHMARK(BM_RecordInterval);

// The thread CPU clock read around every item (a system call: no vDSO path).
void BM_ThreadCpuClock(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  for (auto _ : state) benchmark::DoNotOptimize(thread_cpu_ns());
}
BENCHMARK(BM_ThreadCpuClock);

// What an item's interval costs with its CPU time: mark where it begins, close it as work.
void BM_RecordItemWithCpuTime(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  trace::Spool spool(std::size_t{64} << 20, 1, fs::temp_directory_path().string());
  trace::ThreadLog log(&spool, 0);
  log.start(now_ns());
  std::uint64_t item = 0;
  for (auto _ : state) {
    log.mark_cpu();
    log.close(trace::Activity::work, 0, item++);
  }
  spool.drain();
  state.counters["dropped"] = double(log.dropped());
}
BENCHMARK(BM_RecordItemWithCpuTime);

// The same without a spool: only the per-kind totals.
void BM_RecordTotalsOnly(benchmark::State& state) {
  if (bench::skipped_off_root(state)) return;
  trace::ThreadLog log;
  log.start(now_ns());
  for (auto _ : state) log.close(trace::Activity::work);
  benchmark::DoNotOptimize(log.total_ns(trace::Activity::work));
}
BENCHMARK(BM_RecordTotalsOnly);

RunOptions options(bool traced) {
  RunOptions o;
  o.provided_thread_level = MPI_THREAD_SERIALIZED;
  o.trace_memory_bytes = traced ? std::size_t{64} << 20 : 0;
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Alternating untraced and traced runs of 10 us spin items over all ranks and threads; the
// counter is the ratio of the medians, measured in one process so machine noise cancels.
void BM_TracedOverUntraced(benchmark::State& state) {
  const auto config = parse_config(
      "items = 40000\nchunk = 16\n[workload]\nkind = \"spin\"\nseconds = 0.00001\n", "bench");
  std::vector<double> plain, traced;
  for (auto _ : state) {
    plain.push_back(run(MPI_COMM_WORLD, config, options(false)).summary.wall_seconds);
    traced.push_back(run(MPI_COMM_WORLD, config, options(true)).summary.wall_seconds);
  }
  state.counters["untraced_s"] = median(plain);
  state.counters["traced_s"] = median(traced);
  state.counters["ratio"] = median(traced) / median(plain);
}
BENCHMARK(BM_TracedOverUntraced)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

// Writing the timeline of a run: intervals per second (all ranks) and bytes per interval.
void write_timeline(benchmark::State& state, const std::string& deck) {
  const auto config = parse_config(deck, "bench");
  auto result = run(MPI_COMM_WORLD, config, options(true));
  result.facts.input = {"bench", deck, deck};
  std::uint64_t intervals = 0;
  for (const auto& log : result.recording.logs) intervals += log.recorded();
  MPI_Allreduce(MPI_IN_PLACE, &intervals, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  std::string dir;
  if (mpi::rank(MPI_COMM_WORLD) == 0) {
    std::string pattern = (fs::temp_directory_path() / "hybridscope-bench-XXXXXX").string();
    dir = mkdtemp(pattern.data());
  }
  dir = mpi::bcast_string(MPI_COMM_WORLD, dir, 0);
  double seconds = 0, verify_seconds = 0;
  std::uintmax_t bytes = 0;
  int n = 0;
  for (auto _ : state) {
    const auto path = (fs::path(dir) / std::to_string(n++)).string();
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    timeline::write(*result.nodes, path, result.facts, result.summary, result.rank, result.recording);
    seconds += MPI_Wtime() - start;
    // write() already ends with this read-back; timed again alone to show its share.
    const double verify_start = MPI_Wtime();
    timeline::verify(*result.nodes, path);
    verify_seconds += MPI_Wtime() - verify_start;
    if (mpi::rank(MPI_COMM_WORLD) == 0) bytes = fs::file_size(path);
  }
  if (mpi::rank(MPI_COMM_WORLD) == 0) fs::remove_all(dir);
  state.counters["intervals"] = double(intervals);
  state.counters["M_intervals_per_s"] = double(intervals) * double(n) / seconds * 1e-6;
  state.counters["bytes_per_interval"] = double(bytes) / double(intervals);
  state.counters["verify_share"] = verify_seconds / seconds;
}

// Realistic: 10 us compute items, one work interval each plus a hand-out per chunk.
void BM_WriteTimelineSpin10us(benchmark::State& state) {
  write_timeline(state, "items = 200000\nchunk = 4\n[workload]\nkind = \"spin\"\nseconds = 0.00001\n");
}
BENCHMARK(BM_WriteTimelineSpin10us)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// Many tiny items: the most intervals per second of run.
void BM_WriteTimelineTinyItems(benchmark::State& state) {
  write_timeline(state, "items = 4000000\nchunk = 1000\n[workload]\nn = 1\n");
}
BENCHMARK(BM_WriteTimelineTinyItems)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
