#pragma once
// What a timeline says about a run: shares per thread, POP efficiencies, and warnings with evidence.
#include <string>
#include <vector>

#include <optional>

#include "hybridscope/analysis/farm.hpp"
#include "hybridscope/metrics/pop.hpp"
#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

struct ThreadStats {
  int rank = 0;
  int thread = 0;
  std::string host;
  std::uint64_t items = 0;
  double share[trace::kActivityCount] = {};  // of the run's wall time
  double cpu_share = -1;                      // of its time in items, on a CPU; -1: no time in items
  std::vector<int> cores;                     // distinct cores it ran on
  std::uint64_t migrations = 0;               // core changes between consecutive intervals
};

// The threads of one node together (only when the run spans several).
struct NodeStats {
  std::string host;
  int ranks = 0;
  int threads = 0;
  std::uint64_t items = 0;
  double busy = 0;  // mean share of the run its threads spent in items
};

struct Report {
  std::string path;
  timeline::RunFacts facts;
  timeline::RunSummary summary;
  std::vector<metrics::ThreadTimes> thread_times;
  std::vector<std::string> hosts;  // of each rank
  double items_per_second = 0;
  metrics::Efficiencies efficiency;
  double cpu_share = -1;  // of all time in items, on a CPU (metrics::cpu_share_of_items)
  std::vector<ThreadStats> threads;
  std::vector<NodeStats> nodes;    // empty on one node
  double node_load_balance = 1;    // mean node busy share / the busiest node's
  std::vector<std::string> warnings;
  TaskStats tasks;                 // a task farm's (attempts 0 otherwise)
  std::optional<FarmChain> chain;  // a resumed run's chain
};

// Cores, migrations and shared cores need the intervals loaded; without them those stay empty.
Report analyse(const timeline::Timeline& timeline);

std::string to_text(const Report& report);
std::string to_json(const Report& report);

}  // namespace hybridscope::analysis
