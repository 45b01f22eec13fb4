#pragma once
// Runs a rank's items on its OpenMP threads and records each thread's activity in its ThreadLog.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "hybridscope/exec/dispenser.hpp"
#include "hybridscope/trace/thread_log.hpp"
#include "hybridscope/workloads/workloads.hpp"

namespace hybridscope::exec {

struct ThreadTally {
  std::uint64_t items = 0;
  std::uint64_t checksum = 0;  // wrapping sum of item_checksum over this thread's items
  std::vector<std::uint64_t> failed;  // items that ran but failed (a task farm's tasks)
  std::uint64_t succeeded_checksum = 0;  // the part of checksum from items that succeeded
  std::vector<sched::Range> succeeded;   // the items that succeeded, as ranges in the order run
  std::int64_t os_thread_id = 0;
  std::string allowed_cpus;    // where the OS lets the thread run
  std::string openmp_place;    // its OpenMP place, if OMP_PLACES is set
};

// What one thread has done so far, published for a reader in another thread or process (the
// progress reporter reads it from node shared memory). One cache line per thread, written with
// relaxed stores after each item: no thread ever waits for it.
struct alignas(64) ThreadProgress {
  std::atomic<std::uint64_t> items{0};
  std::atomic<std::int64_t> busy_ns{0};  // time in items
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<std::int64_t>::is_always_lock_free,
              "progress shared between processes needs lock-free 64-bit atomics");

struct RankExecution {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
  std::vector<ThreadTally> threads;
  std::string failure;  // first error any thread hit; empty when all went well

  std::uint64_t items() const;
  std::uint64_t checksum() const;
  std::vector<std::uint64_t> failed() const;
  std::uint64_t succeeded_checksum() const;
  std::vector<sched::Range> succeeded() const;  // merged over the threads
};

// Runs until the dispenser is empty or a thread fails (then the rest stop taking items).
// `logs` holds one ThreadLog per thread; its size is the thread count. `progress`, when given, holds
// one ThreadProgress per thread, updated after every item.
RankExecution execute(ItemDispenser& dispenser, workloads::Workload& workload,
                      std::vector<trace::ThreadLog>& logs, ThreadProgress* progress = nullptr);

}  // namespace hybridscope::exec
