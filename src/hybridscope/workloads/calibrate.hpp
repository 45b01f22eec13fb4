#pragma once
// CPU work measured in iterations of a dependent multiply-xorshift chain, so a "spin" item does real
// compute (it slows down when it shares a core) instead of polling a clock until a deadline.
#include <mpi.h>

#include <cstdint>

namespace hybridscope::workloads {

// One step of the chain; the dependency keeps the compiler and the CPU from shortcutting it.
inline std::uint64_t burn(std::uint64_t iterations, std::uint64_t state) noexcept {
  for (std::uint64_t i = 0; i < iterations; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    state ^= state >> 29;
  }
  return state;
}

// Iterations of burn() per second on one uncontended core: the best of several short trials, so a
// trial that was preempted does not lower the rate.
double measure_burn_rate();

// Measured on rank 0 and broadcast, so that every rank does the same work for the same item.
double agree_burn_rate(MPI_Comm comm);

}  // namespace hybridscope::workloads
