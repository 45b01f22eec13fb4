#pragma once
// What one rank recorded during a run: each thread's intervals (in memory and in the spool) and the
// measurements that put this rank's clock on the run's common time base.
#include <cstdint>
#include <memory>
#include <vector>

#include "hybridscope/trace/clock_sync.hpp"
#include "hybridscope/trace/spool.hpp"
#include "hybridscope/trace/task.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope::trace {

struct Recording {
  std::unique_ptr<Spool> spool;  // declared before logs: the logs write into its blocks
  std::vector<ThreadLog> logs;   // one per thread
  std::vector<TaskAttempt> tasks;  // a task farm's attempts (on this rank's clock)
  std::int64_t begin_ns = 0;     // this rank's execution, on its own clock
  std::int64_t end_ns = 0;
  std::vector<ClockSample> clock_samples;
  ClockEstimate clock_start, clock_end;
  ClockModel clock;              // this rank's clock to rank 0's
  std::int64_t origin_ns = 0;    // the run's time zero on rank 0's clock (the first begin of any rank)

  // A time of this rank's clock in the run's time: ns since the origin, on rank 0's clock.
  std::int64_t run_time(std::int64_t local_ns) const { return clock.to_root(local_ns) - origin_ns; }
  std::uint64_t recorded() const;  // intervals kept for the timeline
  std::uint64_t dropped() const;   // intervals lost: no free block, or the spool file failed
};

inline std::uint64_t Recording::recorded() const {
  std::uint64_t n = 0;
  for (const auto& log : logs) n += log.recorded();
  return n;
}

inline std::uint64_t Recording::dropped() const {
  std::uint64_t n = spool ? spool->lost() : 0;
  for (const auto& log : logs) n += log.dropped();
  return n;
}

}  // namespace hybridscope::trace
