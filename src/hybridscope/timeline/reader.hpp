#pragma once
// A timeline file read back for post-processing, by one process without MPI.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hybridscope/timeline/records.hpp"

namespace hybridscope::timeline {

// The interval columns the analyses need; rows ordered by rank, thread, time.
struct Intervals {
  std::vector<std::uint32_t> rank;
  std::vector<std::uint16_t> thread;
  std::vector<std::uint8_t> kind;
  std::vector<std::int16_t> cpu;
  std::vector<std::int64_t> begin_ns, end_ns;
  std::vector<std::int64_t> chunk, item, cpu_ns;  // only when asked for
  std::size_t size() const { return rank.size(); }
};

// One thread's rows of the interval table: [first, last).
struct Lane {
  int rank = 0;
  int thread = 0;
  std::size_t first = 0, last = 0;
};

// The lanes in row order (rank, thread), each thread's rows being contiguous.
std::vector<Lane> lanes(const Intervals& intervals);

struct Timeline {
  std::string path;
  std::int64_t schema_version = 0;
  RunFacts facts;
  RunSummary summary;
  std::vector<ThreadRow> threads;
  std::vector<RankRow> ranks;
  std::vector<HostRow> hosts;
  Intervals intervals;  // empty unless loaded
  std::vector<ItemRange> succeeded;         // items that finished successfully (all ranks)
  std::vector<trace::TaskAttempt> tasks;    // a task farm's attempts, times in the run's time

  std::vector<metrics::ThreadTimes> thread_times() const;
  std::vector<std::string> rank_hosts() const;  // host of each rank, in rank order
};

enum class Load { summary, intervals, intervals_with_items };

// Throws InputError naming the file, in one line, when it cannot be read, is not a hybridscope
// timeline, or contradicts itself ("damaged timeline: ..."): no size read from the file is trusted
// with memory, and the tables are checked against each other (reader.cpp lists the checks).
// Load::summary skips /intervals (only their row counts are checked).
Timeline load(const std::string& path, Load what);

}  // namespace hybridscope::timeline
