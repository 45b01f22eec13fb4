#include "hybridscope/run.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "hybridscope/core/error.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/sched/counter.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/sched/source.hpp"
#include "hybridscope/workloads/calibrate.hpp"

namespace hybridscope {

namespace {

bool burns_cpu(WorkloadKind kind) {
  return kind == WorkloadKind::spin || kind == WorkloadKind::gil || kind == WorkloadKind::irregular;
}

std::unique_ptr<workloads::Workload> set_up_workload(MPI_Comm comm, const WorkloadConfig& config) {
  const double rate = burns_cpu(config.kind) ? workloads::agree_burn_rate(comm) : 0.0;
  std::unique_ptr<workloads::Workload> workload;
  std::string failure;
  try {
    workload = workloads::make_workload(config, rate);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  mpi::raise_if_any_failed(comm, failure);
  return workload;
}

std::unique_ptr<sched::ChunkSource> make_source(MPI_Comm comm, const RunConfig& config,
                                                const sched::ChunkPlan& plan, const mpi::Layout& layout,
                                                int provided_thread_level) {
  if (config.strategy == Strategy::static_block || config.strategy == Strategy::static_cyclic)
    return std::make_unique<sched::StaticSource>(plan, config.strategy, layout.rank, layout.ranks);
  return std::make_unique<sched::CounterSource>(
      plan.count(), sched::make_counter(comm, config.counter, layout.nodes, provided_thread_level));
}

std::int64_t useful_ns(const trace::ThreadLog& log) {
  return log.total_ns(trace::Activity::work) + log.total_ns(trace::Activity::io);
}

// Measured against the run's wall time, not the rank's own: a rank that ran out of work early
// shows as less busy.
double busy_share(const std::vector<trace::ThreadLog>& logs, double wall_seconds) {
  double busy = 0;
  for (const auto& log : logs) busy += double(useful_ns(log)) * 1e-9;
  return wall_seconds > 0 ? busy / (wall_seconds * double(logs.size())) : 0.0;
}

Efficiency measure_efficiency(MPI_Comm comm, const std::vector<trace::ThreadLog>& logs, int workers,
                              double wall_seconds) {
  double total = 0, longest = 0;
  for (const auto& log : logs) {
    total += double(useful_ns(log)) * 1e-9;
    longest = std::max(longest, double(useful_ns(log)) * 1e-9);
  }
  MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &longest, 1, MPI_DOUBLE, MPI_MAX, comm);
  Efficiency e;
  if (longest <= 0 || wall_seconds <= 0) return e;
  e.load_balance = total / double(workers) / longest;
  e.communication = longest / wall_seconds;
  e.parallel = e.load_balance * e.communication;
  return e;
}

std::unique_ptr<trace::Spool> make_spool(MPI_Comm comm, const RunOptions& options, int threads) {
  if (options.trace_memory_bytes == 0) return nullptr;
  std::string dir = options.spool_dir;
  if (dir.empty()) dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::unique_ptr<trace::Spool> spool;
  std::string failure;
  try {
    spool = std::make_unique<trace::Spool>(options.trace_memory_bytes, threads, dir);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  mpi::raise_if_any_failed(comm, failure);
  return spool;
}

}  // namespace

std::uint64_t RunResult::recorded_intervals() const {
  std::uint64_t n = 0;
  for (const auto& log : logs) n += log.recorded();
  return n;
}

std::uint64_t RunResult::dropped_intervals() const {
  std::uint64_t n = spool ? spool->lost() : 0;
  for (const auto& log : logs) n += log.dropped();
  return n;
}

int resolve_threads(const RunConfig& config) {
  return config.threads > 0 ? config.threads : std::max(1, omp_get_max_threads());
}

RunResult run(MPI_Comm comm, const RunConfig& config, const RunOptions& options) {
  RunResult result;
  result.planned_items = config.items;
  const mpi::NodeLayout node_layout(comm, resolve_threads(config));
  result.layout = node_layout.get();

  auto workload = set_up_workload(comm, config.workload);
  const sched::ChunkPlan plan(config.items, config.chunk, config.strategy, result.layout.ranks);
  result.spool = make_spool(comm, options, result.layout.threads);
  result.logs.reserve(result.layout.threads);
  for (int t = 0; t < result.layout.threads; ++t) result.logs.emplace_back(result.spool.get(), t);
  result.clock_samples = trace::measure_clock(comm, 0, result.clock_start);
  {
    // The source lives only while items are handed out: an MPI counter's progress thread must be
    // gone before this thread calls MPI again.
    auto source = make_source(comm, config, plan, result.layout, options.provided_thread_level);
    result.handout = source->describe();
    exec::ItemDispenser dispenser(plan, *source);
    MPI_Barrier(comm);  // a common start, so that wall time is the slowest rank's
    result.local = exec::execute(dispenser, *workload, result.logs);
  }
  if (result.spool) result.spool->drain();
  mpi::raise_if_any_failed(comm, result.local.failure);
  auto end_samples = trace::measure_clock(comm, 1, result.clock_end);
  result.clock_samples.insert(result.clock_samples.end(), end_samples.begin(), end_samples.end());
  result.clock = trace::ClockModel(result.clock_start, result.clock_end);

  std::int64_t span[2] = {-result.clock.to_root(result.local.begin_ns),
                          result.clock.to_root(result.local.end_ns)};
  MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_INT64_T, MPI_MAX, comm);
  result.origin_ns = -span[0];
  result.wall_seconds = double(span[1] - result.origin_ns) * 1e-9;
  std::uint64_t local[2] = {result.local.items(), result.local.checksum()};
  std::uint64_t total[2] = {};
  MPI_Allreduce(local, total, 2, MPI_UINT64_T, MPI_SUM, comm);
  result.items = total[0];
  result.checksum = total[1];
  result.stop_signal = stop::signal_received();
  MPI_Allreduce(MPI_IN_PLACE, &result.stop_signal, 1, MPI_INT, MPI_MAX, comm);
  // A signal that came after the last item stopped nothing: the run is complete.
  if (result.items == result.planned_items) result.stop_signal = 0;

  result.efficiency = measure_efficiency(comm, result.logs, result.layout.workers(), result.wall_seconds);
  const double share = busy_share(result.logs, result.wall_seconds);
  result.busy_share.resize(result.layout.ranks);
  MPI_Allgather(&share, 1, MPI_DOUBLE, result.busy_share.data(), 1, MPI_DOUBLE, comm);
  result.rank_items.resize(result.layout.ranks);
  MPI_Allgather(&local[0], 1, MPI_UINT64_T, result.rank_items.data(), 1, MPI_UINT64_T, comm);
  result.layout.node_comm = MPI_COMM_NULL;
  return result;
}

}  // namespace hybridscope
