#pragma once
// The kernels: each item of a run is one call of Worker::run. Every kernel returns a value that
// depends only on the input and the item, so the run checksum is the same for every layout.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/trace/task.hpp"
#include "hybridscope/trace/thread_log.hpp"

namespace hybridscope::workloads {

// splitmix64's finaliser: a cheap bijective 64-bit mix.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// An item's contribution to the run checksum. The run checksum is the wrapping sum of these, so it
// does not depend on order, and a lost or repeated item changes it.
constexpr std::uint64_t item_checksum(std::uint64_t item, std::uint64_t value) noexcept {
  return mix64(mix64(item) ^ value);
}

// What spin and gil return for the checksum: the state of their burn() chain after its first
// kCheckpointSteps steps (or at its end, if shorter). The steps after that follow the CPU rate
// measured at start-up, so the end state differs from run to run; the checkpoint is the same in
// every run and layout, and can only be had by computing it.
inline constexpr std::uint64_t kCheckpointSteps = 4096;

// Thrown by a kernel that gave up on an item because a stop was requested (see core/stop.hpp). Not a
// std::exception: it is not an error.
struct Abandoned {};

class Worker {
public:
  virtual ~Worker() = default;
  // Runs one item. Kernels that wait inside an item (gil) close those waits in `log`; the rest
  // of the item's time is left open for the caller to close.
  virtual std::uint64_t run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) = 0;
  // Whether the item just run failed without stopping the run (a task farm's task): it counts as
  // done but not as succeeded, and a resumed run runs it again.
  virtual bool last_item_failed() const noexcept { return false; }
  // Asked after an item that failed: not empty when the run must end with it (workload.fail_fast).
  virtual std::string ends_run() const { return {}; }
};

class Workload {
public:
  virtual ~Workload() = default;
  // Called once on each thread that runs items, so per-thread buffers are first touched there.
  virtual std::unique_ptr<Worker> make_worker() = 0;
  // How an item's time is recorded: work, or io for real file I/O.
  virtual trace::Activity activity() const { return trace::Activity::work; }
  // A task farm's attempts, once every worker is gone (see trace/task.hpp); kernels have none.
  virtual std::vector<trace::TaskAttempt> take_task_attempts() { return {}; }
};

// What a rank's workload is told: where the rank is (user kernels see it), and for a task farm how
// many items there are and where their outputs go.
struct RankContext {
  int rank = 0;
  int ranks = 1;
  std::uint64_t items = 0;
  std::string task_output;     // the farm's output folder (workload.output, else beside the timeline)
  bool reuse_output = false;   // a resumed or forced run may write into a folder that has files
};

// `burn_rate` is iterations of burn() per second (see calibrate.hpp). Throws Error when the rank
// cannot set the workload up (e.g. no scratch directory for file_io, a plug-in that cannot load).
std::unique_ptr<Workload> make_workload(const WorkloadConfig& config, double burn_rate,
                                        const RankContext& where = {});

std::uint64_t fib(int n) noexcept;

// The cost in seconds of an irregular item: a function of (seed, item) alone.
double irregular_cost(const WorkloadConfig& config, std::uint64_t item) noexcept;

}  // namespace hybridscope::workloads
