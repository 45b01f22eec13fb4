#include "hybridscope/run/run.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "hybridscope/core/phases.hpp"
#include "hybridscope/core/stop.hpp"
#include "hybridscope/core/version.hpp"
#include "hybridscope/exec/executor.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/mpi/session.hpp"
#include "hybridscope/core/error.hpp"
#include "hybridscope/sched/counter.hpp"
#include "hybridscope/sched/items.hpp"
#include "hybridscope/sched/plan.hpp"
#include "hybridscope/sched/source.hpp"
#include "hybridscope/topo/host.hpp"
#include "hybridscope/workloads/calibrate.hpp"

namespace hybridscope {

namespace {

// The environment variables that decide placement, recorded by rank 0.
const std::vector<std::string> kPlacementVariables = {"OMP_", "SLURM_", "OMPI_COMM_WORLD_", "HYBRIDSCOPE_"};

bool burns_cpu(WorkloadKind kind) {
  return kind == WorkloadKind::spin || kind == WorkloadKind::gil || kind == WorkloadKind::irregular;
}

std::unique_ptr<workloads::Workload> set_up_workload(MPI_Comm comm, const RunConfig& config,
                                                     const RunOptions& options) {
  const double rate = burns_cpu(config.workload.kind) ? workloads::agree_burn_rate(comm) : 0.0;
  const workloads::RankContext where{mpi::rank(comm), mpi::size(comm), config.items, options.task_output,
                                     options.reuse_output};
  return mpi::on_every_rank(comm, [&] { return workloads::make_workload(config.workload, rate, where); });
}

std::unique_ptr<sched::ChunkSource> make_source(MPI_Comm comm, const RunConfig& config, const sched::ChunkPlan& plan,
                                                const mpi::Placement& placement, int provided_thread_level) {
  if (config.strategy == Strategy::static_block || config.strategy == Strategy::static_cyclic)
    return std::make_unique<sched::StaticSource>(plan, config.strategy, placement.rank, placement.ranks);
  return std::make_unique<sched::CounterSource>(
      plan.count(),
      sched::make_counter(comm, placement.comms->node(), config.counter, placement.nodes, provided_thread_level,
                          plan.count()));
}

std::unique_ptr<trace::Spool> make_spool(MPI_Comm comm, const RunOptions& options, int threads) {
  if (options.trace_memory_bytes == 0) return nullptr;
  std::string dir = options.spool_dir;
  if (dir.empty()) dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  return mpi::on_every_rank(
      comm, [&] { return std::make_unique<trace::Spool>(options.trace_memory_bytes, threads, dir); });
}

// What is known about this rank before it runs: where it is and what it may use.
timeline::RankFacts capture_rank_facts(const mpi::Placement& placement) {
  timeline::RankFacts facts;
  facts.rank.rank = placement.rank;
  facts.rank.host = placement.host;
  facts.rank.pid = ::getpid();
  facts.rank.local_rank = placement.local_rank;
  facts.rank.allowed_cpus = topo::allowed_cpus();
  if (placement.node_leader()) {
    const auto host = topo::describe_host();
    facts.host = timeline::HostRow{placement.host, placement.local_size, host.packages, host.cores, host.pus,
                                   host.numa_nodes};
  }
  if (placement.rank == 0) facts.environment = topo::environment(kPlacementVariables);
  return facts;
}

// This rank's threads as the timeline records them.
std::vector<timeline::ThreadRow> thread_rows(int rank, const exec::RankExecution& execution,
                                             const trace::Recording& recording) {
  std::vector<timeline::ThreadRow> rows(recording.logs.size());
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const auto& tally = execution.threads[t];
    const auto& log = recording.logs[t];
    auto& row = rows[t];
    row.times.rank = rank;
    row.times.thread = static_cast<int>(t);
    row.times.items = tally.items;
    for (std::size_t k = 0; k < trace::kActivityCount; ++k) row.times.ns[k] = log.total_ns(trace::Activity(k));
    row.times.item_cpu_ns = log.item_cpu_ns();
    row.times.measured_item_ns = log.measured_item_ns();
    row.os_thread_id = tally.os_thread_id;
    row.allowed_cpus = tally.allowed_cpus;
    row.openmp_place = tally.openmp_place;
    row.intervals = log.recorded();
    // Dropped without a free block, or lost with a block the spool file could not take.
    row.dropped_intervals = log.dropped() + (recording.spool ? recording.spool->lost(static_cast<int>(t)) : 0);
  }
  return rows;
}

// Every rank's thread times, on rank 0 (every rank runs the same number of threads).
std::vector<metrics::ThreadTimes> gather_thread_times(MPI_Comm comm, const std::vector<timeline::ThreadRow>& rows) {
  std::vector<metrics::ThreadTimes> local;
  for (const auto& row : rows) local.push_back(row.times);
  const bool root = mpi::rank(comm) == 0;
  std::vector<metrics::ThreadTimes> all(root ? local.size() * static_cast<std::size_t>(mpi::size(comm)) : 0);
  const int bytes = static_cast<int>(local.size() * sizeof(metrics::ThreadTimes));
  MPI_Gather(local.data(), bytes, MPI_BYTE, all.data(), bytes, MPI_BYTE, 0, comm);
  return all;
}

std::vector<std::uint64_t> gather_failed_items(MPI_Comm comm, const std::vector<std::uint64_t>& failed_here) {
  auto all = mpi::gather_values(comm, failed_here);
  std::sort(all.begin(), all.end());
  return all;
}

// What rank 0's progress reporter knows before the items run.
ProgressPlan progress_plan(const RunConfig& config, const sched::ChunkPlan& plan, int ranks) {
  ProgressPlan p{plan.items(), {}, std::string(to_string(config.strategy)),
                 std::string(to_string(config.workload.kind))};
  if (config.strategy == Strategy::static_block || config.strategy == Strategy::static_cyclic)
    for (int r = 0; r < ranks; ++r) p.rank_planned.push_back(sched::static_items(plan, config.strategy, r, ranks));
  return p;
}

std::string stop_reason(const timeline::RunSummary& s, const RunResult& r, std::uint64_t planned) {
  if (!r.failure.empty()) return fmt::format("failed: {}", r.failure);
  if (r.stop_signal) return fmt::format("stopped by {}", stop::signal_name(r.stop_signal));
  return s.complete ? std::string{} : fmt::format("{} of {} items done", s.items_done, planned);
}

}  // namespace

