#pragma once
// One interval of a thread's activity timeline.
#include <cstdint>

namespace hybridscope::trace {

enum class Activity : std::uint8_t {
  startup, work, io, idle,
  handout,    // taking a chunk from the node's shared-memory counter (no MPI call)
  lock_wait, shutdown,
  abandoned,  // time on an item that a stop request interrupted; the item did not finish
  mpi         // inside an MPI call: taking a chunk from rank 0's counter (MPI RMA)
};
inline constexpr std::size_t kActivityCount = 9;
// Names as stored in the timeline's enum type, in code order.
inline constexpr const char* kActivityNames[kActivityCount] = {
    "startup", "work", "io", "idle", "handout", "lock_wait", "shutdown", "abandoned", "mpi"};

// Intervals in which the thread ran (part of) an item: POP's "useful" time.
constexpr bool in_item(Activity kind) noexcept { return kind == Activity::work || kind == Activity::io; }
inline constexpr std::uint64_t kNone = ~std::uint64_t{0};

struct Interval {
  std::int64_t begin_ns;  // this rank's CLOCK_MONOTONIC
  std::int64_t end_ns;
  std::uint64_t chunk;    // kNone outside items
  std::uint64_t item;     // kNone outside items
  std::int64_t cpu_ns;    // CPU time the thread used in a work or io interval; -1 where not measured
  std::int32_t cpu;       // sched_getcpu() at the interval's start
  Activity kind;
};

}  // namespace hybridscope::trace
