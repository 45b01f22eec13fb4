#pragma once
// One run: layout, calibration, workload set-up, hand-out, execution and the global tallies.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/exec/executor.hpp"
#include "hybridscope/mpi/layout.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope {

struct RunOptions {
  int provided_thread_level = MPI_THREAD_MULTIPLE;
  std::size_t intervals_per_thread = 0;  // intervals each ThreadLog keeps in memory
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
  double wall_seconds = 0;              // longest rank's time from the common start
  std::uint64_t items = 0;              // over all ranks
  std::uint64_t checksum = 0;           // over all ranks
  Efficiency efficiency;
  std::vector<double> busy_share;       // per rank: time in items / (threads * wall time)
  std::vector<std::uint64_t> rank_items;
  exec::RankExecution local;            // this rank's threads
  std::vector<trace::ThreadLog> logs;   // this rank's threads
};

// Collective over comm. Throws Error on every rank alike when any rank fails.
RunResult run(MPI_Comm comm, const RunConfig& config, const RunOptions& options = {});

// Threads a rank uses for `config`: its `threads` key, else OpenMP's default.
int resolve_threads(const RunConfig& config);

}  // namespace hybridscope
