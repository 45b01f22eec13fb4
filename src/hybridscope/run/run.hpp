#pragma once
// One run: layout, calibration, workload set-up, hand-out, execution, and what it all adds up to.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/metrics/pop.hpp"
#include "hybridscope/mpi/placement.hpp"
#include "hybridscope/run/progress.hpp"
#include "hybridscope/timeline/records.hpp"
#include "hybridscope/trace/recording.hpp"

namespace hybridscope {

// Memory for activity records per rank unless --trace-memory says otherwise.
inline constexpr std::size_t kDefaultTraceMemoryMiB = 64;

// What a resumed run takes over from the chain of timelines before it (docs/task-farms.md).
struct Resume {
  std::string from;              // the timeline resumed (absolute path); empty for a new run
  std::vector<ItemRange> done;   // the items that succeeded in the chain: not run again
  std::uint64_t checksum = 0;    // their part of the farm's checksum
};

struct RunOptions {
  int provided_thread_level = MPI_THREAD_MULTIPLE;
  // Memory for activity records per rank; 0 records nothing but the per-kind totals.
  std::size_t trace_memory_bytes = kDefaultTraceMemoryMiB << 20;
  std::string spool_dir;  // where records beyond memory go; empty: $TMPDIR or /tmp
  Resume resume;
  std::string task_output;     // a task farm's output folder
  bool reuse_output = false;   // the folder may hold files (--resume, --force)
  std::string tasks_digest;    // of the task file (LoadedInput), recorded for --resume
  ProgressOptions progress;    // the progress line and the status file
};

struct RunResult {
  timeline::RunFacts facts;                   // the input, command line and start time are the caller's to fill
  timeline::RunSummary summary;               // the same on every rank
  std::vector<metrics::ThreadTimes> threads;  // every thread of every rank, in rank order (rank 0 only)
  std::vector<std::string> hosts;             // host of each rank (rank 0 only)
  int stop_signal = 0;                        // a signal that cut the hand-out short on any rank, or 0
  std::string failure;                        // an item that failed on any rank ("rank N: ..."), or empty
  std::vector<std::uint64_t> failed_items;    // a farm's tasks that finally failed, sorted (rank 0 only)
  std::shared_ptr<const mpi::NodeComms> nodes;  // the run's ranks by node, which write the timeline
  timeline::RankFacts rank;                   // this rank's rows
  trace::Recording recording;                 // this rank's intervals and clock
};

// Collective over comm. Throws Error on every rank alike when any rank fails.
RunResult run(MPI_Comm comm, const RunConfig& config, const RunOptions& options = {});

// Threads a rank uses for `config`: its `threads` key, else OpenMP's default.
int resolve_threads(const RunConfig& config);

}  // namespace hybridscope