int resolve_threads(const RunConfig& config) {
  return config.threads > 0 ? config.threads : std::max(1, omp_get_max_threads());
}

RunResult run(MPI_Comm comm, const RunConfig& config, const RunOptions& options) {
  RunResult result;
  const auto placement = mpi::locate(comm);
  const Layout layout{placement.ranks, resolve_threads(config)};
  result.hosts = placement.hosts;
  result.nodes = placement.comms;
  result.rank = capture_rank_facts(placement);

  // A resumed run hands out only the items the chain before it did not finish successfully.
  const sched::ItemSet items(sched::complement(options.resume.done, config.items));
  const std::uint64_t planned = items.size();
  if (planned == 0) throw InputError("nothing to run: every item already finished successfully");
  auto workload = set_up_workload(comm, config, options);
  const sched::ChunkPlan plan(planned, std::min(config.chunk, planned), config.strategy, layout.ranks);
  auto& rec = result.recording;
  rec.spool = make_spool(comm, options, layout.threads);
  rec.logs.reserve(layout.threads);
  for (int t = 0; t < layout.threads; ++t) rec.logs.emplace_back(rec.spool.get(), t);
  const auto& nodes = *placement.comms;
  rec.clock_samples = trace::measure_clock(nodes.leaders(), nodes.node(), placement.rank, 0, rec.clock_start);

  exec::RankExecution execution;
  std::string handout;
  ProgressReporter progress(comm, placement, layout.threads, options.provided_thread_level, options.progress,
                            progress_plan(config, plan, layout.ranks));
  {
    // The source lives only while items are handed out: an MPI counter's progress thread must be
    // gone before this thread calls MPI again.
    auto source = make_source(comm, config, plan, placement, options.provided_thread_level);
    handout = source->describe();
    exec::ItemDispenser dispenser(plan, *source, &items);
    // A common start, so that wall time is the slowest rank's: the ranks wait for the slowest
    // without spinning, then meet exactly.
    mpi::idle_barrier(comm);
    MPI_Barrier(comm);
    phases::begin("run");
    progress.start();
    execution = exec::execute(dispenser, *workload, rec.logs, progress.threads());
    progress.stop();
  }
  // A rank that finished waits for the slowest without taking a core from it.
  mpi::idle_barrier(comm);
  progress.finish();  // after the wait: every rank is done, so rank 0 does not wait in it
  phases::begin("sum-up");
  if (rec.spool) rec.spool->drain();
  rec.tasks = workload->take_task_attempts();
  const auto failed_here = execution.failed();
  result.failed_items = gather_failed_items(comm, failed_here);
  // A failed item stops the run like a signal does: what ran is still summed up and written.
  result.failure = mpi::first_failure(comm, execution.failure);
  rec.begin_ns = execution.begin_ns;
  rec.end_ns = execution.end_ns;

  // One time base: this rank's clock mapped onto rank 0's, zero at the first begin of any rank.
  auto end_samples = trace::measure_clock(nodes.leaders(), nodes.node(), placement.rank, 1, rec.clock_end);
  rec.clock_samples.insert(rec.clock_samples.end(), end_samples.begin(), end_samples.end());
  rec.clock = trace::ClockModel(rec.clock_start, rec.clock_end);
  std::int64_t span[2] = {-rec.clock.to_root(rec.begin_ns), rec.clock.to_root(rec.end_ns)};
  MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_INT64_T, MPI_MAX, comm);
  rec.origin_ns = -span[0];

  std::uint64_t local[4] = {execution.items(), execution.checksum(), failed_here.size(),
                            execution.succeeded_checksum()};
  std::uint64_t total[4] = {};
  MPI_Allreduce(local, total, 4, MPI_UINT64_T, MPI_SUM, comm);
  result.stop_signal = stop::signal_received();
  MPI_Allreduce(MPI_IN_PLACE, &result.stop_signal, 1, MPI_INT, MPI_MAX, comm);
  // A signal that came after the last item stopped nothing: the run is complete.
  if (total[0] == planned) result.stop_signal = 0;

  auto& s = result.summary;
  s.items_done = total[0];
  s.checksum = total[1];
  s.wall_seconds = double(span[1] - rec.origin_ns) * 1e-9;
  s.items_failed = total[2];
  s.checksum_succeeded = total[3];
  s.complete = result.failure.empty() && result.stop_signal == 0 && s.items_done == planned;
  s.stop_reason = stop_reason(s, result, planned);

  auto& f = result.facts;
  f.producer = fmt::format("hybridscope {}", kVersion);
  f.mpi_library = mpi::library_version();
  f.layout = layout;
  f.nodes = placement.nodes;
  f.strategy = to_string(config.strategy);
  f.handout = handout;
  f.workload = to_string(config.workload.kind);
  f.workload_description = describe(config.workload);
  f.items_planned = planned;
  f.resumed_from = options.resume.from;
  f.carried = sched::merge_ranges(options.resume.done);
  f.items_carried = sched::count_items(f.carried);
  f.checksum_carried = options.resume.checksum;
  if (config.workload.kind == WorkloadKind::command) f.task_output = options.task_output;
  f.tasks_digest = options.tasks_digest;

  auto& r = result.rank.rank;
  r.begin_ns = rec.run_time(rec.begin_ns);
  r.end_ns = rec.run_time(rec.end_ns);
  r.items = local[0];
  r.checksum = local[1];
  r.intervals = rec.recorded();
  r.dropped_intervals = rec.dropped();
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) r.max_rss_kib = usage.ru_maxrss;
  r.clock_offset_start_ns = rec.clock_start.offset_ns;
  r.clock_offset_end_ns = rec.clock_end.offset_ns;
  r.clock_round_trip_start_ns = rec.clock_start.round_trip_ns;
  r.clock_round_trip_end_ns = rec.clock_end.round_trip_ns;
  result.rank.threads = thread_rows(placement.rank, execution, rec);
  result.rank.succeeded = execution.succeeded();
  result.threads = gather_thread_times(comm, result.rank.threads);
  return result;
}

}  // namespace hybridscope
