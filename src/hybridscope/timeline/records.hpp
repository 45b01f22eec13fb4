#pragma once
// What a timeline holds, as values: the writer takes them, the reader gives them back.
//  - RunFacts: what ran, where and how, known before the outcome (the same on every rank).
//  - RunSummary: the outcome of the run as a whole (the same on every rank).
//  - RankFacts: one rank's own rows (/ranks, /threads, /hosts for a node's first rank, and
//    /environment for rank 0), captured while the run happens.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hybridscope/core/item_range.hpp"
#include "hybridscope/core/layout.hpp"
#include "hybridscope/metrics/pop.hpp"
#include "hybridscope/trace/task.hpp"

namespace hybridscope::timeline {

struct InputRecord {
  std::string origin;    // input file path, or "built-in default"
  std::string given;     // the input exactly as given
  std::string resolved;  // canonical TOML after overrides and defaults
};

struct RunFacts {
  std::string producer;        // "hybridscope <version>"
  std::string start_time_utc;  // ISO 8601
  std::string command_line;
  std::string mpi_library;
  std::string hdf5_library;    // read from a file; a run's writer names the library it writes with
  Layout layout;
  int nodes = 1;
  std::string strategy;
  std::string handout;         // how chunks reached the ranks
  std::string workload;        // the kind
  std::string workload_description;
  std::uint64_t items_planned = 0;  // this run's: a resumed run plans only what was not done
  InputRecord input;
  // A resumed run (docs/task-farms.md): the timeline it resumed and what the chain before it did.
  std::string resumed_from;          // absolute path, or empty
  std::uint64_t items_carried = 0;   // items that succeeded in the runs before
  std::uint64_t checksum_carried = 0;
  std::vector<ItemRange> carried;    // which ones
  // Task farms: the folder of the tasks' outputs and the digest of the task file (else empty).
  std::string task_output;
  std::string tasks_digest;
};

struct RunSummary {
  std::uint64_t items_done = 0;
  std::uint64_t checksum = 0;
  double wall_seconds = 0;     // first begin to last end over all ranks, on rank 0's clock
  bool complete = false;       // every planned item ran and nothing stopped the run
  std::string stop_reason;     // empty when complete
  std::uint64_t items_failed = 0;       // done but failed (a farm's tasks that finally failed)
  std::uint64_t checksum_succeeded = 0; // the part of checksum from items that succeeded
};

struct RankRow {
  int rank = 0;
  std::string host;
  std::int64_t pid = 0;
  int local_rank = 0;
  std::string allowed_cpus;
  std::int64_t begin_ns = 0, end_ns = 0;  // run time
  std::uint64_t items = 0;
  std::uint64_t checksum = 0;             // this rank's part of the run checksum
  std::uint64_t intervals = 0, dropped_intervals = 0;
  std::int64_t max_rss_kib = 0;           // the rank's own peak resident memory (0: not recorded)
  std::int64_t clock_offset_start_ns = 0, clock_offset_end_ns = 0;
  std::int64_t clock_round_trip_start_ns = 0, clock_round_trip_end_ns = 0;
};

struct ThreadRow {
  metrics::ThreadTimes times;  // rank, thread, items and time per activity kind
  std::int64_t os_thread_id = 0;
  std::string allowed_cpus;    // where the OS let the thread run
  std::string openmp_place;    // "N: cpus", or empty without OMP_PLACES
  std::uint64_t intervals = 0, dropped_intervals = 0;
};

struct HostRow {
  std::string host;
  int ranks = 0;
  int packages = 0, cores = 0, pus = 0, numa_nodes = 0;
};

struct RankFacts {
  RankRow rank;
  std::vector<ThreadRow> threads;
  std::optional<HostRow> host;  // on the first rank of each node
  std::vector<std::pair<std::string, std::string>> environment;  // on rank 0
  std::vector<ItemRange> succeeded;  // the items this rank finished successfully
};

}  // namespace hybridscope::timeline
