#pragma once
// What a task farm's timeline says about its tasks, and the totals of a chain of resumed runs.
// docs/task-farms.md.
#include <cstdint>
#include <string>
#include <vector>

#include "hybridscope/timeline/reader.hpp"

namespace hybridscope::analysis {

struct TaskStats {
  std::uint64_t attempts = 0;
  std::vector<trace::TaskAttempt> failed;   // the last attempt of each item that finally failed
  std::vector<trace::TaskAttempt> slowest;  // the longest attempts, longest first
  double task_seconds = 0;                  // wall time of all attempts
  double cpu_seconds = 0;                   // their user + system CPU time
  // Peak memory of the tasks that outgrew their rank: Linux counts the rank's memory for a task until
  // it execs, so a smaller task's own peak is not known, only that it stayed below its rank's.
  std::uint64_t measured = 0;         // tasks larger than their rank
  std::int64_t max_rss_kib = 0;       // the largest of those
  std::int64_t median_rss_kib = 0;    // their median
  std::int64_t rank_rss_kib = 0;      // the largest rank, below which the others stayed
};

// Empty (attempts 0) unless the timeline holds a farm's /tasks.
TaskStats task_stats(const timeline::Timeline& t);

// A run and the runs it resumed, oldest first, found through resumed_from (also looked for beside
// the file, by name, for a chain moved as a whole).
struct FarmChain {
  std::vector<std::string> runs;   // the files found
  std::string missing;             // a run that could not be found or read, with why; empty if none
  double wall_seconds = 0;         // over the runs found
  std::uint64_t attempts = 0;      // tasks run, over the runs found
  double task_cpu_seconds = 0;
  std::uint64_t items = 0;         // of the farm
  std::uint64_t succeeded = 0;     // so far, over the whole chain
  std::uint64_t checksum = 0;      // of the items that succeeded: one uninterrupted run's once all did
};

// For a resumed run; a run that resumed nothing is a chain of one.
FarmChain follow_chain(const timeline::Timeline& last);

std::string tasks_text(const TaskStats& stats, const std::string& output);
std::string chain_text(const FarmChain& chain);

}  // namespace hybridscope::analysis
