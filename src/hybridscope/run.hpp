#pragma once
// One run: layout, calibration, workload set-up, hand-out, execution and the global tallies.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/exec/executor.hpp"
#include "hybridscope/mpi/layout.hpp"
#include "hybridscope/trace/clock_sync.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope {

struct RunOptions {
  int provided_thread_level = MPI_THREAD_MULTIPLE;
  // Memory for activity records per rank; 0 records nothing but the per-kind totals.
  std::size_t trace_memory_bytes = std::size_t{64} << 20;
  std::string spool_dir;  // where records beyond memory go; empty: $TMPDIR or /tmp
};

// POP efficiency metrics from time spent in items ("useful" time) per worker thread.
struct Efficiency {
  double load_balance = 0;   // mean useful time / max useful time
  double communication = 0;  // max useful time / wall time
  double parallel = 0;       // load_balance * communication = total useful / (workers * wall)
};

struct RunResult {
  mpi::Layout layout;                   // node_comm is not valid after run() returns
  std::string handout;                  // how chunks reached the ranks
  double wall_seconds = 0;              // first begin to last end over all ranks, on rank 0's clock
  std::uint64_t items = 0;              // over all ranks
  std::uint64_t checksum = 0;           // over all ranks
  Efficiency efficiency;
  std::vector<double> busy_share;       // per rank: time in items / (threads * wall time)
  std::vector<std::uint64_t> rank_items;
  int stop_signal = 0;                  // a signal that cut the hand-out short on any rank, or 0
  bool complete() const { return stop_signal == 0 && items == planned_items; }
  std::uint64_t planned_items = 0;

  // This rank's part.
  std::uint64_t recorded_intervals() const;  // kept in the timeline
  std::uint64_t dropped_intervals() const;   // lost because the spool could not keep up
  exec::RankExecution local;
  std::unique_ptr<trace::Spool> spool;  // declared before logs: the logs write into its blocks
  std::vector<trace::ThreadLog> logs;
  std::vector<trace::ClockSample> clock_samples;
  trace::ClockEstimate clock_start, clock_end;
  trace::ClockModel clock;              // this rank's clock to rank 0's
  std::int64_t origin_ns = 0;           // the run's time zero on rank 0's clock (its first begin)
};

// Collective over comm. Throws Error on every rank alike when any rank fails.
RunResult run(MPI_Comm comm, const RunConfig& config, const RunOptions& options = {});

// Threads a rank uses for `config`: its `threads` key, else OpenMP's default.
int resolve_threads(const RunConfig& config);

}  // namespace hybridscope
