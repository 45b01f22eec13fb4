#pragma once
// What a timeline says about a run: shares per thread, POP efficiencies, and warnings with evidence.
#include <string>
#include <vector>

#include "hybridscope/analysis/timeline_file.hpp"

namespace hybridscope::analysis {

// POP metrics from useful time (time in items). parallel = load_balance * communication.
struct Efficiency {
  double load_balance = 0;
  double communication = 0;
  double parallel = 0;
};

struct ThreadStats {
  int rank = 0;
  int thread = 0;
  std::string host;
  std::uint64_t items = 0;
  double share[trace::kActivityCount] = {};  // of the run's wall time
  std::vector<int> cores;                     // distinct cores it ran on
  std::uint64_t migrations = 0;               // core changes between consecutive intervals
};

struct Report {
  RunInfo info;
  double items_per_second = 0;
  Efficiency overall;  // over all workers
  // The hybrid split: overall.parallel = mpi.parallel * openmp_parallel. The MPI part treats each
  // rank as its busiest thread; the OpenMP part is how well a rank's threads keep up with it.
  Efficiency mpi;
  double openmp_parallel = 0;
  std::vector<ThreadStats> threads;
  std::vector<std::string> warnings;
};

// `timeline` must have its intervals loaded (for cores, migrations and shared cores).
Report analyse(const Timeline& timeline);

std::string to_text(const Report& report);
std::string to_json(const Report& report);

}  // namespace hybridscope::analysis
